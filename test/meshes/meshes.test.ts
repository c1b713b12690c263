import { Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { HttpMethod, IstioStopMethod, Mesh, MeshJob, SidecarInjection, SidecarLifecycle } from '../../src';
import { newChart, renderMeshJob, settingsOf, wrappedCommandOf } from '../support/render';
import { validateAll } from '../support/schema';

const main = { name: 'main', image: 'registry.example.com/app:1', command: ['/app'], args: ['run'] };
const wrappedCommand = (pod: any, i = 0) => wrappedCommandOf(pod.containers[i]);

describe('Mesh.linkerd()', () => {
  test('asks for injection, enables the shutdown endpoint and keeps proxy-await on', () => {
    const { podMetadata } = renderMeshJob({ mesh: Mesh.linkerd(), containers: [main] });
    expect(podMetadata.annotations).toMatchObject({
      'linkerd.io/inject': 'enabled',
      'config.linkerd.io/proxy-admin-shutdown': 'enabled',
      'config.linkerd.io/proxy-await': 'enabled',
    });
  });

  test('waits on :4191/ready and stops the proxy with POST :4191/shutdown', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.linkerd(), containers: [main] });
    expect(settingsOf(pod.containers[0])).toMatchObject({
      MESHJOB_PROXY_READY: 'http://localhost:4191/ready',
      MESHJOB_PROXY_QUIT: 'POST|http://localhost:4191/shutdown',
    });
    expect(wrappedCommand(pod)).toEqual(['meshjob', '/app']);
  });

  test('turns proxy-await off when asked', () => {
    const { podMetadata } = renderMeshJob({ mesh: Mesh.linkerd({ proxyAwait: false }), containers: [main] });
    expect(podMetadata.annotations['config.linkerd.io/proxy-await']).toBe('disabled');
  });

  test('opts out of injection without wrapping', () => {
    const { pod, podMetadata } = renderMeshJob({ mesh: Mesh.linkerd({ injection: SidecarInjection.DISABLED }), containers: [main] });
    expect(podMetadata.annotations).toEqual({ 'linkerd.io/inject': 'disabled', 'meshjob/lifecycle': 'none' });
    expect(pod.containers[0].command).toEqual(['/app']);
  });
});

describe('Mesh.consul()', () => {
  test('asks for injection and the proxy lifecycle with no shutdown grace period', () => {
    const { podMetadata } = renderMeshJob({ mesh: Mesh.consul(), containers: [main] });
    expect(podMetadata.annotations).toMatchObject({
      'consul.hashicorp.com/connect-inject': 'true',
      'consul.hashicorp.com/enable-sidecar-proxy-lifecycle': 'true',
      'consul.hashicorp.com/sidecar-proxy-lifecycle-shutdown-grace-period-seconds': '0',
    });
  });

  test('waits on Envoy\'s :19000/ready and stops the dataplane with POST :20600/graceful_shutdown', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.consul(), containers: [main] });
    expect(settingsOf(pod.containers[0])).toMatchObject({
      MESHJOB_PROXY_READY: 'http://127.0.0.1:19000/ready',
      MESHJOB_PROXY_QUIT: 'POST|http://127.0.0.1:20600/graceful_shutdown',
    });
  });

  test('renders the shutdown grace period it is given', () => {
    const { podMetadata } = renderMeshJob({ mesh: Mesh.consul({ shutdownGracePeriod: Duration.seconds(5) }), containers: [main] });
    expect(podMetadata.annotations['consul.hashicorp.com/sidecar-proxy-lifecycle-shutdown-grace-period-seconds']).toBe('5');
  });
});

describe('Mesh.kuma()', () => {
  test('labels the pod for injection and holds it until the dataplane is ready', () => {
    const { podMetadata } = renderMeshJob({ mesh: Mesh.kuma(), containers: [main] });
    expect(podMetadata.labels['kuma.io/sidecar-injection']).toBe('enabled');
    expect(podMetadata.annotations).toEqual({
      'kuma.io/wait-for-dataplane-ready': 'true',
      // kuma-dp has nothing to drain once a Job's containers end (30 s by default).
      'kuma.io/sidecar-drain-time': '1s',
      'meshjob/lifecycle': 'none',
    });
  });

  test('does not wrap: Kuma\'s control plane stops the sidecar of a Job\'s pod', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.kuma(), containers: [{ ...main, command: undefined }] });
    expect(pod.containers[0].command).toBeUndefined();
    expect(pod.initContainers).toBeUndefined();
  });
});

