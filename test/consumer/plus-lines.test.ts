// Values of a newer cdk8s-plus line passed to a MeshJob, which is built on cdk8s-plus-28: which
// ones compile, and whether the Job renders the same as with the cdk8s-plus-28 value. Each case is
// a small app (TypeScript, strict) type-checked against cdk8s-plus-33 and cdk8s-plus-34 and the
// library as an app imports it ('meshjob'); the ones that compile are run with the newer line and
// again with cdk8s-plus-28 in its place, and their Jobs compared. README.md's "cdk8s-plus lines"
// table states each result: the test fails when it says anything else.
import { readFileSync } from 'fs';
import { join } from 'path';
import * as cdk8s from 'cdk8s';
import { Chart, Testing } from 'cdk8s';
import * as kplus28 from 'cdk8s-plus-28';
import * as kplus33 from 'cdk8s-plus-33';
import * as kplus34 from 'cdk8s-plus-34';
import * as ts from 'typescript';
import * as meshjob from '../../src';
import { typeCheckSources } from '../support/type-check';

const ROOT = join(__dirname, '..', '..');
/** The newer lines installed as devDependencies, with their versions (package-lock.json). */
const MODULES: Record<string, unknown> = { 28: kplus28, 33: kplus33, 34: kplus34 };
const LINES = ['33', '34'].map((line) => ({
  line,
  version: JSON.parse(readFileSync(join(ROOT, 'node_modules', `cdk8s-plus-${line}`, 'package.json'), 'utf-8')).version as string,
}));

interface PlusCase {
  /** The README's first column: the value, as made with the app's line (`kplus`). */
  readonly value: string;
  /** The README's second column: where it goes in MeshJobProps. */
  readonly prop: string;
  /** Statements with `kplus` (the app's line), `kplus28`, `chart` and `job(props)` in scope. */
  readonly code: string;
}

