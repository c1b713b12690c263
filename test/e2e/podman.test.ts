import { Cron, Duration, Testing } from 'cdk8s';
import { EXAMPLES } from '../../examples';
import { Mesh, MeshJob, MeshJobProps, SidecarLifecycle } from '../../src';
import { WrapperExitCode } from '../../src/runtime/exit-codes';
import { CONSUL_INJECTED, istioInjected, LINKERD_INJECTED } from '../support/injection';
import { expandKubelet, PodMetadata } from '../support/kubelet';
import { assertNoPull, IMAGE_PREFIX, InjectedContainer, podmanUnavailable, PodRun, removeLeftovers, removeStaleImages, runPod } from '../support/podman';
import { newChart } from '../support/render';
import { podMetadataOf, podSpecOf, validateAll } from '../support/schema';

// Rendered pod templates on a real container runtime: podman 4.3 + runc, one pod at a time, each
// beside a stand-in for the proxy its mesh would inject, which serves that mesh's admin API and
// records every request. Every image is built here (test/support/podman.ts); nothing is pulled.
// Podman 4.3 does not expand `$(VAR)` / `$$` in command and args, so the harness does it first
// with the kubelet's rules (test/support/kubelet.ts). What this cannot show (no kubelet, no
// admission, no real proxy, no native sidecars) stays with the emulation tests in test/e2e/.

const unavailable = podmanUnavailable();
if (unavailable) {
  // One plain line on stderr (no console decoration); .ci/run also counts these checks as skipped.
  process.stderr.write(`podman runtime suite skipped: ${unavailable}\n`);
}
const runtime = unavailable ? describe.skip : describe;

jest.setTimeout(90_000);

// The admin API of each mesh's injected proxy, as upstream defines it (the sources are cited in
// src/meshes/<mesh>.ts): PORT:METHOD:PATH:KIND for the stand-in.
const ISTIO: InjectedContainer = {
  name: 'istio-proxy',
  // pilot-agent: GET :15021/healthz/ready; POST :15020/quitquitquit; on SIGTERM it drains for
  // terminationDrainDuration (5 s by default) before it exits.
  env: { MJT_ROUTES: '15021:GET:/healthz/ready:ready 15020:POST:/quitquitquit:quit=200', MJT_READY_AFTER_MS: '300', MJT_DRAIN_MS: '5000' },
  marks: istioInjected(),
};
// linkerd2-proxy: GET :4191/ready; POST :4191/shutdown (404 unless proxy-admin-shutdown is enabled).
const linkerd = (shutdownStatus: number): InjectedContainer => ({
  name: 'linkerd-proxy',
  env: { MJT_ROUTES: `4191:GET:/ready:ready 4191:POST:/shutdown:quit=${shutdownStatus}`, MJT_READY_AFTER_MS: '300' },
  marks: LINKERD_INJECTED,
});
// consul-dataplane: Envoy's GET 127.0.0.1:19000/ready; any method on 127.0.0.1:20600/graceful_shutdown.
const CONSUL: InjectedContainer = {
  name: 'consul-dataplane',
  env: { MJT_ROUTES: '19000:GET:/ready:ready 20600:*:/graceful_shutdown:quit=200', MJT_READY_AFTER_MS: '300' },
  marks: CONSUL_INJECTED,
};
// Envoy's admin API: GET /ready; POST /quitquitquit.
const envoyAdmin = (port: number) => `${port}:GET:/ready:ready ${port}:POST:/quitquitquit:quit=200`;
// Cloud SQL Auth Proxy v2 with --health-check and --quitquitquit: GET :9090/startup; GET or POST :9091/quitquitquit.
const CLOUD_SQL_ROUTES = '9090:GET:/startup:ready 9091:*:/quitquitquit:quit=200';

const ARGS = ['--since', '24h', '', 'two words', "it's \"quoted\"", '$HOME', '$(HOME)', '$$', '`id`', 'a\nb', '✓ ünï', '-c', '--'];
const app = (name: string) => ({ name, image: `registry.example.com/${name}:1.4`, command: ['/report'], args: ARGS });

