import { readFileSync } from 'fs';
import { join } from 'path';
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { renderedBlocks } from '../../scripts/readme-tables';
import {
  HttpMethod, LifecycleMode, Mesh, PodFailurePolicyAction, PodFailureRule, SidecarLifecycle, WrapperExitCode,
} from '../../src';
import { envOf, renderMeshJob } from '../support/render';

const main = { name: 'main', image: 'registry.example.com/app:1', command: ['/app'], args: ['run'] };
const logs = { name: 'logs', image: 'fluent/fluent-bit:3.1', command: ['/fluent-bit/bin/fluent-bit'], readinessUrl: 'http://localhost:2020/api/v1/health' };

beforeEach(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));
afterEach(() => jest.restoreAllMocks());

describe('SidecarLifecycle.auto() chooses from the declared versions', () => {
  // Written out by hand from the Kubernetes and mesh release notes (kubernetes/enhancements KEP-753;
  // istio/istio pkg/kube/inject/inject.go; linkerd2 CHANGES.md; consul-k8s CHANGELOG.md),
  // not derived from the code under test.
  const meshes: Record<string, () => Mesh> = {
    'istio?': () => Mesh.istio(),
    'istio 1.23': () => Mesh.istio({ version: '1.23' }),
    'istio 1.24': () => Mesh.istio({ version: '1.24.3' }),
    'linkerd 2.14': () => Mesh.linkerd({ version: '2.14' }),
    'linkerd 2.15': () => Mesh.linkerd({ version: '2.15' }),
    'linkerd 2.20': () => Mesh.linkerd({ version: '2.20' }),
    'consul 1.8.1': () => Mesh.consul({ version: '1.8.1' }),
    'consul 1.8.2': () => Mesh.consul({ version: '1.8.2' }),
    'consul 1.7.5': () => Mesh.consul({ version: '1.7.5' }),
    'consul 1.7.4': () => Mesh.consul({ version: '1.7.4' }),
    'consul 1.9': () => Mesh.consul({ version: '1.9.0' }),
    'envoy': () => Mesh.envoy({ adminPort: 9901 }),
  };
  const cases: Array<[string, string | undefined, LifecycleMode]> = [
    ['istio?', undefined, LifecycleMode.WRAP],
    ['istio?', '1.33', LifecycleMode.WRAP],
    ['istio 1.23', '1.30', LifecycleMode.WRAP],
    ['istio 1.24', undefined, LifecycleMode.WRAP],
    ['istio 1.24', '1.27', LifecycleMode.WRAP],
    ['istio 1.24', '1.28', LifecycleMode.WRAP],
    ['istio 1.24', '1.29', LifecycleMode.WRAP],
    ['istio 1.24', '1.32', LifecycleMode.WRAP],
    ['istio 1.24', '1.33', LifecycleMode.NATIVE],
    ['istio 1.24', 'v1.33.1', LifecycleMode.NATIVE],
    ['linkerd 2.14', '1.30', LifecycleMode.WRAP],
    ['linkerd 2.15', '1.30', LifecycleMode.NATIVE],
    ['linkerd 2.20', '1.27', LifecycleMode.WRAP],
    ['consul 1.8.1', '1.30', LifecycleMode.WRAP],
    ['consul 1.8.2', '1.30', LifecycleMode.NATIVE],
    ['consul 1.7.5', '1.30', LifecycleMode.NATIVE],
    ['consul 1.7.4', '1.30', LifecycleMode.WRAP],
    ['consul 1.9', '1.30', LifecycleMode.NATIVE],
    ['consul 1.9', '1.28', LifecycleMode.WRAP],
    ['envoy', '1.33', LifecycleMode.WRAP],
  ];
  test.each(cases)('%s on Kubernetes %s → %s', (mesh, k8s, expected) => {
    const { meshJob } = renderMeshJob({ mesh: meshes[mesh](), kubernetesVersion: k8s, containers: [main] });
    expect(meshJob.lifecycleMode).toBe(expected);
  });

  test('records what it chose on the pod template (meshjob/lifecycle)', () => {
    expect(renderMeshJob({ mesh: Mesh.istio(), containers: [main] }).podMetadata.annotations['meshjob/lifecycle']).toBe('wrap');
    expect(renderMeshJob({ mesh: Mesh.istio({ version: '1.24' }), kubernetesVersion: '1.33', containers: [main] })
      .podMetadata.annotations['meshjob/lifecycle']).toBe('native');
  });

  test('says why it wrapped when a version is unknown', () => {
    const { meshJob } = renderMeshJob({ mesh: Mesh.istio(), kubernetesVersion: '1.30', containers: [main] });
    expect(meshJob.lifecycleReason).toBe('the istio version is unknown, and wrapping works on every version');
  });

  test('wraps when extra quit requests must be sent, whatever the versions', () => {
    const { meshJob } = renderMeshJob({
      mesh: Mesh.istio({ version: '1.24' }),
      kubernetesVersion: '1.30',
      containers: [main],
      lifecycle: SidecarLifecycle.auto({ extraQuitRequests: [{ url: 'http://localhost:9091/quitquitquit', method: HttpMethod.GET }] }),
    });
    expect(meshJob.lifecycleMode).toBe(LifecycleMode.WRAP);
  });

  test('chooses none for Kuma: its control plane stops the sidecar', () => {
    const { meshJob } = renderMeshJob({ mesh: Mesh.kuma(), kubernetesVersion: '1.30', containers: [main] });
    expect(meshJob.lifecycleMode).toBe(LifecycleMode.NONE);
  });

  test('makes the job\'s own sidecars native under Kuma on Kubernetes 1.29+, saying Kuma\'s mode is cluster-wide', () => {
    const { meshJob, pod } = renderMeshJob({ mesh: Mesh.kuma(), kubernetesVersion: '1.30', containers: [main], sidecars: [logs] });
    expect(meshJob.lifecycleMode).toBe(LifecycleMode.NATIVE);
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['logs']);
    expect(meshJob.warnings[0]).toMatch(/Kuma's native sidecar mode is a control-plane setting/);
  });

  test('README\'s generated tables (lifecycles, meshes, injection markers) are the ones the code renders', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf-8');
    for (const block of renderedBlocks()) expect(readme).toContain(block);
  });
});

