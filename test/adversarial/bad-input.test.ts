import { readdirSync, readFileSync, statSync, writeFileSync } from 'fs';
import { join, relative } from 'path';
import { ApiObject, Chart, Cron, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as fc from 'fast-check';
import { apiServerObjections, restrictedViolations } from './api-rules';
import { testCases, testSeed } from './arbitraries';
import { withGeneratedBlocks } from '../../scripts/readme-tables';
import {
  HttpClient, HttpMethod, IstioStopMethod, Mesh, MeshJob, MeshJobProps, MeshJobs, PodFailurePolicyAction, PodFailureRule,
  ReadyTimeoutAction, SidecarContainerProps, SidecarInjection, SidecarLifecycle, WrapOptions, WrapperRuntime,
} from '../../src';
import { toManifestLifecycle } from '../../src/cli/options';
import { CannotWrite, editDocument } from '../../src/cli/yaml/edit';
import { readDocument } from '../../src/cli/yaml/read';
import { chooseLifecycle } from '../../src/lifecycle/select';
import { runMeshjob } from '../cli/run';
import { newChart } from '../support/render';
import { podMetadataOf, podSpecOf, validateAll } from '../support/schema';
import { cleanup, tempDir } from '../support/wrapper-harness';

// The bad-input catalogue: every `throw new Error` in src/ has a test, here or where the catalogue
// points, and the catalogue itself fails when src/ gains or loses a throw site. Then a
// generated-props test: random combinations of valid and invalid MeshJob props either render
// manifests that the schema (and the API server's own Job rules) accept, or throw a plain Error
// with a message; never a TypeError, a RangeError, a non-Error or an invalid manifest.

const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'src');

const report = { name: 'report', image: 'registry.example.com/report:1.4', command: ['/report'] };

/**
 * One error MeshJob raises, keyed by a fragment of its message (so moving code does not change the
 * catalogue), and the test that raises it.
 */
interface Entry {
  readonly fragment: string;
  /** [test file, test title] of an existing test, or 'here' for a test in this file's catalogue describe. */
  readonly test: [string, string] | 'here';
}

const ERRORS = 'test/job/errors.test.ts';
const SCHEDULE = 'test/job/schedule.test.ts';
const LIFECYCLE = 'test/lifecycle/lifecycle.test.ts';
const MESHES = 'test/meshes/meshes.test.ts';
const VERSIONS = 'test/versions.test.ts';
const CLI = 'test/cli/post-render.test.ts';
const ADVERSARIAL = 'test/adversarial/bad-input.test.ts';
const FIDELITY = 'test/meshes/fidelity.test.ts';

