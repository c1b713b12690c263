import { Testing } from 'cdk8s';
import { Mesh, MeshJob } from '../../src';
import { WrapperExitCode } from '../../src/runtime/exit-codes';
import { READY_PATH } from '../support/fake-proxy';
import { admitted, istioInjected } from '../support/injection';
import { PodMetadata } from '../support/kubelet';
import { kubeletFor } from '../support/pod';
import { newChart } from '../support/render';
import { podMetadataOf, podSpecOf, validateAll } from '../support/schema';
import { Child, cleanup, startProxy, tempDir } from '../support/wrapper-harness';

// A rendered Istio Job, whose wrapped containers read the pod's metadata, run as a kubelet would
// (test/support/pod.ts) beside a fake Istio proxy: the downward API volume shows the pod as the API
// server stored it, with the marks Istio's injector adds when it adds the proxy, or none.

jest.setTimeout(30_000);
afterEach(cleanup);

const app = { name: 'report', image: 'registry.example.com/report:1.4', command: ['/report'] };

function render(): { pod: any; template: PodMetadata } {
  const chart = newChart();
  new MeshJob(chart, 'nightly', { mesh: Mesh.istio(), containers: [app] });
  const job = validateAll(Testing.synth(chart)).find((m) => m.kind === 'Job');
  const pod = podSpecOf(job);
  const { labels, annotations } = podMetadataOf(job);
  return { pod, template: { labels, annotations } };
}

async function runReport(metadata: PodMetadata, ports: Record<string, number>) {
  const { pod } = render();
  const child = new Child(tempDir(), 'report');
  const kubelet = kubeletFor(pod, ports, metadata);
  const code = await kubelet.run(pod.containers[0], child.env());
  return { code, child, stderr: kubelet.stderr };
}

describe('an Istio Job that reads its own pod\'s metadata, run as a kubelet would', () => {
  test('fails at once with proxy-not-injected when the mesh injected nothing, without waiting for a proxy', async () => {
    const proxy = await startProxy({ readyAfterMs: 'never' });
    const { template } = render();
    const { code, child, stderr } = await runReport(admitted(template, undefined), { 'localhost:15021': proxy.port, 'localhost:15020': proxy.port });

    expect(code).toBe(WrapperExitCode.PROXY_NOT_INJECTED);
    expect(stderr).toEqual([expect.stringMatching(/^meshjob\[report\]: no annotation sidecar\.istio\.io\/status on the pod: the mesh did not inject its proxy/)]);
    expect(child.hasStarted).toBe(false);
    expect([proxy.requestsTo(READY_PATH), proxy.quits]).toEqual([[], []]);
  });

  test('leaves a native proxy to the kubelet: no quit', async () => {
    const proxy = await startProxy();
    const { template } = render();
    const { code, child } = await runReport(admitted(template, istioInjected(true)), { 'localhost:15021': proxy.port, 'localhost:15020': proxy.port });

    expect(code).toBe(0);
    expect(child.report()!.startedAt).toBeGreaterThan(proxy.readyAt!);
    expect(proxy.quits).toEqual([]);
  });

  test('sends the quit to the status port the pod\'s annotation names', async () => {
    const proxy = await startProxy();
    const moved = await startProxy();
    const { template } = render();
    const injected = admitted({ ...template, annotations: { ...template.annotations, 'status.sidecar.istio.io/port': String(moved.port) } }, istioInjected());
    // 15020 stays 15020 (on 127.0.0.1): the wrapper moves it to the annotated port, or asks 15020.
    const { code } = await runReport(injected, { 'localhost:15021': proxy.port, 'localhost:15020': 15020 });

    expect(code).toBe(0);
    expect(proxy.quits).toEqual([]);
    expect(moved.quits.map((q) => [q.method, q.status])).toEqual([['POST', 200]]);
  });
});
