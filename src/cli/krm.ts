import { readFileSync } from 'fs';
import { Document, isMap, isSeq, parse, parseDocument, YAMLMap } from 'yaml';
import { checkConfig, CliOptions, FLAGS, MESHES, readOptionText, toFlags, toManifestLifecycle } from './options';
import { applyToManifest, ManifestLifecycle, ManifestResult } from '../manifests/apply';
import { annotateResult, describeOutcome } from '../manifests/outcome';

export { describeOutcome };

// `meshjob krm`: MeshJob as a KRM function and as a kustomize transformer plugin.
//
// With no argument it is a KRM function (kubernetes-sigs/kustomize cmd/config/docs/api-conventions/
// functions-spec.md): a `ResourceList` (config.kubernetes.io/v1) on stdin, its `items` made
// mesh-safe, the list written back on stdout with `results` saying what happened to each Job and
// CronJob. kpt runs it with `kpt fn eval DIR --exec "meshjob krm"`, kustomize with
// `--enable-alpha-plugins --enable-exec` (kyaml/fn/runtime/exec/exec.go: the executable runs with
// no arguments, so kustomize-plugin/meshjob-krm is the one to point at).
//
// With one argument it is a kustomize legacy exec transformer (api/internal/plugins/execplugin/
// execplugin.go: the plugin's own config file as the first argument, the resources as a YAML
// stream on stdin, the stream back on stdout): the config becomes the command line's options and
// the stream goes through the command line itself.
//
// Options come from the function's config: a ConfigMap's `data` (what `kpt fn eval -- key=value`
// makes; every value a string), or any other kind whose top-level keys are the config file's
// (`mesh`, `meshVersion`, `kubernetesVersion`, ...), such as `kind: MeshJobTransformer`.

/** The command line's entry, which the legacy exec route hands the stream to. */
export type Cli = (argv: string[], stdin: string) => { code: number; stdout: string; stderr: string };

/** The KRM function's ResourceList apiVersion and kind (functions-spec.md). */
const RESOURCE_LIST = { apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList' };

/** Keys of a function config that are the object's own, not options. */
const OBJECT_KEYS = ['apiVersion', 'kind', 'metadata'];

/** Options read from a function config, or the problems that stop it. */
export interface FunctionConfigOptions {
  readonly options: CliOptions;
  readonly problems: string[];
}

/**
 * Reads the options of a function config (a ConfigMap's `data`, or the top-level keys of any other
 * kind). `source` names the config in messages.
 */
export function optionsFromFunctionConfig(config: unknown, source: string): FunctionConfigOptions {
  if (config === undefined || config === null) return { options: {}, problems: [] };
  if (typeof config !== 'object' || Array.isArray(config)) {
    return { options: {}, problems: [`${source} is not a map: give a ConfigMap or a MeshJobTransformer`] };
  }
  const obj = config as Record<string, unknown>;
  if (obj.kind === 'ConfigMap' && obj.apiVersion === 'v1') return fromConfigMapData(obj.data ?? {}, source);
  const options = Object.fromEntries(Object.entries(obj).filter(([key]) => !OBJECT_KEYS.includes(key)));
  return { options: options as CliOptions, problems: checkConfig(options, source) };
}

/** A ConfigMap's values are strings: each becomes the type its option has on the command line. */
function fromConfigMapData(data: unknown, source: string): FunctionConfigOptions {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { options: {}, problems: [`${source}: data ${JSON.stringify(data)} is not a map: give each option as key: "value" under data`] };
  }
  const known = new Set(Object.values(FLAGS).map((f) => f.key as string));
  const options: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(data)) {
    // An unknown key is kept as it is: checkConfig names it below. A list or an entrypoint map
    // takes one item a line.
    if (!known.has(key)) {
      options[key] = String(raw);
      continue;
    }
    const problem = readOptionText(options as CliOptions, key, String(raw));
    if (problem) problems.push(`${source}: ${problem}`);
  }
  // Only the values converted above are in `options`: checkConfig adds the unknown keys.
  return { options: options as CliOptions, problems: [...problems, ...checkConfig(options, source)] };
}

/** The command line flags that say the same as the options. */
export function optionsToFlags(options: CliOptions): string[] {
  return toFlags(options);
}

/** A KRM result (functions-spec.md, "results"). */
interface KrmResult {
  message: string;
  severity: 'error' | 'warning' | 'info';
  resourceRef?: { apiVersion: string; kind: string; name: string; namespace?: string };
  file?: { path: string; index?: number };
}

/**
 * `meshjob krm [CONFIG]`: a ResourceList in and out, or (with a config file) kustomize's legacy
 * exec transformer. Returns what to write and the exit code.
 */
export function krm(argv: string[], stdin: string, cli: Cli): ReturnType<Cli> {
  if (argv.length > 1 || argv[0]?.startsWith('-')) {
    return failLine(`krm takes no options (got "${argv.join(' ')}"): put them in the function config, or give the kustomize plugin config file alone`);
  }
  return argv.length === 1 ? legacyExec(argv[0], stdin, cli) : resourceList(stdin);
}

function failLine(line: string) {
  return { code: 1, stdout: '', stderr: `meshjob: ${line}\n` };
}

