import { ApiObject, Chart, Testing } from 'cdk8s';
import { Mesh, MeshJobs, SidecarLifecycle } from '../../src';
import { toManifestLifecycle } from '../../src/cli/options';
import { applyToManifest } from '../../src/manifests/apply';
import { parseLinkerdVersion } from '../../src/meshes/linkerd';
import { renderMeshJob } from '../support/render';

// Each mesh as its injector behaves today (istio/istio 1.27-1.30, linkerd2 edge-26.8 / 2.20,
// consul-k8s 2.0.3): the cases where reading it the old way left a Job hanging.

const main = { name: 'main', image: 'registry.example.com/app:1', command: ['/app'] };

/** A chart's Job (YAML from a Helm chart) whose pod template carries `labels`. */
function chartJob(labels: Record<string, string> = {}, annotations: Record<string, string> = {}): any {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'migrate', namespace: 'shop' },
    spec: { template: { metadata: { labels, annotations }, spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', image: 'migrate:1', command: ['/migrate'] }] } } },
  };
}

describe('Istio >= 1.27 reads sidecar.istio.io/inject strictly', () => {
  test.each(['no', 'off', 'False', 'n'])('a chart\'s Job labelled %j is wrapped: only "false" opts out when the version is unknown or >= 1.27', (value) => {
    for (const version of [undefined, '1.27', '1.30.1']) {
      const job = chartJob({ 'sidecar.istio.io/inject': value });
      const r = applyToManifest(job, { mesh: Mesh.istio({ version }) });
      expect(r.outcome).toBe('applied');
      // The chart's own value stays: with it, the namespace's policy decides whether to inject.
      expect(job.spec.template.metadata.labels['sidecar.istio.io/inject']).toBe(value);
      expect(job.spec.template.spec.containers[0].command[0]).toBe('/meshjob/bin/busybox');
    }
  });

  test.each(['no', 'off', 'False', 'n'])('a chart\'s Job labelled %j is left alone on Istio 1.26, which reads it as an opt-out', (value) => {
    const r = applyToManifest(chartJob({ 'sidecar.istio.io/inject': value }), { mesh: Mesh.istio({ version: '1.26' }) });
    expect(r).toMatchObject({ outcome: 'opted-out', problem: `pod label sidecar.istio.io/inject=${JSON.stringify(value)} opts out of the mesh` });
  });

  test('"false" opts out on every version', () => {
    for (const version of [undefined, '1.20', '1.27']) {
      expect(applyToManifest(chartJob({ 'sidecar.istio.io/inject': 'false' }), { mesh: Mesh.istio({ version }) }).outcome).toBe('opted-out');
    }
  });

  test('the label wins over the deprecated annotation of the same name', () => {
    const r = applyToManifest(chartJob({ 'sidecar.istio.io/inject': 'true' }, { 'sidecar.istio.io/inject': 'false' }), { mesh: Mesh.istio() });
    expect(r.outcome).toBe('applied');
  });
});

describe('Istio ambient beside sidecar injection', () => {
  test('an ambient pod opts out of sidecar injection, which has no ambient check', () => {
    const { podMetadata } = renderMeshJob({ mesh: Mesh.istioAmbient(), containers: [main] });
    expect(podMetadata.labels).toMatchObject({ 'istio.io/dataplane-mode': 'ambient', 'sidecar.istio.io/inject': 'false' });
  });
});