const CATALOGUE: Entry[] = [
  { fragment: 'it is not a map of options', test: 'here' },
  { fragment: '--mesh is required', test: [CLI, 'fails without a mesh'] },
  { fragment: '--mesh envoy needs --envoy-admin-port', test: 'here' },
  { fragment: 'unknown mesh', test: [CLI, 'fails on an unknown mesh'] },
  { fragment: 'unknown lifecycle', test: 'here' },
  { fragment: 'only apply to a CronJob', test: [ERRORS, 'fails when CronJob options are given without a schedule'] },
  { fragment: 'use five fields (minute hour day-of-month month day-of-week)', test: [SCHEDULE, 'fails on a minute outside 0-59, naming the field and the range'] },
  { fragment: 'is not a time zone of the tz database', test: [SCHEDULE, 'fails on a time zone the tz database does not have'] },
  { fragment: "podFailurePolicy needs the pod's restartPolicy to be Never", test: [LIFECYCLE, 'fails when rules are given with restartPolicy OnFailure'] },
  { fragment: 'podFailurePolicy needs Kubernetes >=', test: [LIFECYCLE, 'fails when rules are given for Kubernetes before 1.26'] },
  { fragment: 'must be 1 to 255 whole numbers from 0 to 255', test: [LIFECYCLE, 'fails for exit codes out of range'] },
  { fragment: 'must not include 0 with operator In', test: [LIFECYCLE, 'fails for exit code 0 with operator In'] },
  { fragment: 'is not a condition name', test: 'here' },
  { fragment: 'which the pod does not have', test: [ADVERSARIAL, 'an exit-code rule naming a container the pod does not have: a synth-time Error'] },
  { fragment: 'but Kubernetes allows', test: [ADVERSARIAL, 'four main containers with four exit-code rules: at most 20 rules, or a synth-time Error'] },
  { fragment: 'would read as an option', test: [ERRORS, 'fails when a wrapped command starts with a dash'] },
  { fragment: 'cannot be used with wrapped containers', test: [ERRORS, 'fails when restartPolicy OnFailure is combined with wrapping, pointing to backoffLimit'] },
  { fragment: 'is reserved for the wrapper (its shared directory', test: [ERRORS, "fails when a user volume takes the wrapper\\'s volume name"] },
  { fragment: 'but it has no command', test: [ERRORS, 'fails when a wrapped container has no command'] },
  { fragment: 'variables belong to the wrapper', test: [ERRORS, 'fails when a container sets a variable the wrapper owns'] },
  { fragment: 'which the wrapper uses: mount it elsewhere', test: [ERRORS, 'fails when a container mounts a volume where the wrapper lives'] },
  { fragment: 'has no containers', test: [ERRORS, 'fails when there are no containers'] },
  { fragment: 'has two containers named', test: [ERRORS, 'fails when two containers share a name, including the default name'] },
  { fragment: 'is not a DNS label', test: [ERRORS, 'fails when a container name is not a DNS label'] },
  { fragment: 'is the name of a container the mesh or MeshJob adds', test: [ERRORS, 'fails when a container is named like the container the mesh injects'] },
  { fragment: "opts out of the mesh's injection", test: [ERRORS, "fails when podMetadata opts out of the mesh\\'s injection, naming the conflict"] },
  { fragment: 'which the mesh settings need', test: [ERRORS, 'fails when podMetadata contradicts a mesh label with another value'] },
  { fragment: 'must be a whole number of seconds, at least 1', test: [ERRORS, 'fails when readyTimeout is not a whole number of seconds'] },
  { fragment: 'is too short: use at least Duration.millis(1)', test: [ERRORS, 'fails when readyPollInterval is zero'] },
  { fragment: 'is shorter than readyPollInterval', test: [ERRORS, 'fails when the ready timeout is shorter than the poll interval'] },
  { fragment: 'must be a whole number from 1 to', test: [ERRORS, 'fails when quitAttempts is not a positive whole number'] },
  { fragment: "the job's own sidecars need SidecarLifecycle.wrap()", test: [LIFECYCLE, "fails when the job\\'s own sidecars are left with no lifecycle"] },
  { fragment: 'native sidecars need Kubernetes >=', test: [LIFECYCLE, 'fails on Kubernetes before 1.28'] },
  { fragment: 'extra quit requests are sent by the wrapper, which native mode does not use', test: 'here' },
  { fragment: 'has no native sidecar mode: use SidecarLifecycle.wrap()', test: [LIFECYCLE, 'fails for a mesh with no native mode at all'] },
  { fragment: 'has no per-pod native sidecar mode; it needs', test: [LIFECYCLE, 'fails for a mesh version without per-pod native mode, naming the minimum'] },
  { fragment: 'is not a version: write it as', test: [LIFECYCLE, 'fails with a version that is not one'] },
  { fragment: 'is not a Kubernetes version MeshJob renders for', test: [VERSIONS, 'fails on "1.3", the typo of "1.30", showing the accepted forms'] },
  { fragment: 'is not a Linkerd 2 version', test: [VERSIONS, 'fails on a Linkerd version that is not a Linkerd 2 release'] },
  { fragment: 'is not a Linkerd version: write it as', test: [VERSIONS, 'fails on a Linkerd version that is not a Linkerd 2 release'] },
  { fragment: 'has no proxy lifecycle (/graceful_shutdown came in', test: [FIDELITY, 'fails for consul-k8s %s, which has no proxy lifecycle: every quit would be refused'] },
  { fragment: 'is not a URL path: start it with', test: [FIDELITY, 'fails on a port that is not one, naming where to find the right one'] },
  { fragment: 'applies to --mesh', test: [FIDELITY, "fails when a mesh\\'s flag is given for another mesh"] },
  { fragment: '--proxy-not-injected must be fail or start', test: 'here' },
  { fragment: 'is longer than the wrapper allows', test: [ERRORS, 'fails when a duration is beyond what the wrapper can count, naming the bound'] },
  { fragment: 'cannot be wrapped: ', test: ['test/manifests/apply.test.ts', 'fails such a Job with strict, as MeshJob does'] },
  { fragment: 'it is not a valid', test: 'here' },
  { fragment: 'is not FIELD=VALUE', test: ['test/cli/post-renderer.test.ts', 'fails on a bad selector, saying the syntax'] },
  { fragment: 'every container is named as a sidecar', test: ['test/manifests/apply.test.ts', 'fails when every container is named as a sidecar, naming the option'] },
  { fragment: 'is not a loopback http:// URL', test: [ERRORS, 'fails when a quit request is not on the loopback address'] },
  { fragment: 'is not a port number', test: [MESHES, 'fails when the admin port is not a port number'] },
  { fragment: 'is not a valid image reference', test: [ERRORS, 'fails when the busybox image is not an image reference'] },
  { fragment: 'is not an absolute path', test: [ERRORS, 'fails when the image shell is not an absolute path'] },
  { fragment: 'is not a non-root user or group ID', test: [ERRORS, 'fails when the busybox runtime is given a root or malformed user ID'] },
  { fragment: 'leaves the user and group to the platform', test: [ERRORS, 'fails when the busybox runtime is given a user ID and told the platform assigns one'] },
  { fragment: 'has no status port to wait on', test: [MESHES, 'fails for Istio before 1.1, which has no status port'] },
  { fragment: 'has no /quitquitquit (it came in', test: [MESHES, 'fails for Istio before 1.3 with the quit endpoint, pointing to KILL_PILOT_AGENT'] },
  { fragment: 'is not a Kubernetes key: use [prefix/]name', test: [MESHES, 'fails on a label or annotation key that is not a Kubernetes key'] },
  { fragment: 'has a value Kubernetes refuses', test: [MESHES, 'fails on a label the API server would refuse, naming it'] },
  { fragment: 'is not a revision or tag name', test: [MESHES, 'fails on a revision that is not a label value'] },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every place src/ constructs an Error: where, and the source text of its message (up to the statement's end). */
function errorSites(): Array<{ where: string; text: string }> {
  return sourceFiles(SRC).flatMap((file) => {
    const source = readFileSync(file, 'utf8');
    return [...source.matchAll(/new Error\(/g)].map((m) => {
      const end = source.indexOf(');', m.index);
      const line = source.slice(0, m.index).split('\n').length;
      return { where: `${relative(ROOT, file)}:${line}`, text: source.slice(m.index, end < 0 ? undefined : end) };
    });
  });
}

describe('the bad-input catalogue', () => {
  test('lists every error src/ raises, each by a fragment of its own message', () => {
    const sites = errorSites();
    expect(sites.filter((site) => !CATALOGUE.some((e) => site.text.includes(e.fragment))).map((site) => site.where)).toEqual([]);
    expect(CATALOGUE.filter((e) => !sites.some((site) => site.text.includes(e.fragment))).map((e) => e.fragment)).toEqual([]);
  });

  test('every test the catalogue points to exists', () => {
    const absent = CATALOGUE.flatMap((e) => {
      if (e.test === 'here') return [];
      const [file, title] = e.test;
      return readFileSync(join(ROOT, file), 'utf8').includes(`'${title}'`) ? [] : [`${file}: ${title}`];
    });
    expect(absent).toEqual([]);
  });

  // The throw sites no other test raised.
  describe('errors no other test raises', () => {
    afterEach(cleanup);

    test('a YAML edit no text can carry exactly (a number beyond what JavaScript holds) is a CannotWrite, never a wrong document', () => {
      const text = 'a: &x 1\nb: *x\n';
      expect(() => editDocument(text, readDocument(text), { a: 1, b: 1 }, { a: 1, b: 1, c: 2 ** 60 }))
        .toThrow(new CannotWrite(`the number ${2 ** 60} is beyond what JavaScript holds exactly`));
    });

    test('extra quit requests with native sidecars (unreachable through the public API)', () => {
      // SidecarLifecycle.native() takes no wrap options and auto() wraps whenever extra quit
      // requests are given, so only plan input built by hand reaches this check.
      const native = SidecarLifecycle.native()._toInput();
      const lifecycle = { ...native, wrap: { ...native.wrap, extraQuitRequests: [{ url: 'http://localhost:9091/quitquitquit' }] } };
      expect(() => chooseLifecycle({ subject: "meshjob 'reports/nightly'", mesh: Mesh.istio({ version: '1.24' })._contract, lifecycle, hasSidecars: false }))
        .toThrow("meshjob 'reports/nightly': extra quit requests are sent by the wrapper, which native mode does not use: declare those sidecars in `sidecars` or use SidecarLifecycle.wrap()");
    });

    test('an unknown --proxy-not-injected action', () => {
      expect(() => toManifestLifecycle({ mesh: 'istio', proxyNotInjected: 'sometimes' })).toThrow('--proxy-not-injected must be fail or start, not "sometimes"');
    });

    test('a pod condition type that is not a condition name', () => {
      expect(() => PodFailureRule.onPodCondition(PodFailurePolicyAction.FAIL_JOB, 'Disruption Target'))
        .toThrow('pod condition type "Disruption Target" is not a condition name such as "DisruptionTarget"');
      expect(() => PodFailureRule.onPodCondition(PodFailurePolicyAction.FAIL_JOB, '')).toThrow(/pod condition type "" is not a condition name/);
    });

    test('a Job manifest without a pod template, given to MeshJobs.applyTo', () => {
      const chart = newChart();
      new ApiObject(chart, 'broken', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'broken' }, spec: { template: {} } } as any);
      expect(() => MeshJobs.applyTo(chart, { mesh: Mesh.istio() })).toThrow('Job broken: it has no pod template with containers: it is not a valid Job');
    });

    test('the CLI: --mesh envoy without --envoy-admin-port, an unknown lifecycle, a config file that is not a map', async () => {
      expect(() => toManifestLifecycle({ mesh: 'envoy' })).toThrow('--mesh envoy needs --envoy-admin-port');
      expect(() => toManifestLifecycle({ mesh: 'istio', lifecycle: 'sometimes' }))
        .toThrow('unknown lifecycle "sometimes": use one of auto, wrap, native, none');
      const config = join(tempDir(), 'meshjob.yaml');
      writeFileSync(config, '- mesh: istio\n');
      expect(await runMeshjob(['--config', config], 'kind: ConfigMap\napiVersion: v1\n'))
        .toEqual({ code: 1, stdout: '', stderr: `meshjob: cannot read config ${config}: it is not a map of options\n` });
    });

    test('a README without the generated tables\' markers (scripts/, not the package)', () => {
      expect(() => withGeneratedBlocks('# MeshJob\n')).toThrow(/^README.md has no <!-- lifecycle-table:begin/);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Generated props.

/** Mostly a valid value, sometimes an invalid one (each generated props object should have a fair chance to render). */
function pick<T>(valid: readonly T[], invalid: readonly T[], validWeight = 30): fc.Arbitrary<T> {
  return fc.oneof({ weight: validWeight, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constantFrom(...invalid) });
}
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });

const VALID_NAMES = ['main', 'app', 'worker', 'db-migrate', undefined];
const INVALID_NAMES = ['istio-proxy', 'meshjob-busybox', 'Bad_Name', 'x'.repeat(64), ''];
const K8S = pick(['1.25', '1.26', '1.27', '1.28', '1.29', '1.30', '1.33', 'v1.31.2', '1.30.0-gke.100'], ['latest', '', '1', '1.x']);
const GOOD_URLS = ['http://localhost:9091/quitquitquit', 'http://127.0.0.1:9090/ready', 'http://[::1]:8080/q?x=1'];
const BAD_URLS = ['https://localhost:9091/q', 'http://10.0.0.1:9091/q', 'http://localhost:70000/q', 'http://localhost:9091/$(id)', 'localhost:9091', ''];

const version = (valid: string[]) => opt(pick(valid, ['latest', '', 'one.two', '1']));
const url = pick(GOOD_URLS, BAD_URLS, 12);

/** A Duration as data (built inside the test, where its own errors are caught). */
const duration = opt(fc.oneof(
  { weight: 30, arbitrary: fc.record({ unit: fc.constantFrom('seconds' as const, 'minutes' as const), n: fc.constantFrom(1, 2, 20, 120) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      unit: fc.constantFrom('millis' as const, 'seconds' as const, 'minutes' as const),
      n: fc.constantFrom(-1, 0, 0.5, 1, 20, 1500, Number.NaN, Number.POSITIVE_INFINITY),
    }),
  },
));
type DurationSpec = { unit: 'millis' | 'seconds' | 'minutes'; n: number } | undefined;
const toDuration = (d: DurationSpec): Duration | undefined => (d === undefined ? undefined : Duration[d.unit](d.n));

const meshSpec = fc.oneof(
  fc.record({
    kind: fc.constant('istio' as const),
    injection: opt(fc.constantFrom(...Object.values(SidecarInjection))),
    hold: opt(fc.boolean()),
    stop: opt(fc.constantFrom(...Object.values(IstioStopMethod))),
    version: version(['1.2', '1.3', '1.23', '1.24', '1.26.1', 'v1.25']),
  }),
  fc.record({ kind: fc.constant('istioAmbient' as const) }),
  fc.record({
    kind: fc.constant('linkerd' as const),
    injection: opt(fc.constantFrom(...Object.values(SidecarInjection))),
    proxyAwait: opt(fc.boolean()),
    version: version(['2.14', '2.15', '2.16', '2.19', '2.20.1']),
  }),
  fc.record({
    kind: fc.constant('consul' as const),
    injection: opt(fc.constantFrom(...Object.values(SidecarInjection))),
    grace: duration,
    version: version(['1.1.0', '1.8', '1.9.0', 'v1.10']),
  }),
  fc.record({
    kind: fc.constant('kuma' as const),
    injection: opt(fc.constantFrom(...Object.values(SidecarInjection))),
    wait: opt(fc.boolean()),
    version: version(['2.7', '2.14']),
  }),
  fc.record({ kind: fc.constant('envoy' as const), port: pick([1, 9901, 65535], [-1, 0, 65536, 99.5, Number.NaN]) }),
  fc.record({
    kind: fc.constant('custom' as const),
    name: opt(fc.constantFrom('inhouse', '', 'a b')),
    readinessUrl: opt(url),
    quit: fc.array(fc.record({ url, method: opt(fc.constantFrom(HttpMethod.GET, HttpMethod.POST)) }), { maxLength: 2 }),
    labels: opt(fc.constantFrom<Record<string, string>>({ 'mesh.example.com/inject': 'true' }, { 'sidecar.istio.io/inject': 'false' })),
  }),
  fc.record({ kind: fc.constant('none' as const) }),
);
type MeshSpec = typeof meshSpec extends fc.Arbitrary<infer T> ? T : never;

function toMesh(m: MeshSpec): Mesh {
  switch (m.kind) {
    case 'istio': return Mesh.istio({ injection: m.injection, holdApplicationUntilProxyStarts: m.hold, stopMethod: m.stop, version: m.version });
    case 'istioAmbient': return Mesh.istioAmbient();
    case 'linkerd': return Mesh.linkerd({ injection: m.injection, proxyAwait: m.proxyAwait, version: m.version });
    case 'consul': return Mesh.consul({ injection: m.injection, shutdownGracePeriod: toDuration(m.grace), version: m.version });
    case 'kuma': return Mesh.kuma({ injection: m.injection, waitForDataplaneReady: m.wait, version: m.version });
    case 'envoy': return Mesh.envoy({ adminPort: m.port });
    case 'custom': return Mesh.custom({ name: m.name, readinessUrl: m.readinessUrl, quitRequests: m.quit, podLabels: m.labels });
    case 'none': return Mesh.none();
  }
}

const wrapSpec = fc.record({
  runtime: opt(fc.oneof(
    fc.record({ kind: fc.constant('busybox' as const), image: opt(pick(['busybox:1.36.1-uclibc', `r.example.com/bb@sha256:${'c'.repeat(64)}`], ['Busybox', 'bb;id', ''])) }),
    fc.record({
      kind: fc.constant('imageShell' as const),
      shell: opt(pick(['/bin/sh', '/bin/bash'], ['sh', '/bin/s h', ''])),
      client: opt(fc.constantFrom(HttpClient.CURL, HttpClient.WGET)),
    }),
  )),
  readyTimeout: duration,
  readyPollInterval: duration,
  requestTimeout: duration,
  onReadyTimeout: opt(fc.constantFrom(ReadyTimeoutAction.FAIL, ReadyTimeoutAction.START)),
  quitAttempts: opt(pick([1, 5, 100], [-1, 0, 101, 2.5, Number.NaN])),
  quitRetryDelay: duration,
  keepProxyOnFailure: opt(fc.boolean()),
  extraQuit: fc.array(url, { maxLength: 1 }),
  sidecarStopTimeout: duration,
});
type WrapSpec = typeof wrapSpec extends fc.Arbitrary<infer T> ? T : never;

function toWrapOptions(w: WrapSpec): WrapOptions {
  const r = w.runtime;
  return {
    runtime: r === undefined ? undefined
      : r.kind === 'busybox' ? WrapperRuntime.busybox({ image: r.image }) : WrapperRuntime.imageShell({ shell: r.shell, httpClient: r.client }),
    readyTimeout: toDuration(w.readyTimeout),
    readyPollInterval: toDuration(w.readyPollInterval),
    requestTimeout: toDuration(w.requestTimeout),
    onReadyTimeout: w.onReadyTimeout,
    quitAttempts: w.quitAttempts,
    quitRetryDelay: toDuration(w.quitRetryDelay),
    keepProxyOnFailure: w.keepProxyOnFailure,
    extraQuitRequests: w.extraQuit.map((u) => ({ url: u })),
    sidecarStopTimeout: toDuration(w.sidecarStopTimeout),
  };
}

const lifecycleSpec = opt(fc.oneof(
  fc.record({ kind: fc.constant('wrap' as const), wrap: wrapSpec }),
  fc.record({ kind: fc.constant('auto' as const), wrap: wrapSpec }),
  fc.record({ kind: fc.constant('native' as const) }),
  fc.record({ kind: fc.constant('none' as const) }),
));

const containerSpec = fc.record({
  name: pick(VALID_NAMES, INVALID_NAMES),
  command: pick([['/app'], ['/app', '--once']], [undefined, []], 6),
  args: opt(fc.constantFrom(['--since', '24h'], ['$(HOME)', '$$'], [''])),
  env: opt(pick(['FOO'], ['MESHJOB_DIR', 'MESHJOB'])),
  mountAt: opt(pick(['/data', '/meshjobs'], ['/meshjob', '/meshjob/x'])),
});

const sidecarSpec = fc.record({
  name: pick(['logs', 'cloud-sql-proxy', 'envoy'], INVALID_NAMES),
  command: pick([['/logs']], [undefined], 3),
  quitUrl: opt(url),
  readinessUrl: opt(url),
});

const ruleSpec = fc.oneof(
  fc.record({
    kind: fc.constant('exit' as const),
    action: fc.constantFrom(...Object.values(PodFailurePolicyAction)),
    codes: fc.array(pick([1, 2, 42, 75, 137, 255], [-1, 0, 256, 1.5, Number.NaN]), { minLength: 1, maxLength: 4 }),
    notIn: opt(fc.boolean()),
    containerName: opt(fc.constantFrom('main', 'app', 'worker', 'logs', 'ghost')),
  }),
  fc.record({ kind: fc.constant('disruption' as const), action: fc.constantFrom(...Object.values(PodFailurePolicyAction)) }),
  fc.record({
    kind: fc.constant('condition' as const),
    action: fc.constantFrom(...Object.values(PodFailurePolicyAction)),
    type: pick(['DisruptionTarget', 'ConfigIssue'], ['Disruption Target', '']),
  }),
);
type RuleSpec = typeof ruleSpec extends fc.Arbitrary<infer T> ? T : never;

function toRule(r: RuleSpec): PodFailureRule {
  switch (r.kind) {
    case 'exit': return PodFailureRule.onExitCodes(r.action, { exitCodes: r.codes, notIn: r.notIn, containerName: r.containerName });
    case 'disruption': return PodFailureRule.onDisruption(r.action);
    case 'condition': return PodFailureRule.onPodCondition(r.action, r.type);
  }
}

const cronSpec = opt(fc.record({
  schedule: fc.constantFrom('daily', 'every5', 'none'),
  timeZone: opt(fc.constantFrom('Europe/Paris', 'UTC')),
  concurrencyPolicy: opt(fc.constantFrom(...Object.values(kplus.ConcurrencyPolicy))),
  startingDeadline: duration,
  suspend: opt(fc.boolean()),
  successfulJobsRetained: opt(fc.constantFrom(0, 3)),
  failedJobsRetained: opt(fc.constantFrom(0, 1)),
}));

const propsSpec = fc.record({
  mesh: meshSpec,
  lifecycle: lifecycleSpec,
  kubernetesVersion: opt(K8S),
  containers: fc.oneof(
    { weight: 30, arbitrary: fc.uniqueArray(containerSpec, { minLength: 1, maxLength: 4, selector: (c) => c.name ?? 'main' }) },
    { weight: 1, arbitrary: fc.array(containerSpec, { maxLength: 3 }) },
  ),
  sidecars: fc.uniqueArray(sidecarSpec, { maxLength: 2, selector: (c) => c.name }),
  rules: fc.array(ruleSpec, { maxLength: 3 }),
  defaultPodFailureRules: opt(fc.boolean()),
  restartPolicy: opt(pick([kplus.RestartPolicy.NEVER], [kplus.RestartPolicy.ON_FAILURE])),
  cron: cronSpec,
  initContainers: fc.uniqueArray(pick(['prepare', undefined], ['meshjob-busybox', 'app']), { maxLength: 2 }),
  volumes: fc.uniqueArray(pick(['data', 'cache'], ['meshjob']), { maxLength: 2 }),
  podLabels: opt(fc.constantFrom<Record<string, string>>({ team: 'reports' }, { 'sidecar.istio.io/inject': 'false' }, { 'sidecar.istio.io/inject': 'true' })),
  backoffLimit: opt(fc.constantFrom(0, 2, 6)),
  activeDeadline: duration,
});
type PropsSpec = typeof propsSpec extends fc.Arbitrary<infer T> ? T : never;

/** Builds and renders; everything that can throw runs here. */
function render(s: PropsSpec): any[] {
  const chart = new Chart(Testing.app(), 'reports');
  const volumes = s.volumes.map((name) => kplus.Volume.fromEmptyDir(chart, `v-${name}`, name));
  const lifecycle = s.lifecycle === undefined ? undefined
    : s.lifecycle.kind === 'wrap' ? SidecarLifecycle.wrap(toWrapOptions(s.lifecycle.wrap))
      : s.lifecycle.kind === 'auto' ? SidecarLifecycle.auto(toWrapOptions(s.lifecycle.wrap))
        : s.lifecycle.kind === 'native' ? SidecarLifecycle.native() : SidecarLifecycle.none();
  const mount = (at: string | undefined) => {
    if (at === undefined) return {};
    const volume = volumes[0] ?? kplus.Volume.fromEmptyDir(chart, `m-${at}`, 'scratch');
    if (!volumes.includes(volume)) volumes.push(volume);
    return { volumeMounts: [{ volume, path: at }] };
  };
  const cron = s.cron;
  const schedule = cron?.schedule === 'daily' ? Cron.daily() : cron?.schedule === 'every5' ? Cron.schedule({ minute: '*/5' }) : undefined;
  const props: MeshJobProps = {
    mesh: toMesh(s.mesh),
    lifecycle,
    kubernetesVersion: s.kubernetesVersion,
    containers: s.containers.map((c) => ({
      name: c.name,
      image: 'registry.example.com/app:1.0',
      command: c.command,
      args: c.args,
      ...(c.env ? { envVariables: { [c.env]: kplus.EnvValue.fromValue('x') } } : {}),
      ...mount(c.mountAt),
    })),
    sidecars: s.sidecars.map((c): SidecarContainerProps => ({
      name: c.name,
      image: 'registry.example.com/logs:1.0',
      command: c.command,
      ...(c.quitUrl ? { quitRequest: { url: c.quitUrl } } : {}),
      ...(c.readinessUrl ? { readinessUrl: c.readinessUrl } : {}),
    })),
    podFailurePolicy: s.rules.length === 0 ? undefined : s.rules.map(toRule),
    defaultPodFailureRules: s.defaultPodFailureRules,
    restartPolicy: s.restartPolicy,
    initContainers: s.initContainers.map((name) => ({ name, image: 'registry.example.com/prepare:1.0', command: ['/prepare'] })),
    volumes,
    podMetadata: s.podLabels ? { labels: s.podLabels } : undefined,
    backoffLimit: s.backoffLimit,
    activeDeadline: toDuration(s.activeDeadline),
    ...(cron ? {
      schedule,
      timeZone: cron.timeZone,
      concurrencyPolicy: cron.concurrencyPolicy,
      startingDeadline: toDuration(cron.startingDeadline),
      suspend: cron.suspend,
      successfulJobsRetained: cron.successfulJobsRetained,
      failedJobsRetained: cron.failedJobsRetained,
    } : {}),
  };
  // Left out rather than given as undefined: see 'an optional prop given as undefined' below.
  new MeshJob(chart, 'nightly', withoutUndefined(props));
  return Testing.synth(chart);
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * API-server objections that are reported bugs with their own failing tests below; the
 * generated-props property does not fail on them again, so that it keeps finding new ones.
 */
const KNOWN_OBJECTIONS = [
  /^podFailurePolicy\.rules has \d+ rules: at most 20/,
  /\.onExitCodes\.containerName .* must be one of the container/,
  /: FailIndex needs backoffLimitPerIndex$/,
];

interface Verdict {
  readonly outcome: 'rejected' | 'rendered';
  /** For a rejection: the class of what was thrown, and its message. */
  readonly thrown?: string;
  readonly messageless?: boolean;
  /** For a rendering: schema errors, API-server objections, restricted-profile violations of the busybox init container. */
  readonly schema?: string;
  readonly apiServer?: string[];
  readonly restricted?: string[];
  /** The lifecycle rendered (pod annotation meshjob/lifecycle). */
  readonly mode?: string;
}

function judge(s: PropsSpec): Verdict {
  let manifests: any[];
  try {
    manifests = render(s);
  } catch (e) {
    const thrown = e instanceof Error ? e.constructor.name : typeof e;
    return { outcome: 'rejected', thrown, messageless: !(e instanceof Error) || e.message.trim() === '' };
  }
  let schema = '';
  try {
    validateAll(manifests);
  } catch (e) {
    schema = (e as Error).message;
  }
  const workload = manifests.find((m) => m.kind === 'Job' || m.kind === 'CronJob');
  const pod = podSpecOf(workload);
  const init = (pod.initContainers ?? []).find((c: any) => c.name === 'meshjob-busybox');
  return {
    outcome: 'rendered',
    schema,
    apiServer: apiServerObjections(workload).filter((p) => !KNOWN_OBJECTIONS.some((k) => k.test(p))),
    restricted: init ? restrictedViolations(init, pod.securityContext) : [],
    mode: podMetadataOf(workload).annotations?.['meshjob/lifecycle'],
  };
}

describe('generated props', () => {
  beforeEach(() => {
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  // 200 generated props in the fast tier, 2000 in the long tier (MESHJOB_TEST_CASES_BAD_INPUT).
  const runs = testCases('BAD_INPUT', { fast: 200, long: 2000 });

  test(`${runs} random valid and invalid props render valid manifests or throw a plain Error with a message`, () => {
    const seen = { rejected: 0, rendered: 0, modes: new Set<string | undefined>() };
    fc.assert(
      fc.property(propsSpec, (s) => {
        const verdict = judge(s);
        seen[verdict.outcome]++;
        if (verdict.outcome === 'rejected') {
          expect(verdict).toEqual({ outcome: 'rejected', thrown: 'Error', messageless: false });
        } else {
          seen.modes.add(verdict.mode);
          expect(verdict).toEqual({ outcome: 'rendered', schema: '', apiServer: [], restricted: [], mode: verdict.mode });
        }
      }),
      { numRuns: runs, seed: testSeed() },
    );
    // Both outcomes are common enough to mean something (each one in more than 5% of the cases).
    expect(seen.rejected).toBeGreaterThan(runs / 20);
    expect(seen.rendered).toBeGreaterThan(runs / 20);
    expect([...seen.modes].sort()).toEqual(['native', 'none', 'wrap']);
  });
});

// KNOWN BUGS (reported to the lead, not fixed here): MeshJob renders a podFailurePolicy the API
// server rejects, while validateAll (the OpenAPI schema) accepts it.
describe('podFailurePolicy the API server accepts', () => {
  beforeEach(() => {
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  const rendered = (props: Partial<MeshJobProps>) => {
    const chart = new Chart(Testing.app(), 'reports');
    new MeshJob(chart, 'nightly', { mesh: Mesh.istio(), containers: [report], ...props });
    return validateAll(Testing.synth(chart)).find((m) => m.kind === 'Job');
  };

  // src/lifecycle/pod-failure-policy.ts podFailurePolicyRules: each user exit-code rule without a
  // containerName becomes one rule per main container, and each wrapped container adds a default
  // rule, with no check against the API server's limit of 20 rules (batch/v1 PodFailurePolicy.rules:
  // "At most 20 elements are allowed"). Four main containers and four such rules: 4×4 + 4 + 1 = 21.
  test('four main containers with four exit-code rules: at most 20 rules, or a synth-time Error', () => {
    const containers = ['a', 'b', 'c', 'd'].map((name) => ({ ...report, name }));
    const podFailurePolicy = [1, 2, 3, 4].map((code) => PodFailureRule.onExitCodes(PodFailurePolicyAction.FAIL_JOB, { exitCodes: [code] }));
    let objections: string[];
    try {
      objections = apiServerObjections(rendered({ containers, podFailurePolicy }));
    } catch (e) {
      objections = [];
      expect((e as Error).message).toMatch(/^meshjob 'reports\/nightly': .*20/);
    }
    expect(objections).toEqual([]);
  });

  // src/lifecycle/pod-failure-policy.ts PodFailureRule.onExitCodes accepts any containerName and
  // src/job/mesh-job.ts renders it unchecked, though MeshJob knows every container name; the API
  // server requires "one of the container or initContainer names in the pod template".
  test('an exit-code rule naming a container the pod does not have: a synth-time Error', () => {
    const podFailurePolicy = [PodFailureRule.onExitCodes(PodFailurePolicyAction.FAIL_JOB, { exitCodes: [42], containerName: 'reprot' })];
    let objections: string[];
    try {
      objections = apiServerObjections(rendered({ podFailurePolicy }));
    } catch (e) {
      objections = [];
      expect((e as Error).message).toMatch(/^meshjob 'reports\/nightly': .*'reprot'/);
    }
    expect(objections).toEqual([]);
  });
});

// KNOWN BUG (reported to the lead, not fixed here): an optional prop given as `undefined` is not
// the same as the prop left out. src/job/mesh-job.ts builds the workload's props as
// `{ ...props, ...(restartPolicy ? { restartPolicy } : {}) }`: the comment there says an explicit
// undefined would override cdk8s-plus Job's default (Never), but `...props` still carries the
// user's own `restartPolicy: undefined`, so for the lifecycles that set no restartPolicy (native,
// none: e.g. every Kuma, ambient or Mesh.none() job) cdk8s-plus renders the pod default, Always: a
// Job the API server rejects, with MeshJob's default podFailurePolicy on top of it.
describe('optional props given as undefined', () => {
  beforeEach(() => {
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  const OPTIONAL: Array<keyof MeshJobProps> = [
    'lifecycle', 'sidecars', 'kubernetesVersion', 'podFailurePolicy', 'defaultPodFailureRules', 'activeDeadline', 'backoffLimit',
    'ttlAfterFinished', 'podMetadata', 'select', 'spread', 'restartPolicy', 'serviceAccount', 'securityContext', 'hostAliases', 'dns',
    'dockerRegistryAuth', 'automountServiceAccountToken', 'isolate', 'hostNetwork', 'terminationGracePeriod', 'initContainers',
    'volumes', 'metadata', 'schedule',
  ];
  const BASES: Array<[string, Partial<MeshJobProps>]> = [
    ['wrapped (Istio)', { mesh: Mesh.istio() }],
    ['native (Istio 1.24, Kubernetes 1.30)', { mesh: Mesh.istio({ version: '1.24' }), kubernetesVersion: '1.30' }],
    ['none (Kuma)', { mesh: Mesh.kuma() }],
    ['none (Mesh.none())', { mesh: Mesh.none() }],
  ];
  const synth = (props: MeshJobProps): any[] => {
    const chart = new Chart(Testing.app(), 'reports');
    new MeshJob(chart, 'nightly', props);
    return Testing.synth(chart);
  };

  test('in every lifecycle, renders the same (valid) manifests as with the prop left out', () => {
    const differing: Record<string, string[]> = {};
    for (const [name, base] of BASES) {
      const props = { containers: [report], ...base } as MeshJobProps;
      const expected = JSON.stringify(validateAll(synth(props)));
      differing[name] = OPTIONAL.filter((key) => !(key in base))
        .filter((key) => JSON.stringify(synth({ ...props, [key]: undefined })) !== expected);
    }
    // Shown on failure: e.g. 'none (Kuma)': ['restartPolicy'] (the pod gets restartPolicy Always).
    expect(differing).toEqual(Object.fromEntries(BASES.map(([name]) => [name, []])));
  });
});

// KNOWN LIMITATION (reported): PodFailurePolicyAction.FAIL_INDEX is offered, but the API server
// accepts a FailIndex rule only with spec.backoffLimitPerIndex, which cdk8s-plus-28's JobProps
// cannot set; MeshJob renders the rule without a word (src/lifecycle/pod-failure-policy.ts,
// src/job/mesh-job.ts addPodFailurePolicy). Expected: a synth-time Error, or at least a warning
// naming backoffLimitPerIndex, unless the Job sets it.
describe('FailIndex rules', () => {
  beforeEach(() => {
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  test('a FailIndex rule without backoffLimitPerIndex is refused or warned about', () => {
    const chart = new Chart(Testing.app(), 'reports');
    let outcome: string;
    try {
      const meshJob = new MeshJob(chart, 'nightly', {
        mesh: Mesh.istio(),
        containers: [report],
        podFailurePolicy: [PodFailureRule.onExitCodes(PodFailurePolicyAction.FAIL_INDEX, { exitCodes: [42] })],
      });
      const job = validateAll(Testing.synth(chart)).find((m) => m.kind === 'Job');
      const objections = apiServerObjections(job);
      outcome = objections.length === 0 ? 'accepted'
        : meshJob.warnings.some((w) => w.includes('backoffLimitPerIndex')) ? 'warned' : `rendered silently: ${objections.join('; ')}`;
    } catch (e) {
      outcome = /FailIndex|backoffLimitPerIndex/.test((e as Error).message) ? 'refused' : `refused without naming it: ${(e as Error).message}`;
    }
    expect(['accepted', 'warned', 'refused']).toContain(outcome);
  });
});

// KNOWN BUG (reported to the lead, not fixed here): the post-renderer (src/cli/main.ts ->
// src/cli/post-render.ts -> src/manifests/apply.ts applyToManifest) trusts the shape of the Jobs it
// reads. Malformed ones give a bare JavaScript TypeError message that names neither the object nor
// the field (containerInput and planPod call .map and read .name / .mountPath on whatever is
// there), and a `command` written as a string instead of a list is spread character by character
// into the wrapped command (pod-plan.ts wrapContainer `...c.command`): `command: "/migrate"`
// becomes [..., "meshjob", "/", "m", "i", "g", "r", "a", "t", "e"], an API-valid Job that runs "/".
// A container named 7 (a number) passes the DNS-label check and is written back as a number.
describe('the post-renderer with malformed Jobs', () => {
  const job = (containerYaml: string, podExtra = '') =>
    `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: broken\nspec:\n  template:\n    spec:\n${podExtra}      containers: [${containerYaml}]\n`;
  const CASES: Record<string, string> = {
    'a null container': job('null'),
    'a container without a name': job('{image: x, command: ["/a"]}'),
    'a command that is a string': job('{name: a, image: x, command: "/migrate"}'),
    'env that is a string': job('{name: a, image: x, command: ["/a"], env: "x"}'),
    'initContainers that is a map': job('{name: a, image: x, command: ["/a"]}', '      initContainers: {}\n'),
    'volumes that is a string': job('{name: a, image: x, command: ["/a"]}', '      volumes: x\n'),
    'a null volume mount': job('{name: a, image: x, command: ["/a"], volumeMounts: [null]}'),
    'a container name that is a number': job('{name: 7, image: x, command: ["/a"]}'),
  };

  test('refuses each with one line on stderr that names the Job, not a bare TypeError', async () => {
    const outcomes = Object.fromEntries(await Promise.all(Object.entries(CASES).map(async ([name, yaml]) => {
      const r = await runMeshjob(['--mesh', 'istio'], yaml);
      const clear = r.code === 1 && r.stdout === '' && /^meshjob: document 1: Job broken\b[^\n]*\n$/.test(r.stderr)
        && !/Cannot read properties|is not a function|Cannot use 'in' operator/.test(r.stderr);
      return [name, clear ? 'refused clearly' : `exit ${r.code}: ${JSON.stringify(r.stderr)}`];
    })));
    expect(outcomes).toEqual(Object.fromEntries(Object.keys(CASES).map((name) => [name, 'refused clearly'])));
  });
});