function render(props: MeshJobProps): any {
  const chart = newChart();
  new MeshJob(chart, 'nightly', props);
  return podSpecOf(validateAll(Testing.synth(chart)).find((m) => m.kind === 'Job' || m.kind === 'CronJob'));
}

/** Every example's rendered Jobs and CronJobs. */
function workloadsOf(name: string): any[] {
  return validateAll(Testing.synth(new EXAMPLES[name](Testing.app(), name))).filter((m) => m.kind === 'Job' || m.kind === 'CronJob');
}

/**
 * The examples' workloads that render wrapped containers ("name" or "name#index"); each one is run
 * by a check below, and a check at the end keeps this list equal to what the examples render.
 */
const WRAPPED_EXAMPLES = [
  'istio-job', 'istio-cronjob', 'from-scratch', 'debug-failed-run', 'cloud-sql-proxy', 'image-shell',
  'linkerd-job', 'consul-cronjob', 'envoy-sidecar', 'custom-mesh', 'job-sidecars', 'mixed-versions#1',
];

function example(name: string, index = 0): any {
  const key = index === 0 ? name : `${name}#${index}`;
  if (!WRAPPED_EXAMPLES.includes(key)) throw new Error(`example ${key} is not in WRAPPED_EXAMPLES: add it there`);
  return podSpecOf(workloadsOf(name)[index]);
}

/** The requests a proxy saw on `path` (any port), as [method, port:path, status]. */
const quitsOf = (run: PodRun, proxy: string, path: string) => run.requests(proxy).filter(([, p]) => p.endsWith(path));

afterAll(removeLeftovers);