describe('native mode', () => {
  const native = { mesh: Mesh.istio({ version: '1.24' }), kubernetesVersion: '1.33' };

  test('renders the per-pod native switch and no hold-until-ready setting', () => {
    const { podMetadata } = renderMeshJob({ ...native, containers: [main] });
    expect(podMetadata.annotations).toEqual({ 'sidecar.istio.io/nativeSidecar': 'true', 'meshjob/lifecycle': 'native' });
    expect(podMetadata.labels['sidecar.istio.io/inject']).toBe('true');
  });

  test('leaves the containers alone: no wrapper, no busybox, no forced command', () => {
    const { pod } = renderMeshJob({ ...native, containers: [{ name: 'main', image: 'registry.example.com/app:1' }] });
    expect(pod.containers[0].command).toBeUndefined();
    expect(pod.containers[0].env).toBeUndefined();
    expect(pod.initContainers).toBeUndefined();
    expect(pod.volumes).toBeUndefined();
  });

  test('turns the job\'s own sidecars into init containers with restartPolicy Always and a startup probe', () => {
    const { pod } = renderMeshJob({ ...native, containers: [main], sidecars: [logs], initContainers: [{ name: 'migrate', image: 'registry.example.com/m:1', command: ['/m'] }] });
    expect(pod.containers.map((c: any) => c.name)).toEqual(['main']);
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['logs', 'migrate']);
    expect(pod.initContainers[0].restartPolicy).toBe('Always');
    expect(pod.initContainers[0].command).toEqual(['/fluent-bit/bin/fluent-bit']);
    expect(pod.initContainers[0].startupProbe).toMatchObject({ httpGet: { port: 2020, path: '/api/v1/health' } });
    expect(pod.initContainers[1].restartPolicy).toBeUndefined();
  });

  test('renders the Linkerd native annotation under the name the declared version reads', () => {
    const annotationsFor = (version: string) =>
      renderMeshJob({ mesh: Mesh.linkerd({ version }), lifecycle: SidecarLifecycle.native(), kubernetesVersion: '1.30', containers: [main] }).podMetadata.annotations;
    expect(annotationsFor('2.15')).toEqual({ 'linkerd.io/inject': 'enabled', 'config.alpha.linkerd.io/proxy-enable-native-sidecar': 'true', 'meshjob/lifecycle': 'native' });
    expect(annotationsFor('2.19')).toEqual({ 'linkerd.io/inject': 'enabled', 'config.beta.linkerd.io/proxy-enable-native-sidecar': 'true', 'meshjob/lifecycle': 'native' });
    expect(annotationsFor('2.20.1')).toEqual({ 'linkerd.io/inject': 'enabled', 'config.linkerd.io/proxy-enable-native-sidecar': 'true', 'meshjob/lifecycle': 'native' });
  });

  test('renders Consul\'s dataplane-as-sidecar switch without the wrap-mode lifecycle annotations', () => {
    const { podMetadata } = renderMeshJob({ mesh: Mesh.consul({ version: '1.9.0' }), lifecycle: SidecarLifecycle.native(), kubernetesVersion: '1.30', containers: [main] });
    expect(podMetadata.annotations).toEqual({
      'consul.hashicorp.com/connect-inject': 'true',
      'consul.hashicorp.com/enable-consul-dataplane-as-sidecar': 'true',
      // Without it, the native dataplane drains 30 s after the Job's containers end.
      'consul.hashicorp.com/sidecar-proxy-lifecycle-shutdown-grace-period-seconds': '0',
      'meshjob/lifecycle': 'native',
    });
  });

  test('warns on Kubernetes 1.28, where native sidecars are alpha', () => {
    const { meshJob } = renderMeshJob({ ...native, kubernetesVersion: '1.28', lifecycle: SidecarLifecycle.native(), containers: [main] });
    expect(meshJob.warnings).toEqual(['native sidecars are alpha in Kubernetes 1.28: they work only where the SidecarContainers feature gate is on']);
    expect(console.warn).toHaveBeenCalledWith(expect.stringContaining("meshjob 'reports/nightly': native sidecars are alpha"));
  });

  test('warns when the mesh version is not declared', () => {
    const { meshJob } = renderMeshJob({ mesh: Mesh.istio(), kubernetesVersion: '1.33', lifecycle: SidecarLifecycle.native(), containers: [main] });
    expect(meshJob.warnings).toEqual(['the istio version is not declared: per-pod native sidecars need istio >= 1.24']);
  });

  test('warns when asked for Istio\'s native proxy on Kubernetes 1.29-1.32, which Istio itself avoids', () => {
    const { meshJob } = renderMeshJob({ ...native, kubernetesVersion: '1.30', lifecycle: SidecarLifecycle.native(), containers: [main] });
    expect(meshJob.warnings).toEqual([
      'istio turns native sidecars on by itself only from Kubernetes 1.33 and avoids Kubernetes 1.30 on purpose: ' +
      'SidecarLifecycle.wrap() (or auto(), which wraps here) is the tested route',
    ]);
  });

  test('fails on Kubernetes before 1.28', () => {
    expect(() => renderMeshJob({ ...native, kubernetesVersion: '1.27', lifecycle: SidecarLifecycle.native(), containers: [main] }))
      .toThrow("meshjob 'reports/nightly': native sidecars need Kubernetes >= 1.29 (1.28 with the SidecarContainers feature gate), but kubernetesVersion is 1.27: use SidecarLifecycle.wrap() or SidecarLifecycle.auto()");
  });

  test('fails for a mesh version without per-pod native mode, naming the minimum', () => {
    expect(() => renderMeshJob({ mesh: Mesh.istio({ version: '1.23' }), kubernetesVersion: '1.30', lifecycle: SidecarLifecycle.native(), containers: [main] }))
      .toThrow(/istio 1.23 has no per-pod native sidecar mode; it needs istio >= 1.24: upgrade the mesh, or use SidecarLifecycle.wrap\(\)/);
  });

  test('fails for a mesh with no native mode at all', () => {
    expect(() => renderMeshJob({ mesh: Mesh.envoy({ adminPort: 9901 }), kubernetesVersion: '1.30', lifecycle: SidecarLifecycle.native(), containers: [main] }))
      .toThrow(/mesh 'envoy' has no native sidecar mode/);
  });

  test('fails with a version that is not one', () => {
    expect(() => renderMeshJob({ ...native, kubernetesVersion: 'latest', containers: [main] }))
      .toThrow(/kubernetesVersion "latest" is not a version: write it as "1.30", "1.30.2" or "v1.30.2"/);
    expect(() => Mesh.istio({ version: 'one.24' })).toThrow(/istio version "one.24" is not a version/);
  });

  test('fails when the job\'s own sidecars are left with no lifecycle', () => {
    expect(() => renderMeshJob({ mesh: Mesh.istio(), lifecycle: SidecarLifecycle.none(), containers: [main], sidecars: [logs] }))
      .toThrow(/the job's own sidecars need SidecarLifecycle.wrap\(\) or SidecarLifecycle.native\(\)/);
  });
});

