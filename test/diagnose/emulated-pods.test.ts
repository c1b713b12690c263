import { existsSync, readFileSync } from 'fs';
import { createServer, AddressInfo } from 'net';
import { join } from 'path';
import { Duration, Testing } from 'cdk8s';
import { Mesh, MeshJob, SidecarLifecycle, WrapperExitCode } from '../../src';
import { diagnose, FindingKind } from '../../src/diagnose/findings';
import { readWrapperCommand } from '../../src/runtime/settings';
import { admitted, istioInjected } from '../support/injection';
import { kubeletFor } from '../support/pod';
import { newChart } from '../support/render';
import { podMetadataOf, podSpecOf, validateAll, validateManifest } from '../support/schema';
import { Child, cleanup, tempDir } from '../support/wrapper-harness';

// MeshJob's own pods, run by the emulated kubelet (test/support/pod.ts) in a namespace where the
// mesh injected no proxy: the pod status diagnose reads is built from what the run returned.
// Each run is bounded by the wrapper's own settings (readyTimeout, requestTimeout and a quit
// window of one attempt: nothing answers, and retrying would only make the run longer), and
// diagnose reads the pods at the instant the last one ended, not at the clock's.

afterEach(cleanup);

/** A loopback port nothing listens on: what the readiness URL reaches when no proxy was injected. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

function renderJob() {
  const chart = newChart();
  new MeshJob(chart, 'nightly', {
    mesh: Mesh.istio(),
    containers: [{ name: 'report', image: 'registry.example.com/report:1.4', command: ['/report'] }],
    lifecycle: SidecarLifecycle.wrap({ readyTimeout: Duration.seconds(1), requestTimeout: Duration.seconds(1), quitAttempts: 1 }),
  });
  const job = validateAll(Testing.synth(chart)).find((m) => m.kind === 'Job');
  return { spec: podSpecOf(job), metadata: podMetadataOf(job) };
}

/**
 * How long one run can take: the wrapper's readiness wait, one request in flight when it ends,
 * and its quit window, all read from the rendered settings; and starting the init container and
 * the wrapper (a few processes: 10 s is ample on two cores at a load average of 10).
 */
function runBoundMs(rendered: { spec: any }): number {
  const { settings } = readWrapperCommand(rendered.spec.containers[0].command)!;
  // One container: its quit takes every pause and every attempt's request timeout at most.
  const pauses = settings.QUIT_DELAYS.split(' ').filter(Boolean).map(Number);
  const quit = pauses.reduce((sum, p) => sum + p, 0) + (pauses.length + 1) * Number(settings.REQUEST_TIMEOUT);
  const wrapper = Number(settings.READY_TIMEOUT) + Number(settings.REQUEST_TIMEOUT) + quit;
  return (wrapper + 10) * 1000;
}
const RUN_BOUND_MS = runBoundMs(renderJob());

/** Runs the pod's main container once and returns the core/v1 Pod the API would show after it. */
async function runPod(rendered: { spec: any; metadata: any }, port: number, name: string, injected = true): Promise<any> {
  const startedAt = new Date().toISOString();
  const stored = admitted(rendered.metadata, injected ? istioInjected() : undefined);
  const kubelet = kubeletFor(rendered.spec, { 'localhost:15021': port }, stored);
  const code = await kubelet.run(rendered.spec.containers[0], new Child(tempDir(), 'report').env());
  // The kubelet reports the container's termination message file (test/support/pod.ts: one file for every container).
  const log = join(kubelet.volume, 'termination-log');
  const message = existsSync(log) ? readFileSync(log, 'utf-8') : undefined;
  const finishedAt = new Date().toISOString();
  if (code === null) throw new Error('the wrapper died of a signal');
  const main = rendered.spec.containers[0];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'billing',
      labels: { ...rendered.metadata.labels, 'batch.kubernetes.io/job-name': 'nightly', 'job-name': 'nightly' },
      annotations: rendered.metadata.annotations,
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'nightly', uid: '6c1e8c52-0a0b-4d9e-9b1f-3d2c1a0b9e8f', controller: true, blockOwnerDeletion: true }],
    },
    spec: rendered.spec,
    status: {
      phase: code === 0 ? 'Succeeded' : 'Failed',
      startTime: startedAt,
      initContainerStatuses: rendered.spec.initContainers.map((c: any) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: false,
        restartCount: 0,
        started: false,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt: startedAt } },
      })),
      containerStatuses: [{
        name: main.name,
        image: main.image,
        imageID: '',
        ready: false,
        restartCount: 0,
        started: false,
        state: { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', ...(message ? { message } : {}), startedAt, finishedAt } },
      }],
    },
  };
}