runtime('podman runtime', () => {
  beforeAll(removeStaleImages);

  describe.each([
    ['Job', {}],
    ['CronJob', { schedule: Cron.daily() }],
  ])('GIVEN an Istio %s with a FROM scratch command', (_kind, extra: Partial<MeshJobProps>) => {
    test.each([0, 7])('WHEN the command exits %i THEN the pod ends with that code, the command started only after the proxy was ready, got every argument byte-exact, and the proxy was stopped after it ended', async (exit) => {
      const run = await runPod({ pod: render({ mesh: Mesh.istio(), containers: [app('report')], ...extra }), inject: [ISTIO], env: { report: { MJT_EXIT: String(exit), MJT_SLEEP_MS: '200' } } });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'istio-proxy': 0, 'report': exit });
      // What the kubelet hands the same command unwrapped: "$$" is its escape for "$", and
      // "$(HOME)" names no variable of the container and stays.
      expect(run.argv('report')).toEqual(ARGS.map((a) => expandKubelet(a, {})));
      expect(run.at('report', 'start')).toBeGreaterThan(run.at('istio-proxy', 'ready')!);
      expect(quitsOf(run, 'istio-proxy', '/quitquitquit')).toEqual([['POST', '15020:/quitquitquit', 200]]);
      expect(run.at('istio-proxy', 'exit')).toBeGreaterThan(run.at('report', 'end')!);
    });
  });

  describe('GIVEN an Istio Job', () => {
    test('WHEN two main containers end at different times THEN the proxy is stopped once, after the last of them, and each keeps its own exit code', async () => {
      const run = await runPod({
        pod: render({ mesh: Mesh.istio(), containers: [app('report'), app('audit')] }),
        inject: [ISTIO],
        env: { report: { MJT_EXIT: '0', MJT_WAIT_FOR: 'audit:end' }, audit: { MJT_EXIT: '7', MJT_SLEEP_MS: '100' } },
      });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'istio-proxy': 0, 'report': 0, 'audit': 7 });
      expect(run.at('audit', 'end')).toBeLessThan(run.at('report', 'end')!);
      expect(quitsOf(run, 'istio-proxy', '/quitquitquit')).toEqual([['POST', '15020:/quitquitquit', 200]]);
      const quitAt = run.records('istio-proxy').find((r) => r.kind === 'req' && r.fields[2] === '/quitquitquit')!.at;
      expect(quitAt).toBeGreaterThan(run.at('report', 'end')!);
    });

    test('WHEN the pod is stopped while the command runs (podman pod stop) THEN the command gets SIGTERM, the container ends 143 and the proxy is stopped', async () => {
      const run = await runPod({
        pod: render({ mesh: Mesh.istio(), containers: [app('report')] }),
        inject: [ISTIO],
        env: { report: { MJT_SLEEP_MS: '60000' } },
        stopWhenStarted: 'report',
      });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'istio-proxy': 0, 'report': 143 });
      expect(run.at('report', 'end')).toBeUndefined();
      // Stopped by the wrapper's quit, not by the end of its own drain after SIGTERM.
      expect(quitsOf(run, 'istio-proxy', '/quitquitquit')).toEqual([['POST', '15020:/quitquitquit', 200]]);
      expect(run.records('istio-proxy').find((r) => r.kind === 'exit')!.fields).toEqual(['quit']);
    });

    test('WHEN the proxy never becomes ready THEN the container ends 75 after readyTimeout without running the command, and still stops the proxy', async () => {
      const readyTimeout = 2;
      const run = await runPod({
        pod: render({ mesh: Mesh.istio(), containers: [app('report')], lifecycle: SidecarLifecycle.wrap({ readyTimeout: Duration.seconds(readyTimeout) }) }),
        inject: [{ ...ISTIO, env: { ...ISTIO.env, MJT_READY_AFTER_MS: 'never' } }],
      });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'istio-proxy': 0, 'report': 75 });
      expect(run.argv('report')).toBeUndefined();
      const polls = run.records('istio-proxy').filter((r) => r.kind === 'req' && r.fields[2] === '/healthz/ready');
      expect(new Set(polls.map((r) => r.fields[3]))).toEqual(new Set(['503']));
      // Bounded: the last poll starts within readyTimeout (plus one request's timeout) of the first.
      expect(polls[polls.length - 1].at - polls[0].at).toBeLessThan((readyTimeout + 2) * 1000);
      expect(quitsOf(run, 'istio-proxy', '/quitquitquit')).toEqual([['POST', '15020:/quitquitquit', 200]]);
      expect(run.stderr('report')).toContain(`meshjob[report]: not ready at http://localhost:15021/healthz/ready after ${readyTimeout}s: exiting 75 without running the command`);
    });

    test('WHEN the command runs as another non-root user than the init container THEN it runs as that user, shares the emptyDir, and the pod completes', async () => {
      const run = await runPod({
        pod: render({ mesh: Mesh.istio(), containers: [{ ...app('report'), securityContext: { user: 10001, group: 10001 } }] }),
        inject: [ISTIO],
      });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'istio-proxy': 0, 'report': 0 });
      expect(run.records('report').find((r) => r.kind === 'uid')!.fields).toEqual(['10001']);
      expect(quitsOf(run, 'istio-proxy', '/quitquitquit')).toEqual([['POST', '15020:/quitquitquit', 200]]);
    });
  });

  describe('GIVEN each mesh\'s rendered Job beside a stand-in for that mesh\'s proxy', () => {
    test('Linkerd (linkerd-job example): starts after :4191/ready, stops the proxy with POST :4191/shutdown, ends with the command\'s code', async () => {
      const run = await runPod({ pod: example('linkerd-job'), inject: [linkerd(200)], env: { reindex: { MJT_EXIT: '3' } } });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'linkerd-proxy': 0, 'reindex': 3 });
      expect(run.argv('reindex')).toEqual(['--all']);
      expect(run.at('reindex', 'start')).toBeGreaterThan(run.at('linkerd-proxy', 'ready')!);
      expect(quitsOf(run, 'linkerd-proxy', '/shutdown')).toEqual([['POST', '4191:/shutdown', 200]]);
    });

    test('Linkerd without the shutdown endpoint enabled (404): the command\'s code, one clear stderr line, and the proxy keeps running (the pod would hang)', async () => {
      const run = await runPod({ pod: example('linkerd-job'), inject: [linkerd(404)], settleMs: 2000 });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'linkerd-proxy': 'running', 'reindex': 0 });
      expect(quitsOf(run, 'linkerd-proxy', '/shutdown')).toEqual([['POST', '4191:/shutdown', 404]]);
      expect(run.stderr('reindex')).toEqual(['meshjob[reindex]: POST http://localhost:4191/shutdown answered 404: not retried; the sidecar may still be running']);
    });

    test('Consul (consul-cronjob example): starts after Envoy\'s 127.0.0.1:19000/ready, stops consul-dataplane at 127.0.0.1:20600/graceful_shutdown', async () => {
      const run = await runPod({ pod: example('consul-cronjob'), inject: [CONSUL] });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'consul-dataplane': 0, 'close': 0 });
      expect(run.at('close', 'start')).toBeGreaterThan(run.at('consul-dataplane', 'ready')!);
      expect(quitsOf(run, 'consul-dataplane', '/graceful_shutdown')).toEqual([['POST', '20600:/graceful_shutdown', 200]]);
    });

    test('plain Envoy: starts after /ready on its admin port, stops it with POST /quitquitquit', async () => {
      const envoy: InjectedContainer = { name: 'envoy', env: { MJT_ROUTES: envoyAdmin(9901), MJT_READY_AFTER_MS: '300' } };
      const run = await runPod({ pod: render({ mesh: Mesh.envoy({ adminPort: 9901 }), containers: [app('report')] }), inject: [envoy], env: { report: { MJT_EXIT: '7' } } });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'envoy': 0, 'report': 7 });
      expect(run.at('report', 'start')).toBeGreaterThan(run.at('envoy', 'ready')!);
      expect(quitsOf(run, 'envoy', '/quitquitquit')).toEqual([['POST', '9901:/quitquitquit', 200]]);
    });

    // The Envoy the job declares itself is the proxy: it is stopped by the mesh's quit (one
    // request), and nothing waits for it before it starts (a wrapped sidecar once waited for its
    // own /ready for the whole readyTimeout).
    test('plain Envoy as the job\'s own sidecar (envoy-sidecar example): the command starts after its /ready and Envoy is stopped by one quit', async () => {
      const run = await runPod({
        pod: example('envoy-sidecar'),
        env: { envoy: { MJT_ROLE: 'proxy', MJT_ROUTES: envoyAdmin(9901), MJT_READY_AFTER_MS: '300' }, sync: { MJT_EXIT: '7' } },
        limitMs: 8_000,
      });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'sync': 7, 'envoy': 0 });
      expect(run.at('sync', 'start')).toBeGreaterThan(run.at('envoy', 'ready')!);
      expect(quitsOf(run, 'envoy', '/quitquitquit')).toEqual([['POST', '9901:/quitquitquit', 200]]);
    });

    test('a custom mesh (custom-mesh example): starts after its readyUrl, stops the proxy with its quit request', async () => {
      const corpnet: InjectedContainer = { name: 'corpnet-proxy', env: { MJT_ROUTES: '7001:GET:/healthz:ready 7001:POST:/admin/stop:quit=200', MJT_READY_AFTER_MS: '300' } };
      const run = await runPod({ pod: example('custom-mesh'), inject: [corpnet] });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'corpnet-proxy': 0, 'audit': 0 });
      expect(run.at('audit', 'start')).toBeGreaterThan(run.at('corpnet-proxy', 'ready')!);
      expect(quitsOf(run, 'corpnet-proxy', '/admin/stop')).toEqual([['POST', '7001:/admin/stop', 200]]);
    });
  });

  describe('GIVEN a Job with its own sidecars beside Istio\'s proxy (job-sidecars example)', () => {
    test('WHEN the command ends THEN the done-file sidecar is stopped, the Cloud SQL Auth Proxy gets its quit request, the mesh proxy is stopped last, and the pod ends with the command\'s code', async () => {
      const run = await runPod({
        pod: example('job-sidecars'),
        inject: [ISTIO],
        env: {
          // Ends only once the log shipper runs, so that it has something to be stopped from.
          'month-end': { MJT_EXIT: '4', MJT_WAIT_FOR: 'logs:start' },
          'logs': { MJT_SLEEP_MS: '60000' },
          'cloud-sql-proxy': { MJT_ROLE: 'proxy', MJT_ROUTES: CLOUD_SQL_ROUTES, MJT_READY_AFTER_MS: '600' },
        },
      });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'istio-proxy': 0, 'month-end': 4, 'logs': 0, 'cloud-sql-proxy': 0 });
      expect(run.at('month-end', 'start')).toBeGreaterThan(run.at('cloud-sql-proxy', 'ready')!);
      // The log shipper ran and was stopped by its wrapper (SIGTERM), not by ending on its own.
      expect(run.at('logs', 'start')).toBeDefined();
      expect(run.at('logs', 'end')).toBeUndefined();
      expect(quitsOf(run, 'cloud-sql-proxy', '/quitquitquit')).toEqual([['POST', '9091:/quitquitquit', 200]]);
      expect(quitsOf(run, 'istio-proxy', '/quitquitquit')).toEqual([['POST', '15020:/quitquitquit', 200]]);
      // The job's sidecar is asked to quit before the mesh proxy (when each process then exits is the
      // stand-ins' own business, and races).
      const quitAt = (proxy: string) => run.records(proxy).find((r) => r.kind === 'req' && r.fields[2] === '/quitquitquit')!.at;
      expect(quitAt('cloud-sql-proxy')).toBeLessThan(quitAt('istio-proxy'));
      expect(run.argv('cloud-sql-proxy')).toEqual(['--quitquitquit', '--health-check', '--http-port=9090', 'example:europe-west1:ledger']);
    });
  });

  describe('GIVEN every example that renders a wrapped Job or CronJob', () => {
    test.each([
      ['istio-job', 0, 'report'],
      ['mixed-versions', 1, 'cleanup'],
    ])('%s: runs its command after the proxy is ready with its rendered arguments, then stops the proxy', async (name, index, container) => {
      const pod = example(name, index);
      const run = await runPod({ pod, inject: [ISTIO] });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'istio-proxy': 0, [container]: 0 });
      const env = Object.fromEntries((pod.containers[0].env ?? []).map((e: any) => [e.name, e.value]));
      expect(run.argv(container)).toEqual(pod.containers[0].args.map((a: string) => expandKubelet(a, env)));
      expect(run.at(container, 'start')).toBeGreaterThan(run.at('istio-proxy', 'ready')!);
      expect(quitsOf(run, 'istio-proxy', '/quitquitquit')).toEqual([['POST', '15020:/quitquitquit', 200]]);
    });

    test('istio-cronjob: runs its command after the proxy is ready, with the kubelet\'s $(DATE) expansion, then stops the proxy', async () => {
      const run = await runPod({ pod: example('istio-cronjob'), inject: [ISTIO] });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'istio-proxy': 0, 'export': 0 });
      expect(run.argv('export')).toEqual(['--bucket', 's3://reports/today']);
      expect(run.at('export', 'start')).toBeGreaterThan(run.at('istio-proxy', 'ready')!);
      expect(quitsOf(run, 'istio-proxy', '/quitquitquit')).toEqual([['POST', '15020:/quitquitquit', 200]]);
    });

    test('from-scratch: both containers run on the mirrored busybox, and the proxy is stopped once, after the last', async () => {
      const run = await runPod({ pod: example('from-scratch'), inject: [ISTIO], env: { migrate: { MJT_WAIT_FOR: 'seed:end' }, seed: { MJT_EXIT: '2' } } });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'istio-proxy': 0, 'migrate': 0, 'seed': 2 });
      expect(quitsOf(run, 'istio-proxy', '/quitquitquit')).toHaveLength(1);
      expect(run.at('istio-proxy', 'exit')).toBeGreaterThan(Math.max(run.at('migrate', 'end')!, run.at('seed', 'end')!));
    });

    test('debug-failed-run: a failed command leaves the proxy running for debugging', async () => {
      const run = await runPod({ pod: example('debug-failed-run'), inject: [ISTIO], env: { sync: { MJT_EXIT: '1' } }, settleMs: 2000 });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'istio-proxy': 'running', 'sync': 1 });
      expect(quitsOf(run, 'istio-proxy', '/quitquitquit')).toEqual([]);
      expect(run.stderr('sync')).toEqual(['meshjob[sync]: command failed ( sync=1 ): keeping the proxy running for debugging, as asked (keepProxyOnFailure)']);
    });

    test('image-shell: runs on the image\'s own shell and curl, with no init container, and stops the proxy', async () => {
      const run = await runPod({ pod: example('image-shell'), inject: [ISTIO], imagesHaveShellAndCurl: true, env: { cleanup: { MJT_EXIT: '5' } } });

      expect(run.exitCodes).toEqual({ 'istio-proxy': 0, 'cleanup': 5 });
      expect(run.argv('cleanup')).toEqual(['/app/cleanup.py']);
      expect(run.at('cleanup', 'start')).toBeGreaterThan(run.at('istio-proxy', 'ready')!);
      expect(quitsOf(run, 'istio-proxy', '/quitquitquit')).toEqual([['POST', '15020:/quitquitquit', 200]]);
    });

    test('cloud-sql-proxy: the operator-injected Cloud SQL Auth Proxy is asked to quit before Istio\'s proxy', async () => {
      const run = await runPod({
        pod: example('cloud-sql-proxy'),
        inject: [ISTIO, { name: 'cloud-sql-proxy', env: { MJT_ROUTES: CLOUD_SQL_ROUTES } }],
      });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'istio-proxy': 0, 'cloud-sql-proxy': 0, 'close': 0 });
      expect(quitsOf(run, 'cloud-sql-proxy', '/quitquitquit')).toEqual([['POST', '9091:/quitquitquit', 200]]);
      // The job's sidecar is asked to quit before the mesh proxy (when each process then exits is the
      // stand-ins' own business, and races).
      const quitAt = (proxy: string) => run.records(proxy).find((r) => r.kind === 'req' && r.fields[2] === '/quitquitquit')!.at;
      expect(quitAt('cloud-sql-proxy')).toBeLessThan(quitAt('istio-proxy'));
    });
  });

  describe('GIVEN an Istio Job whose two main containers run as two users, "a" (uid 1000) with a volume of its own', () => {
    /** The names of the shared directory a wrapper once wrote and read. */
    const OLD_NAMES = ['rc.a', 'rc.b', 'done.a', 'done.b', 'quit.lock', 'quit.done'];
    function twoUsers(): any {
      const pod = render({
        mesh: Mesh.istio(),
        containers: [{ ...app('a'), securityContext: { user: 1000, group: 1000 } }, { ...app('b'), securityContext: { user: 2000, group: 2000 } }],
      });
      pod.volumes.push({ name: 'data', emptyDir: {} });
      pod.containers[0].volumeMounts.push({ name: 'data', mountPath: '/data' });
      return pod;
    }
    // "a" writes its data, then ends once "b" has planted what it plants; "b" ends after "a".
    // When both wrappers see the other done before either has left, both try the quit lock, which
    // "b" planted: neither takes it, and the quits go out once the quit window has passed (seen
    // in CI under load: "a" still running at a 40 s limit). So the pod is given the window, and
    // either wrapper may be the one that reports the tampering (with the window's line beside it).
    // (Then each wrapper sends the quits, the later one to a proxy already gone: its retries, up
    // to the quit delays' sum and a request timeout each, come on top.)
    const LIMIT_MS = (() => {
      const settings = JSON.stringify(twoUsers().containers);
      const window = Number(/MESHJOB_QUIT_WINDOW=(\d+)/.exec(settings)![1]);
      const delays = /MESHJOB_QUIT_DELAYS='([\d. ]+)'/.exec(settings)![1].split(' ').map(Number);
      const requestTimeout = Number(/MESHJOB_REQUEST_TIMEOUT=(\d+)/.exec(settings)![1]);
      return Math.ceil(window + delays.reduce((a, b) => a + b, 0) + (delays.length + 1) * requestTimeout + 10) * 1000;
    })();
    const env = (plant: string) => ({
      a: { MJT_WRITE: '/data/db:precious', MJT_WAIT_FOR: 'b:start', MJT_EXIT: '3' },
      b: { MJT_PLANT: plant, MJT_WAIT_FOR: 'a:end' },
    });

    test('WHEN "b" plants symlinks to "a"\'s volume where wrappers wrote THEN "a"\'s data is unchanged, the proxy is stopped once and the tampering is reported', async () => {
      const plant = OLD_NAMES.map((n) => `symlink:/meshjob/run/${n}:/data/${n === 'quit.lock' ? 'lock' : 'db'}`).join(' ');
      const run = await runPod({ pod: twoUsers(), inject: [ISTIO], env: env(plant), volumeFiles: [{ volume: 'data', path: 'db' }, { volume: 'data', path: 'lock' }], limitMs: LIMIT_MS });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'istio-proxy': 0, 'a': 3, 'b': 0 });
      expect([run.volumeFile('data', 'db'), run.volumeFile('data', 'lock')]).toEqual(['precious', undefined]);
      expect(run.records('a').find((r) => r.kind === 'uid')!.fields).toEqual(['1000']);
      expect(quitsOf(run, 'istio-proxy', '/quitquitquit')).toEqual([['POST', '15020:/quitquitquit', 200]]);
      expect([...run.stderr('a'), ...run.stderr('b')]).toContainEqual(expect.stringMatching(`^meshjob\\[[ab]\\]: found in the shared directory /meshjob/run, not made by a wrapper: ${[...OLD_NAMES].sort().join(' ')}$`));
    }, LIMIT_MS + 30_000);

    test('WHEN "b" plants FIFOs where wrappers wrote and read THEN the pod ends, with one quit, and the tampering is reported', async () => {
      const run = await runPod({ pod: twoUsers(), inject: [ISTIO], env: env(OLD_NAMES.map((n) => `fifo:/meshjob/run/${n}`).join(' ')), limitMs: LIMIT_MS });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'istio-proxy': 0, 'a': 3, 'b': 0 });
      expect(quitsOf(run, 'istio-proxy', '/quitquitquit')).toEqual([['POST', '15020:/quitquitquit', 200]]);
      expect([...run.stderr('a'), ...run.stderr('b')]).toContainEqual(expect.stringContaining(`not made by a wrapper: ${[...OLD_NAMES].sort().join(' ')}`));
    }, LIMIT_MS + 30_000);
  });

  describe('GIVEN an Istio Job whose command handles a signal', () => {
    test.each([
      ['SIGQUIT', 3],
      ['SIGHUP', 1],
      ['SIGUSR1', 10],
    ])('WHEN the container gets %s (podman kill) THEN the command gets it as itself, and the proxy is stopped after it ended', async (signal, n) => {
      const run = await runPod({
        pod: render({ mesh: Mesh.istio(), containers: [app('report')] }),
        inject: [ISTIO],
        env: { report: { MJT_HANDLE: String(n), MJT_SLEEP_MS: '60000' } },
        signalWhenStarted: { container: 'report', signal },
        limitMs: 30_000,
      });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'istio-proxy': 0, 'report': 128 + n });
      expect(run.records('report').find((r) => r.kind === 'signal')!.fields).toEqual([String(n)]);
      expect(quitsOf(run, 'istio-proxy', '/quitquitquit')).toEqual([['POST', '15020:/quitquitquit', 200]]);
      expect(run.at('istio-proxy', 'exit')).toBeGreaterThan(run.at('report', 'signal')!);
    });
  });

  describe('GIVEN an Istio Job that reads its pod\'s metadata', () => {
    function podInfoJob(): { pod: any; metadata: PodMetadata } {
      const chart = newChart();
      new MeshJob(chart, 'nightly', { mesh: Mesh.istio(), containers: [app('report')] });
      const job = validateAll(Testing.synth(chart)).find((m) => m.kind === 'Job');
      const pod = podSpecOf(job);
      const { labels, annotations } = podMetadataOf(job);
      return { pod, metadata: { labels, annotations } };
    }

    test('WHEN the mesh injected nothing THEN the container ends at once with proxy-not-injected (78), without running the command', async () => {
      const { pod, metadata } = podInfoJob();
      const run = await runPod({ pod, metadata, inject: [] });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'report': WrapperExitCode.PROXY_NOT_INJECTED });
      expect(run.argv('report')).toBeUndefined();
      expect(run.stderr('report')).toEqual([expect.stringMatching(/^meshjob\[report\]: no annotation sidecar\.istio\.io\/status on the pod: the mesh did not inject its proxy .*: exiting 78 without running the command$/)]);
    });

    test('WHEN Istio injected a native proxy THEN the command runs after it is ready and the wrapper sends it no quit', async () => {
      const { pod, metadata } = podInfoJob();
      const run = await runPod({ pod, metadata, inject: [{ ...ISTIO, marks: istioInjected(true) }], settleMs: 1000 });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'istio-proxy': 'running', 'report': 0 });
      expect(run.at('report', 'start')).toBeGreaterThan(run.at('istio-proxy', 'ready')!);
      expect(quitsOf(run, 'istio-proxy', '/quitquitquit')).toEqual([]);
      expect(run.stderr('report')).toEqual(['meshjob[report]: istio-proxy is a native sidecar (sidecar.istio.io/status): the kubelet stops it']);
    });

    test('WHEN the pod\'s annotation moves the status port THEN the quit goes to that port', async () => {
      const { pod, metadata } = podInfoJob();
      const moved = { ...metadata, annotations: { ...metadata.annotations, 'status.sidecar.istio.io/port': '15099' } };
      const istio = { ...ISTIO, env: { ...ISTIO.env, MJT_ROUTES: '15021:GET:/healthz/ready:ready 15099:POST:/quitquitquit:quit=200' } };
      const run = await runPod({ pod, metadata: moved, inject: [istio] });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'istio-proxy': 0, 'report': 0 });
      expect(quitsOf(run, 'istio-proxy', '/quitquitquit')).toEqual([['POST', '15099:/quitquitquit', 200]]);
    });
  });
});

