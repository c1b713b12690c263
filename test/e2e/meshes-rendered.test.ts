import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import { Testing } from 'cdk8s';
import { Mesh, MeshJob } from '../../src';
import { nowMs } from '../support/fake-proxy';
import { admitted, CONSUL_INJECTED, LINKERD_INJECTED } from '../support/injection';
import { PodMetadata } from '../support/kubelet';
import { kubeletFor } from '../support/pod';
import { newChart } from '../support/render';
import { podMetadataOf, podSpecOf, validateAll } from '../support/schema';
import { Child, cleanup, tempDir } from '../support/wrapper-harness';

// Each mesh's rendered Job, run as a kubelet would beside a fake of THAT mesh's admin API, with
// its exact methods, paths, statuses and bodies (sources in src/meshes/<mesh>.ts):
// - Linkerd: GET :4191/ready 503 "not ready\n" then 200 "ready\n"; POST :4191/shutdown 200
//   "shutdown\n", 405 for other methods, 404 "shutdown endpoint is not enabled\n" when disabled;
// - Consul: Envoy GET 127.0.0.1:19000/ready 503 then 200 "LIVE\n"; consul-dataplane
//   127.0.0.1:20600/graceful_shutdown, any method, 200 with an empty body;
// - Envoy: GET /ready 503 then 200 "LIVE\n"; POST /quitquitquit 200, 405 otherwise.

jest.setTimeout(30_000);

interface Endpoint { readonly method?: string; readonly path: string; answer(ready: boolean): [number, string] }
interface FakeAdmin {
  readonly port: number;
  readonly requests: Array<{ method: string; path: string; status: number; at: number }>;
  readyAt?: number;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => { s.closeAllConnections(); s.close(r); })));
  await cleanup();
});

/** A fake admin server on 127.0.0.1 that turns ready after `readyAfterMs`. */
async function fakeAdmin(endpoints: Endpoint[], readyAfterMs = 300): Promise<FakeAdmin> {
  const admin: { port: number; requests: FakeAdmin['requests']; readyAt?: number } = { port: 0, requests: [] };
  const started = nowMs();
  const server = createServer((req, res) => {
    req.resume();
    const path = (req.url ?? '').split('?')[0];
    if (admin.readyAt === undefined && nowMs() - started >= readyAfterMs) admin.readyAt = nowMs();
    const e = endpoints.find((x) => x.path === path);
    const [status, body] = !e ? [404, 'not found\n'] : e.method && e.method !== req.method ? [405, ''] : e.answer(admin.readyAt !== undefined);
    admin.requests.push({ method: req.method ?? '', path, status, at: nowMs() });
    res.writeHead(status, { 'Content-Type': 'text/plain', 'Connection': 'close' });
    res.end(body);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  admin.port = (server.address() as AddressInfo).port;
  return admin;
}

const ready = (body: string) => (isReady: boolean): [number, string] => (isReady ? [200, body] : [503, 'not ready\n']);
const app = { name: 'report', image: 'registry.example.com/report:1.4', command: ['/report'], args: ['--since', '24h'] };

/** The rendered pod, and the pod as the API server stores it after the mesh's injector (`injection`) added its proxy. */
function render(mesh: Mesh, injection: PodMetadata | undefined) {
  const chart = newChart();
  new MeshJob(chart, 'nightly', { mesh, containers: [app] });
  const job = validateAll(Testing.synth(chart)).find((m) => m.kind === 'Job');
  return Object.assign(podSpecOf(job), { stored: admitted(podMetadataOf(job), injection) });
}

async function runPod(pod: any, ports: Record<string, number>, exit: number) {
  const child = new Child(tempDir(), 'report');
  const code = await kubeletFor(pod, ports, pod.stored).run(pod.containers[0], child.env({ exit, sleepMs: 50 }));
  return { code, child: child.report()! };
}

test('Linkerd: starts after :4191/ready, stops the proxy with POST :4191/shutdown, ends with the command\'s code', async () => {
  const admin = await fakeAdmin([
    { method: 'GET', path: '/ready', answer: ready('ready\n') },
    { method: 'POST', path: '/shutdown', answer: () => [200, 'shutdown\n'] },
  ]);
  const { code, child } = await runPod(render(Mesh.linkerd(), LINKERD_INJECTED), { 'localhost:4191': admin.port }, 3);

  expect(code).toBe(3);
  expect(child.startedAt).toBeGreaterThan(admin.readyAt!);
  expect(admin.requests.filter((r) => r.path === '/shutdown').map((r) => [r.method, r.status])).toEqual([['POST', 200]]);
});

test('Linkerd without the shutdown endpoint enabled (404): one clear stderr line, bounded, the command\'s code', async () => {
  const admin = await fakeAdmin([
    { method: 'GET', path: '/ready', answer: ready('ready\n') },
    { method: 'POST', path: '/shutdown', answer: () => [404, 'shutdown endpoint is not enabled\n'] },
  ], 0);
  const pod = render(Mesh.linkerd(), LINKERD_INJECTED);
  const child = new Child(tempDir(), 'report');
  const kubelet = kubeletFor(pod, { 'localhost:4191': admin.port }, pod.stored);
  const code = await kubelet.run(pod.containers[0], child.env({ exit: 0 }));

  expect(code).toBe(0);
  expect(admin.requests.filter((r) => r.path === '/shutdown')).toHaveLength(1);
  expect(kubelet.stderr).toEqual([
    `meshjob[report]: POST http://127.0.0.1:${admin.port}/shutdown answered 404: not retried; the sidecar may still be running`,
  ]);
});

test('Consul: starts after Envoy\'s 127.0.0.1:19000/ready, stops consul-dataplane at 127.0.0.1:20600/graceful_shutdown', async () => {
  const envoy = await fakeAdmin([{ method: 'GET', path: '/ready', answer: ready('LIVE\n') }]);
  const dataplane = await fakeAdmin([{ path: '/graceful_shutdown', answer: () => [200, ''] }], 0);
  const { code, child } = await runPod(render(Mesh.consul(), CONSUL_INJECTED), { '127.0.0.1:19000': envoy.port, '127.0.0.1:20600': dataplane.port }, 0);

  expect(code).toBe(0);
  expect(child.startedAt).toBeGreaterThan(envoy.readyAt!);
  expect(dataplane.requests.map((r) => [r.method, r.path, r.status])).toEqual([['POST', '/graceful_shutdown', 200]]);
});

test('plain Envoy: starts after /ready on its admin port, stops it with POST /quitquitquit', async () => {
  const admin = await fakeAdmin([
    { method: 'GET', path: '/ready', answer: ready('LIVE\n') },
    { method: 'POST', path: '/quitquitquit', answer: () => [200, 'OK\n'] },
  ]);
  const { code, child } = await runPod(render(Mesh.envoy({ adminPort: 9901 }), undefined), { 'localhost:9901': admin.port }, 7);

  expect(code).toBe(7);
  expect(child.startedAt).toBeGreaterThan(admin.readyAt!);
  expect(admin.requests.filter((r) => r.path === '/quitquitquit').map((r) => r.status)).toEqual([200]);
});