describe('Consul', () => {
  const READERS = [undefined, '1.6.9', '1.7.5', '1.8.2', '1.9.0', '2.0.3'];
  test.each(READERS)('a wrapped pod asks for the classic dataplane where consul-k8s %s reads the switch', (version) => {
    const mesh = Mesh.consul({ version, registrationService: false });
    const { podMetadata } = renderMeshJob({ mesh, lifecycle: SidecarLifecycle.wrap(), containers: [main] });
    expect(podMetadata.annotations['consul.hashicorp.com/enable-consul-dataplane-as-sidecar']).toBe('false');
  });

  test.each(['1.6.8', '1.8.1', '1.5.3'])('renders no native switch for consul-k8s %s, which has none', (version) => {
    const { podMetadata } = renderMeshJob({ mesh: Mesh.consul({ version, registrationService: false }), containers: [main] });
    expect(podMetadata.annotations).not.toHaveProperty(['consul.hashicorp.com/enable-consul-dataplane-as-sidecar']);
  });

  test.each(['0.49.8', '1.0.7', '1.1.0', '1.1.2', '1.2.0'])('fails for consul-k8s %s, which has no proxy lifecycle: every quit would be refused', (version) => {
    expect(() => Mesh.consul({ version })).toThrow(
      `consul-k8s version ${version} has no proxy lifecycle (/graceful_shutdown came in 1.0.8, 1.1.3, 1.2.1): every quit would be refused`,
    );
  });

  test.each(['1.0.8', '1.1.3', '1.2.1', '1.3.0'])('accepts consul-k8s %s, which has it', (version) => {
    expect(() => Mesh.consul({ version })).not.toThrow();
  });

  test('reads the injection switch as Go\'s strconv.ParseBool does: "FALSE" opts out, "fALSE" is not a value it knows', () => {
    expect(applyToManifest(chartJob({}, { 'consul.hashicorp.com/connect-inject': 'FALSE' }), { mesh: Mesh.consul() }).outcome).toBe('opted-out');
    expect(applyToManifest(chartJob({}, { 'consul.hashicorp.com/connect-inject': 'fALSE' }), { mesh: Mesh.consul() }).outcome).not.toBe('opted-out');
  });
});

describe('Linkerd versions as users have them since 2.15', () => {
  test.each([
    ['enterprise-2.19.6', 19],
    ['enterprise-2.15.3', 15],
    ['preview-25.10.7', 19],
    ['preview-26.6.1', 20],
  ])('reads %s as Linkerd 2.%i', (text, minor) => {
    expect(parseLinkerdVersion(text as string)).toMatchObject({ major: 2, minor, text });
  });

  test('warns that Linkerd 2.20 needs Kubernetes 1.31', () => {
    const { meshJob } = renderMeshJob({ mesh: Mesh.linkerd({ version: 'enterprise-2.20.1' }), kubernetesVersion: '1.30', containers: [main] });
    expect(meshJob.warnings).toContainEqual(expect.stringMatching(/^linkerd enterprise-2.20.1 supports Kubernetes 1.31 and later, and kubernetesVersion is 1.30/));
    const { meshJob: fine } = renderMeshJob({ mesh: Mesh.linkerd({ version: 'enterprise-2.20.1' }), kubernetesVersion: '1.31', containers: [main] });
    expect(fine.warnings).toEqual([]);
  });

  test('reads an invalid linkerd.io/inject value such as "false" as not injecting, as the injector does', () => {
    expect(applyToManifest(chartJob({}, { 'linkerd.io/inject': 'false' }), { mesh: Mesh.linkerd() }).outcome).toBe('opted-out');
    expect(applyToManifest(chartJob({}, { 'linkerd.io/inject': 'ingress' }), { mesh: Mesh.linkerd() }).outcome).toBe('applied');
  });
});

