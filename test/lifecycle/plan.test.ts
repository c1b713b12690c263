import { PodFailurePolicyAction } from '../../src/lifecycle/pod-failure-policy';
import { NATIVE_STARTUP_PROBE, PodInput, planPod } from '../../src/lifecycle/pod-plan';
import { LifecycleMode, ProxyNotInjectedAction, ReadyTimeoutAction, WrapInput } from '../../src/lifecycle/sidecar-lifecycle';
import { HttpMethod } from '../../src/meshes/endpoint';
import { MeshContract } from '../../src/meshes/mesh-contract';
import { readWrapperCommand } from '../../src/runtime/settings';
import { HttpClient, RuntimeParts } from '../../src/runtime/wrapper-runtime';
import { version } from '../../src/versions';

// planPod on plain data, as the construct, applyTo and the command line build it at their edges:
// no Mesh, SidecarLifecycle or cdk8s object here, only the values the plan reads.

const RUNTIME: RuntimeParts = {
  shell: ['/w/busybox', 'sh'],
  busybox: '/w/busybox',
  httpClient: HttpClient.WGET,
  stateDir: '/w/run',
  volumes: [{ name: 'w', emptyDir: { sizeLimit: '1Mi' } }],
  mounts: [{ name: 'w', mountPath: '/w' }],
  initContainer: {
    name: 'w-init',
    image: 'bb:1',
    imagePullPolicy: 'IfNotPresent',
    command: ['/bin/cp'],
    resources: { requests: { cpu: '1m', memory: '1Mi' }, limits: { cpu: '2m', memory: '2Mi' } },
    securityContext: { runAsNonRoot: true },
    volumeMounts: [{ name: 'w', mountPath: '/w' }],
  },
};

const WRAP: WrapInput = {
  runtime: RUNTIME,
  readyTimeoutMs: 5000,
  readyPollMs: 10,
  requestTimeoutMs: 1000,
  onReadyTimeout: ReadyTimeoutAction.FAIL,
  onProxyNotInjected: ProxyNotInjectedAction.FAIL,
  quitAttempts: 2,
  quitRetryDelayMs: 100,
  keepProxyOnFailure: false,
  extraQuitRequests: [],
  sidecarStopTimeoutMs: 3000,
};

const MESH: MeshContract = {
  name: 'acme',
  version: version('2.0'),
  podLabels: { 'acme.io/inject': 'on' },
  podAnnotations: { 'acme.io/config': '{"hold":true}' },
  mapAnnotations: ['acme.io/config'],
  injectionSwitch: { key: 'acme.io/inject', in: ['label'], offValues: ['off'] },
  injectedContainers: ['acme-proxy'],
  native: { minVersion: '2.0', podLabels: { 'acme.io/inject': 'on' }, podAnnotations: { 'acme.io/native': 'true' } },
  proxy: {
    readinessUrl: 'http://localhost:7000/ready',
    quit: [{ method: HttpMethod.POST, url: 'http://localhost:7001/quit' }],
    portAnnotations: [{ port: 7001, annotation: 'acme.io/admin-port' }],
  },
};

const pod = (more: Partial<PodInput> = {}): PodInput => ({
  subject: 'Job acme/x',
  mesh: MESH,
  lifecycle: { mode: LifecycleMode.WRAP, wrap: WRAP },
  containers: [{ name: 'app', image: 'app:1', command: ['/app'] }],
  ...more,
});