const CASES: PlusCase[] = [
  { value: '`EnvValue.fromValue`', prop: '`containers[].envVariables`', code: "job({ containers: [{ ...app, envVariables: { A: kplus.EnvValue.fromValue('x') } }] });" },
  { value: '`EnvValue.fromSecretValue` with a `Secret`', prop: '`containers[].envVariables`', code: "job({ containers: [{ ...app, envVariables: { A: kplus.EnvValue.fromSecretValue({ secret: kplus.Secret.fromSecretName(chart, 's', 'db'), key: 'password' }) } }] });" },
  { value: '`EnvValue.fromConfigMap` with a `ConfigMap`', prop: '`containers[].envVariables`', code: "job({ containers: [{ ...app, envVariables: { A: kplus.EnvValue.fromConfigMap(kplus.ConfigMap.fromConfigMapName(chart, 'cm', 'settings'), 'region') } }] });" },
  { value: '`EnvValue.fromFieldRef` with `EnvFieldPaths`', prop: '`containers[].envVariables`', code: 'job({ containers: [{ ...app, envVariables: { A: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME) } }] });' },
  { value: '`EnvValue.fromResource` with `ResourceFieldPaths`', prop: '`containers[].envVariables`', code: 'job({ containers: [{ ...app, envVariables: { A: kplus.EnvValue.fromResource(kplus.ResourceFieldPaths.CPU_LIMIT) } }] });' },
  { value: '`Secret`', prop: '`dockerRegistryAuth`', code: "job({ dockerRegistryAuth: new kplus.Secret(chart, 'pull') });" },
  { value: '`ServiceAccount`', prop: '`serviceAccount`', code: "job({ serviceAccount: new kplus.ServiceAccount(chart, 'sa') });" },
  { value: '`ServiceAccount.fromServiceAccountName`', prop: '`serviceAccount`', code: "job({ serviceAccount: kplus.ServiceAccount.fromServiceAccountName(chart, 'sa', 'reports') });" },
  { value: '`Cpu`', prop: '`containers[].resources`', code: 'job({ containers: [{ ...app, resources: { cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) } } }] });' },
  { value: '`ImagePullPolicy`', prop: '`containers[].imagePullPolicy`', code: 'job({ containers: [{ ...app, imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT }] });' },
  { value: '`Protocol`', prop: '`containers[].ports`', code: 'job({ containers: [{ ...app, ports: [{ number: 8080, protocol: kplus.Protocol.TCP }] }] });' },
  { value: '`RestartPolicy`', prop: '`restartPolicy`', code: 'job({ restartPolicy: kplus.RestartPolicy.NEVER });' },
  { value: '`DnsPolicy`', prop: '`dns`', code: 'job({ dns: { policy: kplus.DnsPolicy.CLUSTER_FIRST } });' },
  { value: '`FsGroupChangePolicy`', prop: '`securityContext`', code: 'job({ securityContext: { fsGroup: 1000, fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH } });' },
  { value: '`ConcurrencyPolicy`', prop: '`concurrencyPolicy`', code: 'job({ schedule: Cron.daily(), concurrencyPolicy: kplus.ConcurrencyPolicy.REPLACE });' },
  { value: '`ContainerRestartPolicy`', prop: '`initContainers[].restartPolicy`', code: "job({ initContainers: [{ name: 'log', image: 'x', command: ['/log'], restartPolicy: kplus.ContainerRestartPolicy.ALWAYS }] });" },
  { value: '`Capability`', prop: '`containers[].securityContext`', code: 'job({ containers: [{ ...app, securityContext: { capabilities: { add: [kplus.Capability.NET_ADMIN] } } }] });' },
  { value: '`Volume`', prop: '`volumes`, `containers[].volumeMounts`', code: "const v = kplus.Volume.fromEmptyDir(chart, 'v', 'scratch'); job({ volumes: [v], containers: [{ ...app, volumeMounts: [{ path: '/scratch', volume: v }] }] });" },
  { value: '`Probe`', prop: '`containers[].readiness`, `liveness`, `startup`', code: "job({ containers: [{ ...app, liveness: kplus.Probe.fromCommand(['/healthy']) }] });" },
  { value: '`Handler`', prop: '`containers[].lifecycle`', code: "job({ containers: [{ ...app, lifecycle: { preStop: kplus.Handler.fromCommand(['/drain']) } }] });" },
  { value: '`Env.fromSecret`, `Env.fromConfigMap`', prop: '`containers[].envFrom`', code: "job({ containers: [{ ...app, envFrom: [kplus.Env.fromSecret(kplus.Secret.fromSecretName(chart, 's', 'db'))] }] });" },
  { value: 'a `ContainerProps`-typed object', prop: '`containers[]`', code: 'const c: kplus.ContainerProps = { ...app }; job({ containers: [c] });' },
  { value: 'a `Secret`, `ConfigMap` or `PersistentVolumeClaim` in cdk8s-plus-28\'s `Volume.fromSecret`, `fromConfigMap`, `fromPersistentVolumeClaim`', prop: '`volumes`', code: "job({ volumes: [kplus28.Volume.fromSecret(chart, 'v1', kplus.Secret.fromSecretName(chart, 's', 'db')), kplus28.Volume.fromConfigMap(chart, 'v2', kplus.ConfigMap.fromConfigMapName(chart, 'cm', 'settings')), kplus28.Volume.fromPersistentVolumeClaim(chart, 'v3', kplus.PersistentVolumeClaim.fromClaimName(chart, 'p', 'data'))] });" },
  { value: 'a `Secret` or `ConfigMap` in cdk8s-plus-28\'s `Env.fromSecret`, `Env.fromConfigMap`', prop: '`containers[].envFrom`', code: "job({ containers: [{ ...app, envFrom: [kplus28.Env.fromSecret(kplus.Secret.fromSecretName(chart, 's', 'db')), kplus28.Env.fromConfigMap(kplus.ConfigMap.fromConfigMapName(chart, 'cm', 'settings'))] }] });" },
];

/** The app around a case: the case's statements after the imports a user's app has. */
function appSource(line: string, c: PlusCase): string {
  return [
    "import { App, Chart, Cron } from 'cdk8s';",
    `import * as kplus from 'cdk8s-plus-${line}';`,
    "import * as kplus28 from 'cdk8s-plus-28';",
    "import { Mesh, MeshJob, MeshJobProps } from 'meshjob';",
    "export const chart = new Chart(new App(), 'reports');",
    "const app = { name: 'report', image: 'registry.example.com/report:1.4', command: ['/report'] };",
    "const job = (props: Partial<MeshJobProps>) => new MeshJob(chart, 'nightly', { mesh: Mesh.istio(), containers: [app], ...props });",
    'void kplus28; void Cron;',
    c.code,
    '',
  ].join('\n');
}