describe('ports a cluster can change', () => {
  const commandOf = (pod: any) => pod.containers[0].command.join(' ');

  test('Istio\'s status port: the quit goes to it, readiness stays on 15021, and the pod says so', () => {
    const { pod, podMetadata } = renderMeshJob({ mesh: Mesh.istio({ statusPort: 15099 }), containers: [main] });
    expect(commandOf(pod)).toContain('POST|http://localhost:15099/quitquitquit');
    expect(commandOf(pod)).toContain('http://localhost:15021/healthz/ready');
    expect(podMetadata.annotations['status.sidecar.istio.io/port']).toBe('15099');
  });

  test('Linkerd\'s admin port moves readiness and shutdown', () => {
    const { pod, podMetadata } = renderMeshJob({ mesh: Mesh.linkerd({ adminPort: 4999 }), containers: [main] });
    expect(commandOf(pod)).toContain('http://localhost:4999/ready');
    expect(commandOf(pod)).toContain('POST|http://localhost:4999/shutdown');
    expect(podMetadata.annotations['config.linkerd.io/admin-port']).toBe('4999');
  });

  test('Consul\'s graceful port and path', () => {
    const { pod, podMetadata } = renderMeshJob({
      mesh: Mesh.consul({ gracefulPort: 20700, gracefulShutdownPath: '/stop', registrationService: false }), containers: [main],
    });
    expect(commandOf(pod)).toContain('POST|http://127.0.0.1:20700/stop');
    expect(podMetadata.annotations).toMatchObject({
      'consul.hashicorp.com/sidecar-proxy-lifecycle-graceful-port': '20700',
      'consul.hashicorp.com/sidecar-proxy-lifecycle-graceful-shutdown-path': '/stop',
    });
  });

  test('a chart\'s Job that moved Istio\'s status port itself gets its quit there', () => {
    const job = chartJob({}, { 'status.sidecar.istio.io/port': '15030' });
    applyToManifest(job, { mesh: Mesh.istio() });
    expect(job.spec.template.spec.containers[0].command.join(' ')).toContain('POST|http://localhost:15030/quitquitquit');
  });

  test('the command line takes each mesh\'s ports with the mesh\'s own flags', () => {
    const quitOf = (o: any) => toManifestLifecycle(o).mesh._contract.proxy!.quit[0].url;
    expect(quitOf({ mesh: 'istio', istioStatusPort: 15099 })).toBe('http://localhost:15099/quitquitquit');
    expect(quitOf({ mesh: 'linkerd', linkerdAdminPort: 4999 })).toBe('http://localhost:4999/shutdown');
    expect(quitOf({ mesh: 'consul', consulGracefulPort: 20700, consulGracefulPath: '/stop' })).toBe('http://127.0.0.1:20700/stop');
  });

  test('fails when a mesh\'s flag is given for another mesh', () => {
    expect(() => toManifestLifecycle({ mesh: 'linkerd', istioStatusPort: 15099 })).toThrow('--istio-status-port applies to --mesh istio only, not to --mesh linkerd: remove it');
  });

  test('fails on a port that is not one, naming where to find the right one', () => {
    expect(() => Mesh.istio({ statusPort: 0 })).toThrow('istio statusPort 0 is not a port number (1 to 65535): use the status port of the mesh config');
    expect(() => Mesh.consul({ gracefulShutdownPath: 'stop now' })).toThrow('consul gracefulShutdownPath "stop now" is not a URL path');
  });
});

describe('MeshJobs.applyTo in a cdk8s app', () => {
  test('words a Job without command in the options of applyTo, and annotates the Job as the command line does', () => {
    const chart = new Chart(Testing.app(), 'app');
    new ApiObject(chart, 'job', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'certgen' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'create', image: 'registry.k8s.io/certgen:v1' }] } } },
    });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      MeshJobs.applyTo(chart, { mesh: Mesh.istio() });
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/give it with entrypoints: \{ 'registry.k8s.io\/certgen': \['<PATH>', \.\.\.\] \}, use native sidecars \(kubernetesVersion and the mesh's version/));
      expect(warn.mock.calls.join('\n')).not.toContain('--entrypoint');
    } finally {
      warn.mockRestore();
    }
    const job = Testing.synth(chart).find((o: any) => o.kind === 'Job');
    expect(job.metadata.annotations['meshjob/result']).toMatch(/^left alone, and it may hang: container 'create' \(image registry.k8s.io\/certgen:v1\) has no command/);
  });
});
