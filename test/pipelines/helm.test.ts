import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { delimiter, join } from 'path';
import { parseAllDocuments } from 'yaml';
import { docBlock, docLine } from './support/docs';
import { helm3LoadPlugins, helm3PostRender, helm4Files, helm4PluginInstall, helm4PostRender, helm4Stream, PostRenderOutcome } from './support/helm';
import { CHART_OUTPUT, expectMeshSafe, jobsOf, objectsOf } from './support/manifests';
import { cleanEnv, InstalledPackage, installedPackage, meshjobOnPath } from './support/package';
import { podMetadataOf } from '../support/schema';
import { cleanup } from '../support/wrapper-harness';

afterEach(cleanup);

/** What Helm 3 hands its post-renderer: the manifests without the hooks (pkg/action/action.go, renderResources). */
const HELM3_MANIFESTS = parseAllDocuments(CHART_OUTPUT)
  .filter((d) => d.toJS()?.metadata?.annotations?.['helm.sh/hook'] === undefined)
  .map((d) => `---\n${d.toString()}`).join('');

/**
 * Runs a documented block of shell lines the way a user's shell and Helm would: `export` sets the
 * environment, `npm install` is the package already laid out (`--global` also puts meshjob on
 * PATH), `helm plugin install` and `helm install|upgrade` follow Helm `major`. Returns the outcome
 * of the last post-render.
 */
function runHelmBlock(block: string, major: 3 | 4, installed: InstalledPackage, env: Record<string, string>, stream: string): PostRenderOutcome {
  let outcome: PostRenderOutcome | undefined;
  for (const line of block.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
    const exported = /^export (\w+)=(.*)$/.exec(line);
    if (exported) {
      env[exported[1]] = exported[2].replace(/\$(HOME|PWD)/g, (_, v) => (v === 'HOME' ? env.HOME : installed.project));
    } else if (line.startsWith('npm install')) {
      if (line.includes('--global')) env.PATH = [meshjobOnPath(installed), env.PATH].join(delimiter);
    } else if (line.startsWith('helm plugin install ')) {
      if (major !== 4) throw new Error(`Helm 3 cannot install the v1 plugin: "${line}"`);
      helm4PluginInstall(line.split(/\s+/)[3], env, installed.project);
    } else if (/^helm (upgrade|install) /.test(line)) {
      outcome = (major === 3 ? helm3PostRender : helm4PostRender)(line, stream, env, installed.project);
    } else {
      throw new Error(`no stand-in for "${line}"`);
    }
  }
  if (!outcome) throw new Error('the block runs no helm install');
  return outcome;
}

describe('Helm 3: --post-renderer meshjob --post-renderer-args', () => {
  test.each([
    ['README.md', docLine('README.md', 'helm install shop ./shop --post-renderer meshjob --post-renderer-args')],
    ['docs/pipelines.md', docBlock('docs/pipelines.md', 'helm3')],
  ])('GIVEN the Helm 3 command line of %s WHEN Helm 3 runs meshjob from PATH with its args THEN the chart comes back mesh-safe and schema-valid', (_, block) => {
    const installed = installedPackage();
    const env = cleanEnv(installed, { PATH: [meshjobOnPath(installed), installed.path].join(delimiter) });
    const outcome = runHelmBlock(block.includes('npm install') ? block : `npm install --global meshjob\n${block}`, 3, installed, env, HELM3_MANIFESTS);
    expect(outcome.error).toBeUndefined();
    const objects = expectMeshSafe(objectsOf(outcome.output!));
    expect(jobsOf(objects).map((j) => j.metadata.name)).toEqual(['shop-backup', 'shop-reindex']);
    expect(objects.find((o) => o.kind === 'Deployment')).toEqual(objectsOf(CHART_OUTPUT).find((o) => o.kind === 'Deployment'));
  });

  test('fails the release with meshjob\'s one-line reason in Helm 3\'s error when a Job is not a valid Job', () => {
    const installed = installedPackage();
    const env = cleanEnv(installed, { PATH: [meshjobOnPath(installed), installed.path].join(delimiter) });
    const malformed = 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: seed\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        name: seed\n';
    const outcome = helm3PostRender('helm install shop ./shop --post-renderer meshjob --post-renderer-args=--mesh=istio', malformed, env, installed.project);
    expect(outcome.output).toBeUndefined();
    expect(outcome.error).toMatch(/^error while running command .*meshjob\. error output:\nmeshjob: document 1: Job seed: .*it is not a valid Job\n$/);
  });
});