describe('planPod on plain data', () => {
  test('wraps each main container with the runtime given, and carries every added value as Kubernetes JSON', () => {
    const { plan } = planPod(pod());
    expect(plan!.mode).toBe(LifecycleMode.WRAP);
    expect(plan!.initContainer).toEqual(RUNTIME.initContainer);
    // The mesh names a port annotation, so the wrapper reads the pod's annotations at run time.
    const podInfo = { name: 'meshjob-pod', downwardAPI: { items: [{ path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } }] } };
    expect(plan!.volumes).toEqual([...RUNTIME.volumes, podInfo]);
    const [app] = plan!.containers;
    expect(app.wrap!.volumeMounts).toEqual([...RUNTIME.mounts, { name: 'meshjob-pod', mountPath: '/meshjob/pod', readOnly: true }]);
    const argv = readWrapperCommand(app.wrap!.command)!;
    expect(app.wrap!.command.slice(0, 2)).toEqual(RUNTIME.shell);
    expect(argv.command).toEqual(['/app']);
    expect(argv.settings).toMatchObject({
      DIR: '/w/run',
      PROXY_READY: 'http://localhost:7000/ready',
      READY_TIMEOUT: '5',
      READY_POLL: '0.01',
      REQUEST_TIMEOUT: '1',
      PROXY_QUIT: 'POST|http://localhost:7001/quit',
      POD_DIR: '/meshjob/pod',
      PORTS: '7001 acme.io/admin-port',
      QUIT_DELAYS: '0.1',
    });
    expect(plan!.labels).toEqual({ 'acme.io/inject': 'on' });
    expect(plan!.annotations).toEqual({ 'acme.io/config': '{"hold":true}', 'meshjob/lifecycle': 'wrap' });
    expect(plan!.restartPolicy).toBe('Never');
  });

  test('returns the container it cannot wrap as a value, naming its image, and throws nothing', () => {
    const outcome = planPod(pod({ containers: [{ name: 'app', image: 'app:1', command: ['/app'] }, { name: 'migrate', image: 'migrate:2' }] }));
    expect(outcome).toEqual({ unwrappable: { container: 'migrate', image: 'migrate:2', reason: 'no-command' } });
  });

  test('a done-file sidecar without command is unwrappable too; one stopped by HTTP is not wrapped at all', () => {
    expect(planPod(pod({ sidecars: [{ name: 'logs', image: 'logs:1' }] })).unwrappable).toMatchObject({ container: 'logs' });
    const { plan } = planPod(pod({ sidecars: [{ name: 'sql', image: 'sql:1', quitRequest: { url: 'http://localhost:9091/quitquitquit' } }] }));
    expect(plan!.containers.find((c) => c.name === 'sql')!.wrap).toBeUndefined();
  });

  test('renders native sidecars with the startup probe the plan decides', () => {
    const { plan } = planPod(pod({
      lifecycle: { mode: LifecycleMode.NATIVE, wrap: WRAP },
      kubernetesVersion: version('1.30'),
      sidecars: [{ name: 'sql', image: 'sql:1', readinessUrl: 'http://localhost:9090/startup' }],
    }));
    expect(plan!.nativeSidecars).toEqual([{ name: 'sql', index: 0, startupProbe: { httpGet: { port: 9090, path: '/startup' }, ...NATIVE_STARTUP_PROBE } }]);
    expect(plan!.annotations).toEqual({ 'acme.io/native': 'true', 'meshjob/lifecycle': 'native' });
    expect(plan!.initContainer).toBeUndefined();
  });

  test('merges a map annotation key by key, and refuses one set both ways', () => {
    const merged = planPod(pod({ podAnnotations: { 'acme.io/config': 'drain: 5s' } })).plan!;
    expect(JSON.parse(merged.annotations['acme.io/config'])).toEqual({ drain: '5s', hold: true });
    expect(() => planPod(pod({ podAnnotations: { 'acme.io/config': 'hold: false' } })))
      .toThrow('Job acme/x: pod annotation acme.io/config="hold: false" conflicts with "{\\"hold\\":true}", which the mesh settings need');
  });

  test('keeps a chart\'s own value of the injection switch, and refuses the user\'s own', () => {
    expect(planPod(pod({ podLabels: { 'acme.io/inject': 'maybe' }, chartJob: true })).plan!.labels).toEqual({});
    expect(() => planPod(pod({ podLabels: { 'acme.io/inject': 'maybe' } }))).toThrow(/pod label acme.io\/inject="maybe" conflicts with "on"/);
    expect(() => planPod(pod({ podLabels: { 'acme.io/inject': 'off' } }))).toThrow(/pod label acme.io\/inject="off" opts out of the mesh's injection/);
  });

  test('sends the quit to the port the pod\'s own annotation names', () => {
    const { plan } = planPod(pod({ podAnnotations: { 'acme.io/admin-port': '7100' } }));
    expect(readWrapperCommand(plan!.containers[0].wrap!.command)!.settings.PROXY_QUIT).toBe('POST|http://localhost:7100/quit');
  });

  test('tells the wrapper what the injection writes into the pod, and what to do without it', () => {
    const marked: MeshContract = { ...MESH, proxy: { ...MESH.proxy!, injectionMarker: { file: 'labels', key: 'acme.io/injected' } } };
    const settings = (wrap: WrapInput) => {
      const { plan } = planPod(pod({ mesh: marked, lifecycle: { mode: LifecycleMode.WRAP, wrap } }));
      return readWrapperCommand(plan!.containers[0].wrap!.command)!.settings;
    };
    expect(settings(WRAP)).toMatchObject({ MARKER: 'labels acme.io/injected', ON_NOT_INJECTED: 'fail' });
    expect(settings({ ...WRAP, onProxyNotInjected: ProxyNotInjectedAction.START }).ON_NOT_INJECTED).toBe('start');
    const { plan } = planPod(pod({ mesh: marked }));
    expect(plan!.volumes.find((v) => v.name === 'meshjob-pod')!.downwardAPI!.items.map((i) => i.path)).toEqual(['annotations', 'labels']);
  });

  test('refuses a user volume named like the pod metadata volume', () => {
    expect(() => planPod(pod({ volumeNames: ['meshjob-pod'] })))
      .toThrow("Job acme/x: volume name 'meshjob-pod' is reserved for the wrapper (its shared directory, its binary, its pod's metadata): rename your volume");
  });

  test('puts the user\'s podFailurePolicy rules, as data, before the defaults', () => {
    const { plan } = planPod(pod({
      activeDeadline: true,
      podFailurePolicy: [{ action: PodFailurePolicyAction.FAIL_JOB, onExitCodes: { operator: 'In', values: [42] } }],
    }));
    expect(plan!.podFailureRules).toEqual([
      { action: 'FailJob', onExitCodes: { containerName: 'app', operator: 'In', values: [42] } },
      { action: 'Ignore', onExitCodes: { containerName: 'app', operator: 'In', values: [75] } },
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
    ]);
  });

  test('fails on durations the wrapper cannot count, whichever edge built the input', () => {
    expect(() => planPod(pod({ lifecycle: { mode: LifecycleMode.WRAP, wrap: { ...WRAP, readyTimeoutMs: 9.3e19 } } })))
      .toThrow('Job acme/x: readyTimeout of 93000000000000000 s is longer than the wrapper allows (86400 s, a day): shorten it');
  });
});
