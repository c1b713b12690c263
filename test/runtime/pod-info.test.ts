import { readFileSync } from 'fs';
import { HttpMethod, QuitCall } from '../../src/meshes/endpoint';
import { WrapperExitCode } from '../../src/runtime/exit-codes';
import { PodMark } from '../../src/runtime/settings';
import { FakeProxy, QUIT_PATH, READY_PATH } from '../support/fake-proxy';
import { PodMetadata } from '../support/kubelet';
import {
  Child, cleanup, missingPrograms, runWrapper, sharedDir, SHELL_SETUPS, startProxy, tempDir, terminationLogOf,
} from '../support/wrapper-harness';

// The pod's own metadata, as a downward API volume shows it (written as the kubelet writes it:
// test/support/kubelet.ts writeDownwardApi), tells the wrapper whether the mesh injected its proxy,
// whether that proxy is a native sidecar, and on which ports and paths it listens.

jest.setTimeout(20_000);
const post = (url: string): QuitCall => ({ method: HttpMethod.POST, url });
const ISTIO_STATUS = 'sidecar.istio.io/status';
const ISTIO_MARK: PodMark = { file: 'annotations', key: ISTIO_STATUS };
const status = (init: string[]) => JSON.stringify({ initContainers: init, containers: ['istio-proxy'], volumes: ['istio-envoy'], imagePullSecrets: null, revision: 'default' });
const INJECTED: PodMetadata = { annotations: { 'kubectl.kubernetes.io/default-container': 'main', [ISTIO_STATUS]: status(['istio-init']) }, labels: { app: 'report' } };
const polls = (p: FakeProxy) => p.requestsTo(READY_PATH).length;
const quits = (p: FakeProxy) => p.quits.map((q) => q.status);