describe('podFailurePolicy', () => {
  const rulesOf = (manifest: any) => (manifest.kind === 'CronJob' ? manifest.spec.jobTemplate.spec : manifest.spec).podFailurePolicy?.rules;

  test('without activeDeadline counts "proxy never ready" against backoffLimit, so a Job whose proxy never comes ends', () => {
    const { manifest } = renderMeshJob({ mesh: Mesh.istio(), containers: [main, { ...main, name: 'audit' }] });
    expect(rulesOf(manifest)).toEqual([{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }]);
  });

  test('with activeDeadline retries a wrapped container\'s "proxy never ready" exit and disruptions on fresh pods', () => {
    const { manifest } = renderMeshJob({ mesh: Mesh.istio(), containers: [main, { ...main, name: 'audit' }], activeDeadline: Duration.minutes(30) });
    expect(rulesOf(manifest)).toEqual([
      { action: 'Ignore', onExitCodes: { containerName: 'main', operator: 'In', values: [WrapperExitCode.PROXY_NOT_READY] } },
      { action: 'Ignore', onExitCodes: { containerName: 'audit', operator: 'In', values: [WrapperExitCode.PROXY_NOT_READY] } },
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
    ]);
  });

  test('puts the user\'s rules first, scoped to each main container when none is named', () => {
    const { manifest } = renderMeshJob({
      mesh: Mesh.istio({ version: '1.24' }),
      kubernetesVersion: '1.30',
      containers: [main, { ...main, name: 'audit' }],
      sidecars: [logs],
      podFailurePolicy: [
        PodFailureRule.onExitCodes(PodFailurePolicyAction.FAIL_JOB, { exitCodes: [42, 43] }),
        PodFailureRule.onExitCodes(PodFailurePolicyAction.COUNT, { exitCodes: [1], containerName: 'audit', notIn: true }),
      ],
    });
    expect(rulesOf(manifest)).toEqual([
      { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42, 43] } },
      { action: 'FailJob', onExitCodes: { containerName: 'audit', operator: 'In', values: [42, 43] } },
      { action: 'Count', onExitCodes: { containerName: 'audit', operator: 'NotIn', values: [1] } },
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
    ]);
  });

  test('renders no default rules when turned off, in a CronJob too', () => {
    const { manifest } = renderMeshJob({ mesh: Mesh.istio(), containers: [main], defaultPodFailureRules: false });
    expect(rulesOf(manifest)).toBeUndefined();
  });

  test('renders no default rules for Kubernetes before 1.26', () => {
    const { manifest } = renderMeshJob({ mesh: Mesh.istio(), kubernetesVersion: '1.25', containers: [main] });
    expect(rulesOf(manifest)).toBeUndefined();
  });

  test('fails when rules are given for Kubernetes before 1.26', () => {
    expect(() => renderMeshJob({
      mesh: Mesh.istio(),
      kubernetesVersion: '1.25',
      containers: [main],
      podFailurePolicy: [PodFailureRule.onDisruption(PodFailurePolicyAction.IGNORE)],
    })).toThrow(/podFailurePolicy needs Kubernetes >= 1.26, but kubernetesVersion is 1.25/);
  });

  test('fails when rules are given with restartPolicy OnFailure', () => {
    expect(() => renderMeshJob({
      mesh: Mesh.istio({ version: '1.24' }),
      kubernetesVersion: '1.30',
      lifecycle: SidecarLifecycle.native(),
      restartPolicy: kplus.RestartPolicy.ON_FAILURE,
      containers: [main],
      podFailurePolicy: [PodFailureRule.onDisruption(PodFailurePolicyAction.IGNORE)],
    })).toThrow(/podFailurePolicy needs the pod's restartPolicy to be Never, but it is OnFailure/);
  });

  test('fails for exit code 0 with operator In', () => {
    expect(() => PodFailureRule.onExitCodes(PodFailurePolicyAction.FAIL_JOB, { exitCodes: [0, 1] }))
      .toThrow(/must not include 0 with operator In/);
  });

  test('fails for exit codes out of range', () => {
    expect(() => PodFailureRule.onExitCodes(PodFailurePolicyAction.FAIL_JOB, { exitCodes: [256] })).toThrow(/whole numbers from 0 to 255/);
  });

  test('keeps the wrapper environment out of native pods', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.istio({ version: '1.24' }), kubernetesVersion: '1.33', containers: [main] });
    expect(envOf(pod.containers[0])).toEqual({});
  });
});