describe('Mesh.envoy()', () => {
  test('waits on /ready and stops Envoy with POST /quitquitquit on its admin port', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.envoy({ adminPort: 9901 }), containers: [main] });
    expect(settingsOf(pod.containers[0])).toMatchObject({
      MESHJOB_PROXY_READY: 'http://localhost:9901/ready',
      MESHJOB_PROXY_QUIT: 'POST|http://localhost:9901/quitquitquit',
    });
  });

  test('fails when the admin port is not a port number', () => {
    expect(() => Mesh.envoy({ adminPort: 0 })).toThrow(/envoy adminPort 0 is not a port number/);
  });
});

describe('Mesh.custom()', () => {
  test('renders its labels and annotations and uses its URLs', () => {
    const { pod, podMetadata } = renderMeshJob({
      mesh: Mesh.custom({
        name: 'corpnet',
        readinessUrl: 'http://localhost:7001/healthz',
        quitRequests: [{ url: 'http://localhost:7001/admin/stop' }, { url: 'http://127.0.0.1:7002/bye', method: HttpMethod.GET }],
        podLabels: { 'corpnet.example.com/inject': 'true' },
        podAnnotations: { 'corpnet.example.com/profile': 'batch' },
      }),
      containers: [main],
    });
    expect(podMetadata.labels['corpnet.example.com/inject']).toBe('true');
    expect(podMetadata.annotations['corpnet.example.com/profile']).toBe('batch');
    expect(settingsOf(pod.containers[0])).toMatchObject({
      MESHJOB_PROXY_READY: 'http://localhost:7001/healthz',
      MESHJOB_PROXY_QUIT: 'POST|http://localhost:7001/admin/stop GET|http://127.0.0.1:7002/bye',
    });
  });

  test('fails when its readiness URL is not on the loopback address', () => {
    expect(() => Mesh.custom({ name: 'corpnet', readinessUrl: 'http://proxy.svc:7001/healthz' }))
      .toThrow(/mesh 'corpnet': readiness URL "http:\/\/proxy.svc:7001\/healthz" is not a loopback http:\/\/ URL/);
  });

  test('warns when it waits for a proxy that nothing stops', () => {
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { meshJob } = renderMeshJob({ mesh: Mesh.custom({ name: 'corpnet', readinessUrl: 'http://localhost:7001/healthz' }), containers: [main] });
    expect(meshJob.warnings).toEqual(["nothing stops mesh 'corpnet''s proxy: the pod will not complete unless it stops by itself; give the mesh a quit request"]);
    jest.restoreAllMocks();
  });

  test('with neither readiness nor quit requests, wraps nothing', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.custom({ podLabels: { a: 'b' } }), containers: [main] });
    expect(pod.containers[0].command).toEqual(['/app']);
  });
});

describe('Istio variants', () => {
  test('ambient mode labels the pod and wraps nothing', () => {
    const { pod, podMetadata } = renderMeshJob({ mesh: Mesh.istioAmbient(), containers: [main] });
    expect(podMetadata.labels['istio.io/dataplane-mode']).toBe('ambient');
    // The sidecar injector has no ambient check: the pod opts out of sidecar injection too.
    expect(podMetadata.labels['sidecar.istio.io/inject']).toBe('false');
    expect(pod.containers[0].command).toEqual(['/app']);
  });

  test('before Istio 1.3, shares the process namespace and stops pilot-agent by signal', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.istio({ stopMethod: IstioStopMethod.KILL_PILOT_AGENT }), containers: [main] });
    expect(pod.shareProcessNamespace).toBe(true);
    expect(settingsOf(pod.containers[0]).MESHJOB_PROXY_QUIT).toBe('KILL|pilot-agent');
  });
});

