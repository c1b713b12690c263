import { spawnSync } from 'child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'fs';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'path';
import { parse, parseAllDocuments } from 'yaml';

// Helm's post-render routes, done as Helm does them (no Helm binary can be installed here). Each
// step names the Helm source it follows (helm/helm, tags v3.21.4 and v4.2.4).

/** What Helm gets back from a post-renderer: the manifests, or the error Helm reports. */
export interface PostRenderOutcome {
  readonly output?: string;
  readonly error?: string;
}

/** The flags of a Helm command line that configure post-rendering (pkg/cmd/flags.go, bindPostRenderFlag). */
function postRenderFlags(commandLine: string): { renderer: string; args: string[] } {
  const words = commandLine.trim().split(/\s+/);
  let renderer: string | undefined;
  const args: string[] = [];
  for (let i = 0; i < words.length; i++) {
    // pflag: "--flag=value", or "--flag value" where the next word is the value whatever it starts with.
    const [flag, inline] = words[i].includes('=') ? words[i].split(/=(.*)/s, 2) : [words[i], undefined];
    if (flag !== '--post-renderer' && flag !== '--post-renderer-args') continue;
    const value = inline ?? words[++i];
    if (flag === '--post-renderer') renderer = value;
    // postRendererArgsSlice.Set appends each value whole: no splitting on commas.
    else args.push(value);
  }
  if (renderer === undefined) throw new Error(`no --post-renderer in "${commandLine}"`);
  return { renderer, args };
}

/**
 * Helm 3's `--post-renderer PATH --post-renderer-args ARG...` (pkg/postrender/exec.go): PATH is
 * looked up on $PATH when it has no slash, else taken relative to the working folder
 * (exec.LookPath); it runs with the args, the manifests on stdin; stdout is the result; a non-zero
 * exit fails the release, with the program's stderr in Helm's error.
 */
export function helm3PostRender(commandLine: string, manifests: string, env: Record<string, string>, cwd: string): PostRenderOutcome {
  const { renderer, args } = postRenderFlags(commandLine);
  const path = lookPath(renderer, env.PATH ?? '', cwd);
  if (!path) return { error: `unable to find binary at ${renderer}` };
  const r = spawnSync(path, args, { input: manifests, env, cwd, encoding: 'utf-8' });
  if (r.status !== 0) return { error: `error while running command ${path}. error output:\n${r.stderr}` };
  return { output: r.stdout };
}