describe.each(SHELL_SETUPS)('the pod\'s metadata on $name', (setup) => {
  if (missingPrograms(setup).length > 0) {
    test.skip(`SKIPPED: this machine lacks ${missingPrograms(setup).join(', ')}`, () => undefined);
    return;
  }
  afterEach(cleanup);

  /** A main container beside a mesh proxy and one of the job's own sidecars, both fakes. */
  async function run(podInfo: PodMetadata | undefined, extra: Record<string, unknown> = {}, proxyOptions = {}) {
    const proxy = await startProxy(proxyOptions);
    const sidecar = await startProxy({ quitMethods: 'any' });
    const child = new Child(tempDir());
    const dir = sharedDir();
    const r = await runWrapper({
      setup,
      env: child.env(),
      podInfo,
      settings: {
        dir,
        podInfoDir: podInfo ? undefined : `${tempDir()}/none`,
        injectionMarker: ISTIO_MARK,
        proxyReadyUrls: [proxy.readinessUrl],
        proxyQuit: [post(proxy.quitUrl)],
        quit: [post(sidecar.quitUrl)],
        nativeProxy: { annotation: ISTIO_STATUS, container: 'istio-proxy' },
        ...extra,
      },
    }).result;
    const log = () => readFileSync(terminationLogOf({ dir, container: 'main' }), 'utf8');
    return { r, proxy, sidecar, child, log };
  }

  test('fails at once with exit 78 when the pod carries no mark of injection: no wait, no command, the job\'s own sidecar still stopped', async () => {
    const { r, proxy, sidecar, child, log } = await run({ annotations: { 'kubectl.kubernetes.io/default-container': 'main' }, labels: { app: 'report' } }, {}, { readyAfterMs: 'never' });

    const line = `no annotation ${ISTIO_STATUS} on the pod: the mesh did not inject its proxy (see the namespace's injection and revision labels, and opt-outs): exiting 78 without running the command`;
    expect({ code: r.code, stderr: r.stderrLines }).toEqual({ code: WrapperExitCode.PROXY_NOT_INJECTED, stderr: [`meshjob[main]: ${line}`] });
    expect(log()).toBe(`meshjob: proxy-not-injected: ${line}\n`);
    expect(child.hasStarted).toBe(false);
    expect([polls(proxy), quits(proxy), quits(sidecar)]).toEqual([0, [], [200]]);
  });

  test.each([
    // Linkerd's label, the last line of the file (which the kubelet ends without a newline).
    ['a label', { file: 'labels', key: 'linkerd.io/control-plane-ns' }, { labels: { 'app': 'report', 'linkerd.io/control-plane-ns': 'linkerd' } }, true],
    ['an annotation with its value', { file: 'annotations', key: 'consul.hashicorp.com/connect-inject-status', value: 'injected' }, { annotations: { 'consul.hashicorp.com/connect-inject-status': 'injected' } }, true],
    ['an annotation with another value', { file: 'annotations', key: 'kuma.io/sidecar-injected', value: 'true' }, { annotations: { 'kuma.io/sidecar-injected': 'false' } }, false],
    ['a key that only starts like the mark', { file: 'labels', key: 'linkerd.io/control-plane-ns' }, { labels: { 'linkerd.io/control-plane-ns-x': 'linkerd' } }, false],
    ['another value that holds the mark\'s line', ISTIO_MARK, { annotations: { a: `x\n${ISTIO_STATUS}="{}"` } }, false],
  ] as Array<[string, PodMark, PodMetadata, boolean]>)('reads the mark of injection from %s', async (_what, injectionMarker, podInfo, injected) => {
    const { r, proxy } = await run(podInfo, { injectionMarker });

    expect(r.code).toBe(injected ? 0 : WrapperExitCode.PROXY_NOT_INJECTED);
    expect(quits(proxy)).toEqual(injected ? [200] : []);
  });

  test('with startWithoutProxy runs the command at once without the proxy: no wait for it, no quit to it', async () => {
    const { r, proxy, sidecar, child } = await run({ annotations: {} }, { startWithoutProxy: true }, { readyAfterMs: 'never' });

    expect(r.code).toBe(0);
    expect(r.stderrLines).toEqual([`meshjob[main]: no annotation ${ISTIO_STATUS} on the pod: the mesh did not inject its proxy; running the command without it, as asked (startWithoutProxy)`]);
    expect(child.hasStarted).toBe(true);
    expect([polls(proxy), quits(proxy), quits(sidecar)]).toEqual([0, [], [200]]);
  });

  test('waits for the proxy as before when the pod\'s metadata cannot be read', async () => {
    const { r, proxy } = await run(undefined);

    expect({ code: r.code, stderr: r.stderrLines }).toEqual({ code: 0, stderr: [] });
    expect(polls(proxy)).toBeGreaterThan(0);
    expect(quits(proxy)).toEqual([200]);
  });

  test('leaves a native proxy to the kubelet: Istio\'s status lists it under initContainers', async () => {
    const { r, proxy, sidecar } = await run({ annotations: { [ISTIO_STATUS]: status(['istio-init', 'istio-proxy']) } });

    expect(r.code).toBe(0);
    expect(r.stderrLines).toEqual([`meshjob[main]: istio-proxy is a native sidecar (${ISTIO_STATUS}): the kubelet stops it`]);
    expect([quits(proxy), quits(sidecar)]).toEqual([[], [200]]);
  });

  test('sends the quit to the port and path the pod\'s annotations name, and ignores one that names no port', async () => {
    const proxy = await startProxy();
    const gone = await FakeProxy.gonePort();
    const r = await runWrapper({
      setup,
      command: ['/bin/true'],
      podInfo: { annotations: { ...INJECTED.annotations, 'status.sidecar.istio.io/port': String(proxy.port), 'x/graceful-path': QUIT_PATH, 'x/admin-port': '15020; id' } },
      settings: {
        injectionMarker: ISTIO_MARK,
        proxyReadyUrls: [proxy.readinessUrl],
        proxyQuit: [post(`http://127.0.0.1:${gone}/graceful_shutdown`)],
        portAnnotations: [{ port: gone, annotation: 'status.sidecar.istio.io/port' }, { port: proxy.port, annotation: 'x/admin-port' }],
        pathAnnotations: [{ path: '/graceful_shutdown', annotation: 'x/graceful-path' }],
        quitAttempts: 1,
      },
    }).result;

    expect({ code: r.code, stderr: r.stderrLines }).toEqual({ code: 0, stderr: ['meshjob[main]: ignoring annotation x/admin-port: not a port from 1 to 65535'] });
    expect(quits(proxy)).toEqual([200]);
  });
});