describe('the job\'s own sidecars', () => {
  const logs = { name: 'logs', image: 'fluent/fluent-bit:3.1', command: ['/fluent-bit/bin/fluent-bit'] };
  const sqlProxy = {
    name: 'cloud-sql-proxy',
    image: 'gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.0',
    args: ['--quitquitquit', 'p:r:i'],
    quitRequest: { url: 'http://localhost:9091/quitquitquit' },
    readinessUrl: 'http://localhost:9090/startup',
  };

  test('wraps a sidecar without a quit endpoint to stop when the main containers have ended', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.istio(), containers: [main], sidecars: [logs] });
    expect(pod.containers.map((c: any) => c.name)).toEqual(['main', 'logs']);
    expect(settingsOf(pod.containers[1])).toMatchObject({
      MESHJOB_ROLE: 'sidecar', MESHJOB_PEERS: 'main', MESHJOB_QUIT: '', MESHJOB_ON_READY_TIMEOUT: 'start',
    });
    expect(wrappedCommand(pod, 1)).toEqual(['meshjob', '/fluent-bit/bin/fluent-bit']);
    expect(settingsOf(pod.containers[0])).toMatchObject({ MESHJOB_SIDECARS: 'logs', MESHJOB_PEERS: 'main' });
    expect(settingsOf(pod.containers[0]).MESHJOB_ROLE).toBeUndefined();
  });

  test('stops a sidecar with a quit endpoint by HTTP before the mesh proxy, and waits for its readiness', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.istio(), containers: [main], sidecars: [sqlProxy] });
    expect(pod.containers[1].command).toBeUndefined();
    expect(pod.containers[1].args).toEqual(['--quitquitquit', 'p:r:i']);
    expect(settingsOf(pod.containers[0])).toMatchObject({
      MESHJOB_PROXY_READY: 'http://localhost:15021/healthz/ready',
      MESHJOB_READY_URL: 'http://localhost:9090/startup',
      MESHJOB_QUIT: 'POST|http://localhost:9091/quitquitquit',
      MESHJOB_PROXY_QUIT: 'POST|http://localhost:15020/quitquitquit',
    });
  });

  test('wraps the main containers to stop the sidecars even without a mesh', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.none(), containers: [main], sidecars: [logs] });
    expect(settingsOf(pod.containers[0])).toMatchObject({ MESHJOB_PROXY_READY: '', MESHJOB_READY_URL: '', MESHJOB_PROXY_QUIT: '', MESHJOB_QUIT: '', MESHJOB_SIDECARS: 'logs' });
  });

  test('renders the sidecar stop timeout', () => {
    const { pod } = renderMeshJob({
      mesh: Mesh.istio(),
      containers: [main],
      sidecars: [logs],
      lifecycle: SidecarLifecycle.wrap({ sidecarStopTimeout: Duration.seconds(5) }),
    });
    expect(settingsOf(pod.containers[1]).MESHJOB_SIDECAR_STOP_TIMEOUT).toBe('5');
  });

  test('fails when a sidecar without a quit endpoint has no command', () => {
    expect(() => renderMeshJob({ mesh: Mesh.istio(), containers: [main], sidecars: [{ name: 'logs', image: 'fluent/fluent-bit:3.1' }] }))
      .toThrow(/meshjob 'reports\/nightly' wraps container 'logs' but it has no command/);
  });

  test('fails when a sidecar\'s readiness URL is not on the loopback address', () => {
    expect(() => renderMeshJob({ mesh: Mesh.istio(), containers: [main], sidecars: [{ ...sqlProxy, readinessUrl: 'http://10.1.2.3:9090/startup' }] }))
      .toThrow(/sidecar readiness URL "http:\/\/10.1.2.3:9090\/startup" is not a loopback http:\/\/ URL/);
  });

  test('fails when a sidecar takes a main container\'s name', () => {
    expect(() => renderMeshJob({ mesh: Mesh.istio(), containers: [main], sidecars: [{ ...logs, name: 'main' }] }))
      .toThrow(/has two containers named 'main'/);
  });
});