const fileOf = (line: string, i: number) => join(ROOT, `plus-${line}-case-${i}.ts`);

/**
 * Type-checks every case against each of `lines`, as apps importing the library's package would;
 * returns each case's errors by file.
 */
function typeCheck(lines: string[]): Map<string, string[]> {
  const sources = new Map<string, string>();
  for (const line of lines) CASES.forEach((c, i) => sources.set(fileOf(line, i), appSource(line, c)));
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    skipLibCheck: true,
    types: ['node'],
    baseUrl: ROOT,
    paths: { meshjob: ['src/index.ts'] },
  };
  return typeCheckSources(sources, options, (d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

/** Runs a case's app with cdk8s-plus-`runLine` as the app's line, and returns the Job or CronJob MeshJob rendered. */
function renderWith(line: string, c: PlusCase, runLine: string): any {
  const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 };
  const js = ts.transpileModule(appSource(line, c), { compilerOptions }).outputText;
  const modules: Record<string, unknown> = {
    'cdk8s': cdk8s,
    [`cdk8s-plus-${line}`]: MODULES[runLine],
    'cdk8s-plus-28': kplus28,
    'meshjob': meshjob,
  };
  const exports: { chart?: Chart } = {};
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function('require', 'exports', js)((name: string) => modules[name], exports);
  return Testing.synth(exports.chart!).find((m) => m.kind === 'Job' || m.kind === 'CronJob');
}

type Verdict = 'yes, the same Job' | 'compiles, another Job' | 'no: does not compile';

/** The README's table: the rows between its markers, as cells. */
function readmeTable(): string[][] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf-8');
  const table = /<!-- plus-lines-table -->\n([\s\S]*?)\n<!-- \/plus-lines-table -->/.exec(readme);
  if (!table) throw new Error('README.md has no <!-- plus-lines-table --> ... <!-- /plus-lines-table --> block');
  return table[1].split('\n').filter((l) => l.startsWith('|')).map((l) => l.slice(1, -1).split(' | ').map((cell) => cell.trim()));
}

describe('values of a newer cdk8s-plus line in a MeshJob', () => {
  let diagnostics: Map<string, string[]>;
  const verdicts = new Map<string, Verdict>();
  beforeAll(() => {
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    diagnostics = typeCheck(['28', ...LINES.map(({ line }) => line)]);
  });
  afterAll(() => jest.restoreAllMocks());

  test('GIVEN each case with cdk8s-plus-28 itself THEN it compiles: a failure on a newer line is the line\'s', () => {
    const failing = CASES.map((c, i) => [c.value, diagnostics.get(fileOf('28', i))]).filter(([, errors]) => errors!.length > 0);
    expect(failing).toEqual([]);
  });

  describe.each(LINES)('cdk8s-plus-$line $version', ({ line }) => {
    test.each(CASES.map((c, i) => [c.value, c, i] as const))('%s', (_value, c, i) => {
      const errors = diagnostics.get(fileOf(line, i))!;
      let verdict: Verdict;
      if (errors.length > 0) {
        verdict = 'no: does not compile';
      } else {
        verdict = JSON.stringify(renderWith(line, c, line)) === JSON.stringify(renderWith(line, c, '28'))
          ? 'yes, the same Job' : 'compiles, another Job';
      }
      verdicts.set(`${line}\0${c.value}`, verdict);
    });
  });

  test('GIVEN every verdict THEN README.md\'s cdk8s-plus lines table states each one, for each line', () => {
    const header = ['value made with your line', 'passed as', ...LINES.map(({ line, version }) => `cdk8s-plus-${line} ${version}`)];
    const rows = CASES.map((c) => [c.value, c.prop, ...LINES.map(({ line }) => verdicts.get(`${line}\0${c.value}`) ?? 'not run')]);
    expect(readmeTable()).toEqual([header, header.map(() => '---'), ...rows]);
  });
});