/** kustomize's legacy exec transformer: options from the plugin's config file, the stream through the CLI. */
function legacyExec(configFile: string, stdin: string, cli: Cli) {
  let config: unknown;
  try {
    config = parse(readFileSync(configFile, 'utf-8'), { version: '1.1' });
  } catch (e) {
    return failLine(`cannot read the kustomize plugin config ${configFile}: ${(e as Error).message.split('\n')[0]}`);
  }
  const name = (config as any)?.metadata?.name;
  const { options, problems } = optionsFromFunctionConfig(config, `${(config as any)?.kind ?? 'config'} ${name ?? configFile}`);
  if (problems.length > 0) return { code: 1, stdout: '', stderr: problems.map((p) => `meshjob: ${p}\n`).join('') };
  return cli(optionsToFlags(options), stdin);
}

/** The KRM function: a ResourceList on stdin, the same list with its Jobs made mesh-safe on stdout. */
function resourceList(stdin: string) {
  // YAML 1.1, as the orchestrators (kyaml, go-yaml) and Kubernetes read it: `0644` stays octal.
  const doc = parseDocument(stdin, { version: '1.1' });
  if (doc.errors.length > 0) return failLine(`stdin is not a ResourceList: invalid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const list = doc.contents;
  const head = doc.toJS() ?? {};
  if (!isMap(list) || head.apiVersion !== RESOURCE_LIST.apiVersion || head.kind !== RESOURCE_LIST.kind) {
    return failLine(`stdin is not a ResourceList: expected apiVersion ${RESOURCE_LIST.apiVersion}, kind ${RESOURCE_LIST.kind}; ` +
      'run `meshjob` without "krm" for a plain YAML stream');
  }
  const items = list.get('items', true);
  if (items !== undefined && items !== null && !isSeq(items)) return failLine(`the ResourceList's items ${JSON.stringify(head.items)} is not a list: give the resources as a YAML sequence under items`);

  const results: KrmResult[] = [];
  const { options, problems } = optionsFromFunctionConfig(head.functionConfig, 'functionConfig');
  let what: ManifestLifecycle | undefined;
  if (problems.length === 0 && options.mesh === undefined) {
    problems.push(`functionConfig sets no mesh: give one of ${MESHES.join(', ')} (ConfigMap data or MeshJobTransformer key "mesh")`);
  }
  if (problems.length === 0) {
    try {
      what = toManifestLifecycle(options);
    } catch (e) {
      problems.push(`functionConfig: ${(e as Error).message}`);
    }
  }
  results.push(...problems.map((message): KrmResult => ({ message, severity: 'error' })));

  if (what && isSeq(items)) {
    items.items.forEach((node, i) => {
      const obj = (node as any)?.toJS?.(doc) ?? node;
      try {
        const r = applyToManifest(obj, what!);
        if (annotateResult(obj, r)) {
          // The changed object replaces the item; a comment before it stays with it.
          const changed = doc.createNode(obj, { aliasDuplicateObjects: false }) as any;
          changed.commentBefore = (node as any)?.commentBefore;
          items.items[i] = changed;
        }
        results.push(...resultsOf(r, obj));
      } catch (e) {
        results.push({ ...located(obj), message: (e as Error).message, severity: 'error' });
      }
    });
  }
  setResults(doc, list, results);
  const failed = results.some((r) => r.severity === 'error');
  return { code: failed ? 1 : 0, stdout: doc.toString({ lineWidth: 0 }), stderr: '' };
}

/**
 * What happened to one object, as KRM results: why it was changed or left alone, and its warnings.
 * The messages do not name the object: the result's resourceRef does, and kpt prints it.
 */
function resultsOf(r: ManifestResult, obj: any): KrmResult[] {
  if (r.outcome === 'not-a-job') return [];
  const where = located(obj);
  return [
    // A Job left as it was although the mesh injects into it may hang: a warning, not news.
    { ...where, message: describeOutcome(r), severity: r.outcome === 'left-unchanged' ? 'warning' : 'info' },
    ...r.warnings.map((w): KrmResult => ({ ...where, message: w, severity: 'warning' })),
  ];
}

/** A result's resourceRef and file (from the path annotations kpt and kustomize put on items). */
function located(obj: any): Pick<KrmResult, 'resourceRef' | 'file'> {
  const meta = obj?.metadata ?? {};
  const annotations = meta.annotations ?? {};
  const path = annotations['internal.config.kubernetes.io/path'] ?? annotations['config.kubernetes.io/path'];
  const index = annotations['internal.config.kubernetes.io/index'] ?? annotations['config.kubernetes.io/index'];
  return {
    resourceRef: { apiVersion: obj?.apiVersion, kind: obj?.kind, name: meta.name, ...(meta.namespace ? { namespace: meta.namespace } : {}) },
    ...(path ? { file: { path, ...(index !== undefined ? { index: Number(index) } : {}) } } : {}),
  };
}

function setResults(doc: Document, list: YAMLMap, results: KrmResult[]): void {
  if (results.length === 0) {
    list.delete('results');
    return;
  }
  list.set('results', doc.createNode(results, { aliasDuplicateObjects: false }));
}