describe('a proxy the job declares itself (Mesh.envoy, Mesh.custom)', () => {
  const envoy = { name: 'envoy', image: 'envoyproxy/envoy:v1.31.2', command: ['envoy'], args: ['-c', '/etc/envoy/envoy.yaml'] };

  test('a wrapped sidecar does not wait for the mesh proxy, which may be itself', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.envoy({ adminPort: 9901 }), containers: [main], sidecars: [envoy] });
    expect(settingsOf(pod.containers[1])).toMatchObject({ MESHJOB_ROLE: 'sidecar', MESHJOB_PROXY_READY: '' });
    expect(settingsOf(pod.containers[0]).MESHJOB_PROXY_READY).toBe('http://localhost:9901/ready');
  });

  test('a sidecar whose quitRequest is the mesh\'s own quit is stopped by one request', () => {
    const { pod } = renderMeshJob({
      mesh: Mesh.envoy({ adminPort: 9901 }), containers: [main], sidecars: [{ ...envoy, quitRequest: { url: 'http://localhost:9901/quitquitquit' } }],
    });
    expect(settingsOf(pod.containers[0]).MESHJOB_PROXY_QUIT).toBe('POST|http://localhost:9901/quitquitquit');
    expect(pod.containers[1].command).toEqual(['envoy']);
  });

  test('a wrapped sidecar still waits for an injected mesh proxy', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.istio(), containers: [main], sidecars: [envoy] });
    expect(settingsOf(pod.containers[1]).MESHJOB_PROXY_READY).toBe('http://localhost:15021/healthz/ready');
  });
});

describe('Mesh.istio() in production installs', () => {
  test('labels the pod istio.io/rev for a revision or tag, instead of the default revision\'s inject label', () => {
    const { podMetadata } = renderMeshJob({ mesh: Mesh.istio({ revision: 'canary' }), containers: [main] });
    expect(podMetadata.labels['istio.io/rev']).toBe('canary');
    expect(podMetadata.labels['sidecar.istio.io/inject']).toBeUndefined();
  });

  test('fails on a revision that is not a label value', () => {
    expect(() => Mesh.istio({ revision: 'Canary 1.24' })).toThrow(/istio revision "Canary 1.24" is not a revision or tag name/);
  });

  test('asks a wrapped pod for the classic proxy, since Istio >= 1.27 injects a native one by default on Kubernetes >= 1.33', () => {
    const { podMetadata, meshJob } = renderMeshJob({ mesh: Mesh.istio(), kubernetesVersion: '1.33', containers: [main] });
    expect(meshJob.lifecycleMode).toBe('wrap');
    expect(podMetadata.annotations['sidecar.istio.io/nativeSidecar']).toBe('false');
  });

  test('waits on the status port 15020 before Istio 1.6', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.istio({ version: '1.5.10' }), containers: [main] });
    expect(settingsOf(pod.containers[0]).MESHJOB_PROXY_READY).toBe('http://localhost:15020/healthz/ready');
  });

  test('stops Istio before 1.3 through pilot-agent, waiting on the status port', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.istio({ version: '1.2.5', stopMethod: IstioStopMethod.KILL_PILOT_AGENT }), containers: [main] });
    expect(settingsOf(pod.containers[0])).toMatchObject({ MESHJOB_PROXY_READY: 'http://localhost:15020/healthz/ready', MESHJOB_PROXY_QUIT: 'KILL|pilot-agent' });
  });

  test('fails for Istio before 1.3 with the quit endpoint, pointing to KILL_PILOT_AGENT', () => {
    expect(() => Mesh.istio({ version: '1.2' })).toThrow('istio version 1.2 has no /quitquitquit (it came in 1.3): use stopMethod: IstioStopMethod.KILL_PILOT_AGENT, or upgrade Istio');
  });

  test('fails for Istio before 1.1, which has no status port', () => {
    expect(() => Mesh.istio({ version: '1.0.6', stopMethod: IstioStopMethod.KILL_PILOT_AGENT })).toThrow(/istio version 1.0.6 has no status port to wait on/);
  });
});