describe('podman suite coverage', () => {
  test('the runtime checks run every example workload that renders wrapped containers', () => {
    // The pod template annotation meshjob/lifecycle says which lifecycle a workload got.
    const wrapped = Object.keys(EXAMPLES).flatMap((name) => workloadsOf(name)
      .map((w, i) => [podMetadataOf(w).annotations?.['meshjob/lifecycle'], i === 0 ? name : `${name}#${i}`])
      .filter(([lifecycle]) => lifecycle === 'wrap')
      .map(([, key]) => key));
    expect(wrapped.sort()).toEqual([...WRAPPED_EXAMPLES].sort());
  });
});

describe('podman harness', () => {
  const pause = `${IMAGE_PREFIX}pause:1`;
  const local = (name: string) => ({ name, image: `${IMAGE_PREFIX}stand-in:1`, imagePullPolicy: 'Never' });

  test('lets a pod through when every image is local and never pulled', () => {
    expect(() => assertNoPull({ initContainers: [local('meshjob-busybox')], containers: [local('report')] }, pause)).not.toThrow();
  });

  test('fails before anything runs when a container names an image outside the suite\'s prefix', () => {
    const pod = { initContainers: [{ ...local('meshjob-busybox'), image: 'busybox:1.36.1-uclibc' }], containers: [local('report')] };
    expect(() => assertNoPull(pod, pause)).toThrow(`container meshjob-busybox uses image busybox:1.36.1-uclibc with imagePullPolicy Never: only ${IMAGE_PREFIX}* images with imagePullPolicy Never may run, nothing is pulled here`);
  });

  test('fails before anything runs when a container may pull a local image', () => {
    const pod = { containers: [{ ...local('report'), imagePullPolicy: 'IfNotPresent' }] };
    expect(() => assertNoPull(pod, pause)).toThrow(`container report uses image ${IMAGE_PREFIX}stand-in:1 with imagePullPolicy IfNotPresent:`);
  });

  test('fails when the infra image is not the suite\'s own', () => {
    expect(() => assertNoPull({ containers: [local('report')] }, 'k8s.gcr.io/pause:3.1')).toThrow('infra image k8s.gcr.io/pause:3.1 is not under localhost/meshjob-test/');
  });
});
