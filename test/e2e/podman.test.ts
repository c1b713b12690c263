import { Cron, Duration, Testing } from 'cdk8s';
import { EXAMPLES } from '../../examples';
import { Mesh, MeshJob, MeshJobProps, SidecarLifecycle } from '../../src';
import { expandKubelet } from '../support/kubelet';
import { InjectedContainer, IMAGE_PREFIX, podmanUnavailable, PodRun, removeLeftovers, removeStaleImages, runPod } from '../support/podman';
import { newChart } from '../support/render';
import { podSpecOf, validateAll } from '../support/schema';

// Rendered pod templates on a real container runtime: podman 4.3 + runc, one pod at a time, each
// beside a stand-in for the proxy its mesh would inject, which serves that mesh's admin API and
// records every request. Every image is built here (test/support/podman.ts); nothing is pulled.
// Podman 4.3 does not expand `$(VAR)` / `$$` in command and args, so the harness does it first
// with the kubelet's rules (test/support/kubelet.ts). What this cannot show (no kubelet, no
// admission, no real proxy, no native sidecars) stays with the emulation tests in test/e2e/.

const unavailable = podmanUnavailable();
if (unavailable) {
  // The one line CI shows; .ci/run also counts these checks as skipped.
  console.warn(`podman runtime suite skipped: ${unavailable}`);
}
const runtime = unavailable ? describe.skip : describe;

jest.setTimeout(90_000);

// The admin API of each mesh's injected proxy, as upstream defines it (sources in
// ../shared/MESH-CONTRACTS.md and src/meshes/<mesh>.ts): PORT:METHOD:PATH:KIND for the stand-in.
const ISTIO: InjectedContainer = {
  name: 'istio-proxy',
  // pilot-agent: GET :15021/healthz/ready; POST :15020/quitquitquit; on SIGTERM it drains for
  // terminationDrainDuration (5 s by default) before it exits.
  env: { MJT_ROUTES: '15021:GET:/healthz/ready:ready 15020:POST:/quitquitquit:quit=200', MJT_READY_AFTER_MS: '300', MJT_DRAIN_MS: '5000' },
};
// linkerd2-proxy: GET :4191/ready; POST :4191/shutdown (404 unless proxy-admin-shutdown is enabled).
const linkerd = (shutdownStatus: number): InjectedContainer => ({
  name: 'linkerd-proxy',
  env: { MJT_ROUTES: `4191:GET:/ready:ready 4191:POST:/shutdown:quit=${shutdownStatus}`, MJT_READY_AFTER_MS: '300' },
});
// consul-dataplane: Envoy's GET 127.0.0.1:19000/ready; any method on 127.0.0.1:20600/graceful_shutdown.
const CONSUL: InjectedContainer = {
  name: 'consul-dataplane',
  env: { MJT_ROUTES: '19000:GET:/ready:ready 20600:*:/graceful_shutdown:quit=200', MJT_READY_AFTER_MS: '300' },
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

function example(name: string, index = 0): any {
  const manifests = validateAll(Testing.synth(new EXAMPLES[name](Testing.app(), name)));
  return podSpecOf(manifests.filter((m) => m.kind === 'Job' || m.kind === 'CronJob')[index]);
}

/** Every quit the proxy answered, as [method, port:path, status]. */
const quitsOf = (run: PodRun, proxy: string, path: string) => run.requests(proxy).filter(([, p]) => p.endsWith(path));

afterAll(async () => {
  if (!unavailable) await removeLeftovers();
});

runtime('podman runtime', () => {
  beforeAll(removeStaleImages);

  describe.each([
    ['Job', {}],
    ['CronJob', { schedule: Cron.daily() }],
  ])('GIVEN an Istio %s with a FROM scratch command', (kind, extra: Partial<MeshJobProps>) => {
    test.each([0, 7])('WHEN the command exits %i THEN the pod ends with that code, the command started only after the proxy was ready, got every argument byte-exact, and the proxy was stopped after it ended', async (exit) => {
      const run = await runPod({ pod: render({ mesh: Mesh.istio(), containers: [app('report')], ...extra }), inject: [ISTIO], env: { report: { MJT_EXIT: String(exit), MJT_SLEEP_MS: '200' } } });

      expect(run.exitCodes).toEqual({ 'meshjob-busybox': 0, 'istio-proxy': 0, 'report': exit });
      expect(run.argv('report')).toEqual(ARGS.map((a) => expandKubelet(a, {})));
      expect(run.at('report', 'start')).toBeGreaterThan(run.at('istio-proxy', 'ready')!);
      expect(quitsOf(run, 'istio-proxy', '/quitquitquit')).toEqual([['POST', '15020:/quitquitquit', 200]]);
      expect(run.at('istio-proxy', 'exit')).toBeGreaterThan(run.at('report', 'end')!);
      void kind;
    });
  });
});

void Duration;
void SidecarLifecycle;
void IMAGE_PREFIX;