describe('native-by-default meshes and Kuma\'s namespace rule', () => {
  test('asks a wrapped Linkerd pod for the classic proxy under the name its version reads', () => {
    const known = renderMeshJob({ mesh: Mesh.linkerd({ version: '2.20' }), containers: [main] }).podMetadata.annotations;
    expect(known['config.linkerd.io/proxy-enable-native-sidecar']).toBe('false');
    expect(known['config.alpha.linkerd.io/proxy-enable-native-sidecar']).toBeUndefined();
    const unknown = renderMeshJob({ mesh: Mesh.linkerd(), containers: [main] }).podMetadata.annotations;
    expect(Object.entries(unknown).filter(([k]) => k.includes('native-sidecar')).map(([, v]) => v)).toEqual(['false', 'false', 'false']);
  });

  test('warns that Kuma >= 2.11 injects only in a labelled namespace', () => {
    const { meshJob } = renderMeshJob({ mesh: Mesh.kuma({ version: '2.11' }), containers: [main] });
    expect(meshJob.warnings).toContain(
      "Kuma >= 2.11 injects a pod only in a namespace labelled kuma.io/sidecar-injection (any value): label the Job's namespace, or its pod runs outside the mesh without a word",
    );
    expect(renderMeshJob({ mesh: Mesh.kuma({ version: '2.10' }), containers: [main] }).meshJob.warnings).toEqual([]);
  });
});

describe('Mesh.consul() in production installs', () => {
  test('renders a headless Service selecting the Job\'s pods, named after the ServiceAccount for ACLs', () => {
    const chart = newChart();
    const sa = new kplus.ServiceAccount(chart, 'sa', { metadata: { name: 'reporter' } });
    new MeshJob(chart, 'nightly', { mesh: Mesh.consul(), containers: [main], serviceAccount: sa });
    const manifests = validateAll(Testing.synth(chart));
    const service = manifests.find((m) => m.kind === 'Service');
    const job = manifests.find((m) => m.kind === 'Job');
    expect(service.metadata.name).toBe('reporter');
    expect(service.spec.clusterIP).toBe('None');
    expect(Object.entries(service.spec.selector).every(([k, v]) => job.spec.template.metadata.labels[k] === v)).toBe(true);
  });

  test('fails synth when two Jobs sharing a ServiceAccount would render two registration Services of one name', () => {
    const chart = newChart();
    const sa = new kplus.ServiceAccount(chart, 'sa', { metadata: { name: 'reporter' } });
    new MeshJob(chart, 'nightly', { mesh: Mesh.consul(), containers: [main], serviceAccount: sa });
    new MeshJob(chart, 'weekly', { mesh: Mesh.consul(), containers: [main], serviceAccount: sa });
    expect(() => Testing.synth(chart)).toThrow(/meshjob 'reports\/nightly': the registration Service reporter has the name of reports\/weekly\/Service\/Resource's/);
  });

  test('renders no Service when asked not to', () => {
    const chart = newChart();
    new MeshJob(chart, 'nightly', { mesh: Mesh.consul({ registrationService: false }), containers: [main] });
    expect(Testing.synth(chart).filter((m) => m.kind === 'Service')).toEqual([]);
  });

  test('waits and quits on [::1] in a dual-stack install', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.consul({ dualStack: true }), containers: [main] });
    expect(settingsOf(pod.containers[0])).toMatchObject({
      MESHJOB_PROXY_READY: 'http://[::1]:19000/ready', MESHJOB_PROXY_QUIT: 'POST|http://[::1]:20600/graceful_shutdown',
    });
  });
});

describe('Mesh.custom() labels and annotations', () => {
  test('fails on a label the API server would refuse, naming it', () => {
    expect(() => Mesh.custom({ podLabels: { 'corp.example.com/mesh': 'on please' } })).toThrow(
      'mesh \'custom\': pod label corp.example.com/mesh="on please" has a value Kubernetes refuses: at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit',
    );
  });

  test('fails on a label or annotation key that is not a Kubernetes key', () => {
    expect(() => Mesh.custom({ podLabels: { 'Corp/Mesh/x': 'on' } })).toThrow(/pod label key "Corp\/Mesh\/x" is not a Kubernetes key/);
    expect(() => Mesh.custom({ podAnnotations: { 'inject me': 'yes' } })).toThrow(/pod annotation key "inject me" is not a Kubernetes key/);
  });

  test('accepts the keys and values Kubernetes accepts', () => {
    expect(() => Mesh.custom({ podLabels: { 'corp.example.com/mesh': 'enabled', 'tier': '' }, podAnnotations: { 'corp.example.com/mesh-config': '{"a": 1}' } })).not.toThrow();
  });
});