function lookPath(file: string, pathVar: string, cwd: string): string | undefined {
  const candidates = file.includes('/') ? [resolve(cwd, file)] : pathVar.split(delimiter).filter((d) => d).map((d) => join(d, file));
  return candidates.find((c) => {
    try {
      accessSync(c, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Helm's data home (pkg/helmpath/lazypath.go: $HELM_DATA_HOME, else $XDG_DATA_HOME/helm, else ~/.local/share/helm). */
function dataHome(env: Record<string, string>): string {
  if (env.HELM_DATA_HOME) return env.HELM_DATA_HOME;
  return join(env.XDG_DATA_HOME || join(env.HOME, '.local', 'share'), 'helm');
}

/**
 * Helm 4's `helm plugin install <dir>` for a local folder (internal/plugin/installer/
 * local_installer.go): a symlink $HELM_DATA_HOME/plugins/<folder name> -> <dir>; the plugin
 * must then load (internal/plugin/loader.go). Returns the plugin's name.
 */
export function helm4PluginInstall(source: string, env: Record<string, string>, cwd: string): string {
  const abs = resolve(cwd, source);
  if (!existsSync(join(abs, 'plugin.yaml'))) throw new Error(`plugin metadata (plugin.yaml) missing in ${abs}`);
  const target = join(dataHome(env), 'plugins', basename(abs));
  mkdirSync(dirname(target), { recursive: true });
  symlinkSync(abs, target);
  return loadPluginV1(target).name;
}

interface PluginV1 {
  dir: string;
  name: string;
  type: string;
  platformCommand: Array<{ os?: string; arch?: string; command: string; args?: string[] }>;
}

/** internal/plugin/loader.go, loadMetadataV1: apiVersion v1, fields known, runtime subprocess. */
function loadPluginV1(dir: string): PluginV1 {
  const m = parse(readFileSync(join(dir, 'plugin.yaml'), 'utf-8'));
  const known = ['apiVersion', 'name', 'type', 'runtime', 'version', 'sourceURL', 'config', 'runtimeConfig'];
  const unknown = Object.keys(m).filter((k) => !known.includes(k));
  if (m.apiVersion !== 'v1' || unknown.length > 0 || m.runtime !== 'subprocess') {
    throw new Error(`failed to load plugin ${dir}: apiVersion ${m.apiVersion}, unknown fields ${unknown.join(',')}, runtime ${m.runtime}`);
  }
  return { dir, name: m.name, type: m.type, platformCommand: m.runtimeConfig?.platformCommand ?? [] };
}

/** os.Expand as Helm uses it: ${VAR} and $VAR, unknown names become "". */
function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{([^}]*)\}|\$([A-Za-z0-9_]+)/g, (_, braced, bare) => env[braced ?? bare] ?? '');
}

/**
 * Helm 4's `--post-renderer NAME --post-renderer-args ARG...` (pkg/postrenderer/postrenderer.go,
 * internal/plugin/runtime_subprocess.go, runPostrenderer): NAME is the plugin of that name and
 * type postrenderer/v1 in $HELM_PLUGINS (default $HELM_DATA_HOME/plugins); its platformCommand is
 * split on spaces and expanded with the environment plus HELM_PLUGIN_NAME and HELM_PLUGIN_DIR (the
 * folder in the plugins directory, a symlink for a local install), the args appended
 * (subprocess_commands.go, PrepareCommands). stdout is the result; stderr goes nowhere; a non-zero
 * exit gives only "plugin exited with error"; an output of only whitespace is an error.
 */
export function helm4PostRender(commandLine: string, manifests: string, env: Record<string, string>, cwd: string): PostRenderOutcome {
  const { renderer, args } = postRenderFlags(commandLine);
  const dirs = (env.HELM_PLUGINS || join(dataHome(env), 'plugins')).split(delimiter);
  const plugin = dirs.flatMap((d) => (existsSync(d) ? readdirSync(d).map((p) => join(d, p)) : []))
    .filter((p) => existsSync(join(p, 'plugin.yaml')))
    .map(loadPluginV1)
    .find((p) => p.name === renderer && p.type === 'postrenderer/v1');
  if (!plugin) return { error: `plugin: {Name:${renderer} Type:postrenderer/v1} not found` };
  const pluginEnv = { ...env, HELM_PLUGIN_NAME: plugin.name, HELM_PLUGIN_DIR: plugin.dir };
  const cmd = plugin.platformCommand.find((c) => (!c.os || c.os === process.platform) && !c.arch);
  if (!cmd) return { error: 'no plugin command is applicable' };
  const [main, ...rest] = cmd.command.split(' ');
  const argv = [...rest, ...(cmd.args ?? [])].map((a) => expand(a, pluginEnv));
  const program = expand(main, pluginEnv);
  const r = spawnSync(isAbsolute(program) ? program : lookPath(program, env.PATH ?? '', cwd) ?? program, [...argv, ...args], {
    input: manifests, env: pluginEnv, cwd, encoding: 'utf-8',
  });
  if (r.status !== 0) return { error: `failed to invoke post-renderer plugin "${plugin.name}": plugin "${plugin.name}" exited with error` };
  if (r.stdout.trim() === '') return { error: `post-renderer "${plugin.name}" produced empty output` };
  return { output: r.stdout };
}

const FILENAME_ANNOTATION = 'postrenderer.helm.sh/postrender-filename';

/**
 * The stream Helm 4 hands a post-renderer (pkg/action/action.go, annotateAndMerge): every
 * rendered document, hooks included, annotated with the template file it came from, which a
 * chart's output shows as its `# Source:` comment.
 */
export function helm4Stream(chartOutput: string): string {
  return parseAllDocuments(chartOutput).map((doc, i) => {
    // The yaml package keeps "# Source: x" as the comment before the document's contents.
    const source = /Source: (\S+)/.exec(String(doc.contents?.commentBefore ?? ''))?.[1] ?? `shop/templates/doc-${i}.yaml`;
    doc.setIn(['metadata', 'annotations', FILENAME_ANNOTATION], source);
    const text = doc.toString();
    return text.startsWith('---') ? text : `---\n${text}`;
  }).join('');
}

/**
 * How Helm 4 files the post-rendered documents (pkg/action/action.go, splitAndDeannotate): by
 * their filename annotation, or as generated-by-postrender-<i>.yaml when it was lost.
 */
export function helm4Files(postRendered: string): string[] {
  return parseAllDocuments(postRendered).map((doc, i) => {
    const obj = doc.toJS();
    return obj?.metadata?.annotations?.[FILENAME_ANNOTATION] ?? `generated-by-postrender-${i}.yaml`;
  });
}

/** The keys Helm 3's plugin.yaml may have (pkg/plugin/plugin.go, Metadata; encoding/json matches them ignoring case). */
const HELM3_PLUGIN_KEYS = ['name', 'version', 'usage', 'description', 'platformcommand', 'command', 'ignoreflags', 'platformhooks', 'hooks', 'downloaders', 'usetunnel'];

/**
 * Helm 3 loading its plugins (pkg/plugin/plugin.go, FindPlugins -> LoadAll -> LoadDir): every
 * $HELM_PLUGINS/<x>/plugin.yaml read with yaml.UnmarshalStrict, and the first one that fails
 * fails them all (cmd/helm/load_plugins.go prints "failed to load plugins" and adds none).
 */
export function helm3LoadPlugins(env: Record<string, string>): { names?: string[]; error?: string } {
  const names: string[] = [];
  for (const dir of (env.HELM_PLUGINS || join(dataHome(env), 'plugins')).split(delimiter)) {
    for (const p of existsSync(dir) ? readdirSync(dir).sort() : []) {
      const file = join(dir, p, 'plugin.yaml');
      if (!existsSync(file)) continue;
      const m = parse(readFileSync(file, 'utf-8')) ?? {};
      const unknown = Object.keys(m).find((k) => !HELM3_PLUGIN_KEYS.includes(k.toLowerCase()));
      if (unknown) return { error: `failed to load plugins: failed to load plugin at "${file}": error unmarshaling JSON: json: unknown field "${unknown}"` };
      names.push(m.name);
    }
  }
  return { names };
}