describe('Helm 4: the post-renderer plugin', () => {
  /** The package installed, the plugin installed from it as the docs say, meshjob nowhere on PATH. */
  function helm4(extra: Record<string, string> = {}) {
    const installed = installedPackage();
    const env = cleanEnv(installed, { HELM_DATA_HOME: join(installed.project, 'helm-data'), ...extra });
    return { installed, env };
  }

  test('GIVEN the plugin installed from the package, no meshjob on PATH and no registry WHEN Helm 4 post-renders THEN the package\'s own CLI makes hooks mesh-safe and every document keeps its file', () => {
    const { installed, env } = helm4();
    const stream = helm4Stream(CHART_OUTPUT);
    const outcome = runHelmBlock(docBlock('docs/pipelines.md', 'helm4'), 4, installed, env, stream);
    expect(outcome.error).toBeUndefined();
    const objects = expectMeshSafe(objectsOf(outcome.output!));
    expect(jobsOf(objects).map((j) => j.metadata.name)).toEqual(['shop-migrate', 'shop-backup', 'shop-reindex']);
    expect(jobsOf(objects)[0].metadata.annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(helm4Files(outcome.output!)).toEqual(helm4Files(stream));
    expect(helm4Files(outcome.output!).filter((f) => f.startsWith('generated-by-postrender'))).toEqual([]);
    expect(existsSync(installed.npxCalls)).toBe(false);
  });

  test('the plugin\'s --post-renderer-args come after its settings file, so they win', () => {
    const { installed, env } = helm4();
    helm4PluginInstall('node_modules/meshjob/helm-plugin', env, installed.project);
    const outcome = helm4PostRender('helm install shop ./shop --post-renderer meshjob --post-renderer-args=--mesh=linkerd', helm4Stream(CHART_OUTPUT), env, installed.project);
    expectMeshSafe(objectsOf(outcome.output!), { key: 'linkerd.io/inject', value: 'enabled' });
  });

  test('MESHJOB_CONFIG replaces the settings file beside the plugin', () => {
    const { installed, env } = helm4();
    const config = join(installed.project, 'meshjob.yaml');
    writeFileSync(config, 'mesh: linkerd\n');
    helm4PluginInstall('node_modules/meshjob/helm-plugin', env, installed.project);
    const outcome = helm4PostRender('helm install shop ./shop --post-renderer meshjob', helm4Stream(CHART_OUTPUT), { ...env, MESHJOB_CONFIG: config }, installed.project);
    expectMeshSafe(objectsOf(outcome.output!), { key: 'linkerd.io/inject', value: 'enabled' });
  });

  test('GIVEN MESHJOB_LOG as the docs set it WHEN Helm 4 drops the plugin\'s stderr THEN meshjob\'s warnings are in the log file', () => {
    const { installed, env } = helm4();
    helm4PluginInstall('node_modules/meshjob/helm-plugin', env, installed.project);
    const outcome = runHelmBlock(docBlock('docs/pipelines.md', 'helm4-log'), 4, installed, env, helm4Stream(CHART_OUTPUT));
    expect(outcome.error).toBeUndefined();
    const log = readFileSync(env.MESHJOB_LOG, 'utf-8').trimEnd().split('\n');
    expect(log[0]).toMatch(/^meshjob helm plugin: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ post-render/);
    expect(log.slice(1)).toContainEqual(expect.stringMatching(/^meshjob: document 6 \(CronJob shop-backup\): restartPolicy OnFailure became Never/));
  });

  test('fails, saying why in MESHJOB_LOG, when a copy of the plugin outside the package finds no meshjob on PATH', () => {
    const { installed, env } = helm4();
    const copy = join(installed.project, 'plugins-copy', 'meshjob');
    cpSync(join(installed.pkg, 'helm-plugin'), copy, { recursive: true });
    helm4PluginInstall(copy, env, installed.project);
    const log = join(installed.project, 'meshjob.log');
    const outcome = helm4PostRender('helm install shop ./shop --post-renderer meshjob', helm4Stream(CHART_OUTPUT), { ...env, MESHJOB_LOG: log }, installed.project);
    expect(outcome.error).toBe('failed to invoke post-renderer plugin "meshjob": plugin "meshjob" exited with error');
    expect(readFileSync(log, 'utf-8')).toMatch(/^meshjob helm plugin: no meshjob CLI at .*plugins-copy\/lib\/cli\/main\.js and none on PATH: install the plugin from the npm package/m);
    expect(existsSync(installed.npxCalls)).toBe(false);
  });

  test('fails, saying in MESHJOB_LOG how to fix it, when the node it should run is not there', () => {
    const { installed, env } = helm4();
    helm4PluginInstall('node_modules/meshjob/helm-plugin', env, installed.project);
    const log = join(installed.project, 'logs', 'meshjob.log');
    const outcome = helm4PostRender('helm install shop ./shop --post-renderer meshjob', helm4Stream(CHART_OUTPUT), { ...env, MESHJOB_LOG: log, MESHJOB_NODE: 'node-missing' }, installed.project);
    expect(outcome.error).toMatch(/plugin "meshjob" exited with error$/);
    expect(readFileSync(log, 'utf-8')).toMatch(/^meshjob helm plugin: cannot run .*\/lib\/cli\/main\.js: "node-missing" is not on PATH; install Node\.js 18 or later, or set MESHJOB_NODE to its path$/m);
  });

  test('a copy of the plugin outside the package runs the meshjob on PATH', () => {
    const { installed, env } = helm4();
    const copy = join(installed.project, 'plugins-copy', 'meshjob');
    cpSync(join(installed.pkg, 'helm-plugin'), copy, { recursive: true });
    helm4PluginInstall(copy, env, installed.project);
    const outcome = helm4PostRender('helm install shop ./shop --post-renderer meshjob', helm4Stream(CHART_OUTPUT),
      { ...env, PATH: [meshjobOnPath(installed), env.PATH].join(delimiter) }, installed.project);
    expectMeshSafe(objectsOf(outcome.output!));
  });

  test('the hook Job keeps Helm 4\'s filename annotation, so Helm files it under its template', () => {
    const { installed, env } = helm4();
    helm4PluginInstall('node_modules/meshjob/helm-plugin', env, installed.project);
    const outcome = helm4PostRender('helm install shop ./shop --post-renderer meshjob', helm4Stream(CHART_OUTPUT), env, installed.project);
    const migrate = objectsOf(outcome.output!).find((o) => o.metadata?.name === 'shop-migrate');
    expect(migrate.metadata.annotations['postrenderer.helm.sh/postrender-filename']).toBe('shop/templates/migrate-job.yaml');
    expect(podMetadataOf(migrate).annotations['meshjob/lifecycle']).toBe('wrap');
  });
});

describe('Helm 3 and Helm 4 on one machine', () => {
  /** A Helm 3 plugin (legacy plugin.yaml) in Helm's default plugins folder, as `helm plugin install` leaves one. */
  function withHelm3Plugin(env: Record<string, string>) {
    const dir = join(env.HOME, '.local', 'share', 'helm', 'plugins', 'diff');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'plugin.yaml'), 'name: diff\nversion: 3.9.0\nusage: Preview helm upgrade changes as a diff\nplatformCommand:\n  - command: ${HELM_PLUGIN_DIR}/bin/diff\n');
  }

  test('GIVEN the Helm 4 plugin in the plugins folder both share by default WHEN Helm 3 loads its plugins THEN it loads none, its own included', () => {
    const installed = installedPackage();
    const env = cleanEnv(installed);
    withHelm3Plugin(env);
    expect(helm3LoadPlugins(env)).toEqual({ names: ['diff'] });
    helm4PluginInstall('node_modules/meshjob/helm-plugin', env, installed.project);
    expect(helm3LoadPlugins(env).error).toMatch(/^failed to load plugins: .*helm-plugin\/plugin\.yaml.*unknown field "apiVersion"/);
  });

  test('GIVEN Helm 4 with the data home the docs give it WHEN both load their plugins THEN Helm 3 keeps its own and Helm 4 runs meshjob', () => {
    const installed = installedPackage();
    const env = cleanEnv(installed);
    withHelm3Plugin(env);
    const alias = /^alias helm4='HELM_DATA_HOME=(\S+) helm4'$/m.exec(docBlock('docs/pipelines.md', 'helm-side-by-side'))!;
    const helm4Env = { ...env, HELM_DATA_HOME: alias[1].replace('$HOME', env.HOME) };
    helm4PluginInstall('node_modules/meshjob/helm-plugin', helm4Env, installed.project);
    expect(helm3LoadPlugins(env)).toEqual({ names: ['diff'] });
    expectMeshSafe(objectsOf(helm4PostRender('helm install shop ./shop --post-renderer meshjob', helm4Stream(CHART_OUTPUT), helm4Env, installed.project).output!));
  });
});