/** When the last of `pods` ended, as diagnose's `now`. */
const endOf = (pods: any[]) => Math.max(...pods.map((p) => Date.parse(p.status.containerStatuses[0].state.terminated.finishedAt)));

test('GIVEN MeshJob\'s wrapped pod run twice with no proxy injected WHEN diagnose reads both pods THEN it names the missing injection once, with the injection fix', async () => {
  const rendered = renderJob();
  const port = await closedPort();
  const pods = [await runPod(rendered, port, 'nightly-b5k2x', false), await runPod(rendered, port, 'nightly-q9d4m', false)];
  pods.forEach(validateManifest);
  const exits = pods.map((p) => p.status.containerStatuses[0].state.terminated.exitCode);
  expect(exits).toEqual([WrapperExitCode.PROXY_NOT_INJECTED, WrapperExitCode.PROXY_NOT_INJECTED]);

  const findings = diagnose(pods, [], { now: endOf(pods), stuckAfterSeconds: 300, sidecars: [] });

  expect(findings).toHaveLength(1);
  expect(findings[0]).toMatchObject({
    kind: FindingKind.PROXY_NOT_INJECTED, namespace: 'billing', job: 'nightly', pod: 'nightly-q9d4m', container: 'report', mesh: 'istio no proxy',
  });
  expect(findings[0].cause).toContain('exited 78 without running the command on 2 pods: no annotation sidecar.istio.io/status on the pod');
  expect(findings[0].fix).toContain('sidecar.istio.io/inject');
  expect(findings[0].fix).toContain('meshjob --proxy-not-injected start');
}, 2 * RUN_BOUND_MS);

test('GIVEN MeshJob\'s wrapped pod run twice with a proxy injected that never answers WHEN diagnose reads both pods THEN it is a repeated exit 75', async () => {
  const rendered = renderJob();
  const port = await closedPort();
  const pods = [await runPod(rendered, port, 'nightly-b5k2x'), await runPod(rendered, port, 'nightly-q9d4m')];
  const exits = pods.map((p) => p.status.containerStatuses[0].state.terminated.exitCode);
  expect(exits).toEqual([WrapperExitCode.PROXY_NOT_READY, WrapperExitCode.PROXY_NOT_READY]);

  const findings = diagnose(pods, [], { now: endOf(pods), stuckAfterSeconds: 300, sidecars: [] });

  expect(findings.map((f) => [f.kind, f.pod])).toEqual([[FindingKind.PROXY_NOT_READY_REPEATED, 'nightly-q9d4m']]);
}, 2 * RUN_BOUND_MS);

test('GIVEN one such pod only WHEN diagnose reads it THEN a single exit 75 is not yet a loop', async () => {
  const pod = await runPod(renderJob(), await closedPort(), 'nightly-b5k2x');
  expect(pod.status.containerStatuses[0].state.terminated.exitCode).toBe(WrapperExitCode.PROXY_NOT_READY);
  expect(diagnose([pod], [], { now: endOf([pod]), stuckAfterSeconds: 300, sidecars: [] })).toEqual([]);
}, RUN_BOUND_MS);
