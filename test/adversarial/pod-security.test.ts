import { ApiObject, Chart, Cron, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { parse } from 'yaml';
import { apiServerObjections, RESTRICTED_VOLUME_TYPES, restrictedViolations } from './api-rules';
import { EXAMPLES } from '../../examples';
import {
  HttpClient, IstioStopMethod, Mesh, MeshJob, MeshJobProps, MeshJobs, SidecarLifecycle, WrapperRuntime,
} from '../../src';
import { runMeshjob } from '../cli/run';
import { podSpecOf, validateAll } from '../support/schema';

// Pod security of what MeshJob adds to a pod, in every mode and in every example: the busybox
// init container meets the Pod Security "restricted" profile (runAsNonRoot, no privilege
// escalation, all capabilities dropped, RuntimeDefault seccomp, not privileged), the volumes
// MeshJob adds are size-limited emptyDirs and one downward API volume that shows the pod's own
// labels and annotations, read-only (no hostPath, nothing outside the restricted profile's volume
// types), MeshJob sets no host namespace, and the user's own containers keep the security context
// they were given.

const INIT = 'meshjob-busybox';
const VOLUME = 'meshjob';
/** The busybox runtime's read-only binary volume, beside the state volume. */
const BIN_VOLUME = 'meshjob-bin';
/** The pod's own metadata, for a mesh that marks its injection there. */
const POD_VOLUME = 'meshjob-pod';
const POD_FIELDS = ['metadata.annotations', 'metadata.labels'];

/** The MeshJob-added parts of a rendered workload, and what is wrong with them. */
function audit(workload: any, userVolumeNames: string[] = [], userInitNames: string[] = []): { added: string[]; violations: string[] } {
  const pod = podSpecOf(workload);
  const violations: string[] = [];
  const added: string[] = [];
  for (const c of pod.initContainers ?? []) {
    if (c.name !== INIT) continue;
    added.push(`initContainer ${c.name}`);
    violations.push(...restrictedViolations(c, pod.securityContext).map((v) => `${c.name}: ${v}`));
    if (c.securityContext?.readOnlyRootFilesystem !== true) violations.push(`${c.name}: root filesystem is writable`);
    if (!c.resources?.limits?.cpu || !c.resources?.limits?.memory) violations.push(`${c.name}: no resource limits`);
  }
  for (const v of pod.volumes ?? []) {
    if (userVolumeNames.includes(v.name)) continue;
    added.push(`volume ${v.name}`);
    const types = Object.keys(v).filter((k) => k !== 'name');
    if (types.some((t) => !RESTRICTED_VOLUME_TYPES.includes(t))) violations.push(`volume ${v.name}: type ${types.join(',')} is not allowed by "restricted"`);
    if (v.hostPath) violations.push(`volume ${v.name}: hostPath`);
    if (v.name === POD_VOLUME && types.join() === 'downwardAPI') {
      const fields = (v.downwardAPI.items ?? []).map((i: any) => i.fieldRef?.fieldPath);
      if (fields.some((f: string) => !POD_FIELDS.includes(f))) violations.push(`volume ${v.name}: shows ${fields.join(',')}, not only the pod's labels and annotations`);
      for (const c of pod.containers ?? []) {
        const m = (c.volumeMounts ?? []).find((x: any) => x.name === v.name);
        if (m && m.readOnly !== true) violations.push(`volume ${v.name}: writable in ${c.name}`);
      }
      continue;
    }
    if (types.join() !== 'emptyDir') violations.push(`volume ${v.name}: MeshJob adds only emptyDir, not ${types.join(',')}`);
    if (!v.emptyDir?.sizeLimit) violations.push(`volume ${v.name}: emptyDir without sizeLimit`);
  }
  const unknownInits = (pod.initContainers ?? []).filter((c: any) => c.name !== INIT && !userInitNames.includes(c.name) && c.restartPolicy !== 'Always');
  if (unknownInits.length > 0) violations.push(`unexpected init containers ${unknownInits.map((c: any) => c.name).join(',')}`);
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC', 'hostUsers']) {
    if (key === 'hostUsers' ? pod[key] === true : pod[key] === true) violations.push(`pod sets ${key}`);
  }
  for (const c of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
    if (c.securityContext?.privileged === true) violations.push(`${c.name}: privileged`);
  }
  return { added, violations };
}

const app = { name: 'app', image: 'registry.example.com/app:1.0', command: ['/app'], args: ['--once'] };
const worker = { name: 'worker', image: 'registry.example.com/worker:1.0', command: ['/worker'] };

const MODES: Array<[string, () => Partial<MeshJobProps>, { init: boolean; volume: boolean }]> = [
  ['wrap, busybox runtime (default)', () => ({ lifecycle: SidecarLifecycle.wrap() }), { init: true, volume: true }],
  ['wrap, busybox runtime from a pinned mirror', () => ({
    lifecycle: SidecarLifecycle.wrap({ runtime: WrapperRuntime.busybox({ image: `registry.example.com/mirror/busybox:1.36.1-uclibc@sha256:${'b'.repeat(64)}` }) }),
  }), { init: true, volume: true }],
  ['wrap, image shell with curl', () => ({
    lifecycle: SidecarLifecycle.wrap({ runtime: WrapperRuntime.imageShell({ httpClient: HttpClient.CURL }) }),
  }), { init: false, volume: true }],
  ['wrap, image shell with wget at /bin/bash', () => ({
    lifecycle: SidecarLifecycle.wrap({ runtime: WrapperRuntime.imageShell({ shell: '/bin/bash' }) }),
  }), { init: false, volume: true }],
  ['wrap with user init containers, volumes and a done-file sidecar', () => ({
    lifecycle: SidecarLifecycle.wrap(),
    initContainers: [{ name: 'prepare', image: 'registry.example.com/prepare:1.0', command: ['/prepare'] }],
    sidecars: [{ name: 'logs', image: 'registry.example.com/logs:1.0', command: ['/logs'] }],
  }), { init: true, volume: true }],
  ['wrap, Istio before 1.3 (kill pilot-agent, shared process namespace)', () => ({
    mesh: Mesh.istio({ stopMethod: IstioStopMethod.KILL_PILOT_AGENT }), lifecycle: SidecarLifecycle.wrap(),
  }), { init: true, volume: true }],
  ['native', () => ({
    lifecycle: SidecarLifecycle.native(),
    kubernetesVersion: '1.30',
    mesh: Mesh.istio({ version: '1.24' }),
    sidecars: [{ name: 'logs', image: 'registry.example.com/logs:1.0', readinessUrl: 'http://localhost:9090/ready' }],
  }), { init: false, volume: false }],
  ['auto choosing native', () => ({ lifecycle: SidecarLifecycle.auto(), kubernetesVersion: '1.33', mesh: Mesh.linkerd({ version: '2.16' }) }), { init: false, volume: false }],
  ['none', () => ({ lifecycle: SidecarLifecycle.none() }), { init: false, volume: false }],
  ['Kuma (no proxy to stop)', () => ({ mesh: Mesh.kuma() }), { init: false, volume: false }],
];

describe('pod security of what MeshJob adds', () => {
  beforeEach(() => {
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  describe.each([['Job', {}], ['CronJob', { schedule: Cron.daily() }]] as Array<[string, Partial<MeshJobProps>]>)('%s', (kind, extra) => {
    test.each(MODES)('%s: the added init container and volume meet the "restricted" profile', (_mode, make, expected) => {
      const chart = new Chart(Testing.app(), 'reports');
      const data = kplus.Volume.fromEmptyDir(chart, 'data', 'data');
      const userSecurity = { user: 1000, group: 1000, ensureNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false };
      const props = make();
      new MeshJob(chart, 'nightly', {
        mesh: Mesh.istio(),
        containers: [
          { ...app, securityContext: userSecurity, volumeMounts: [{ volume: data, path: '/data' }] },
          worker,
        ],
        volumes: [data],
        ...props,
        ...extra,
      });
      const workload = validateAll(Testing.synth(chart)).find((m) => m.kind === kind);
      const pod = podSpecOf(workload);
      const userInits = (props.initContainers ?? []).map((c) => c.name!);
      const { added, violations } = audit(workload, ['data'], userInits);

      expect({ violations, apiServer: apiServerObjections(workload) }).toEqual({ violations: [], apiServer: [] });
      expect(added).toEqual([
        ...(expected.init ? [`initContainer ${INIT}`] : []),
        ...(expected.volume ? [`volume ${VOLUME}`] : []),
        ...(expected.init ? [`volume ${BIN_VOLUME}`] : []),
        ...(expected.volume ? [`volume ${POD_VOLUME}`] : []),
      ]);
      // The user's own container keeps its security context (cdk8s-plus renders it; MeshJob leaves it alone).
      const appContainer = pod.containers.find((c: any) => c.name === 'app');
      expect(appContainer.securityContext).toMatchObject({
        runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
      });
    });
  });

  test.each(Object.keys(EXAMPLES))('example %s: what MeshJob adds meets the "restricted" profile', (name) => {
    const ChartClass = EXAMPLES[name];
    const manifests = validateAll(Testing.synth(new ChartClass(Testing.app(), name)));
    const workloads = manifests.filter((m) => m.kind === 'Job' || m.kind === 'CronJob');
    expect(workloads.length).toBeGreaterThan(0);
    for (const workload of workloads) {
      const pod = podSpecOf(workload);
      // The examples declare no volumes of their own: every volume is MeshJob's.
      const { violations } = audit(workload, [], (pod.initContainers ?? []).filter((c: any) => c.name !== INIT).map((c: any) => c.name));
      expect({ name: workload.metadata.name, violations, apiServer: apiServerObjections(workload) })
        .toEqual({ name: workload.metadata.name, violations: [], apiServer: [] });
      const hasInit = (pod.initContainers ?? []).some((c: any) => c.name === INIT);
      const wrappedWithBusybox = (pod.containers ?? []).some((c: any) => c.command?.[0] === '/meshjob/bin/busybox');
      expect(hasInit).toBe(wrappedWithBusybox);
    }
  });

  test.each([
    ['MeshJobs.applyTo, wrap', SidecarLifecycle.wrap(), true],
    ['MeshJobs.applyTo, native', SidecarLifecycle.native(), false],
  ] as Array<[string, SidecarLifecycle, boolean]>)('%s: what it adds to a plain Job meets the "restricted" profile', (_name, lifecycle, wrapped) => {
    const chart = new Chart(Testing.app(), 'reports');
    new ApiObject(chart, 'plain', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'plain' },
      spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'app', image: 'registry.example.com/app:1.0', command: ['/app'] }] } } },
    });
    MeshJobs.applyTo(chart, { mesh: Mesh.istio({ version: '1.24' }), kubernetesVersion: '1.30', lifecycle });
    const workload = validateAll(Testing.synth(chart)).find((m) => m.kind === 'Job');
    const { added, violations } = audit(workload);
    expect({ added, violations, apiServer: apiServerObjections(workload) })
      .toEqual({ added: wrapped ? [`initContainer ${INIT}`, `volume ${VOLUME}`, `volume ${BIN_VOLUME}`, `volume ${POD_VOLUME}`] : [], violations: [], apiServer: [] });
  });

  test('the meshjob post-renderer: what it adds to a chart\'s Job meets the "restricted" profile', async () => {
    const yaml = [
      'apiVersion: batch/v1', 'kind: Job', 'metadata:', '  name: migrate', 'spec:', '  template:', '    spec:',
      '      restartPolicy: Never', '      containers:', '        - name: migrate', '          image: registry.example.com/migrate:1', '          command: ["/migrate"]', '',
    ].join('\n');
    const r = await runMeshjob(['--mesh', 'istio'], yaml);
    expect(r.code).toBe(0);
    const workload = validateAll([parse(r.stdout)])[0];
    const { added, violations } = audit(workload);
    expect({ added, violations, apiServer: apiServerObjections(workload) })
      .toEqual({ added: [`initContainer ${INIT}`, `volume ${VOLUME}`, `volume ${BIN_VOLUME}`, `volume ${POD_VOLUME}`], violations: [], apiServer: [] });
  });

  test('the audit can fail: a privileged, root, hostPath pod is caught', () => {
    // Guards the assertions above against an audit that accepts anything.
    const bad = {
      kind: 'Job',
      spec: {
        template: {
          spec: {
            hostPID: true,
            initContainers: [{ name: INIT, securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN'] } } }],
            volumes: [
              { name: VOLUME, hostPath: { path: '/' } },
              { name: POD_VOLUME, downwardAPI: { items: [{ path: 'sa', fieldRef: { fieldPath: 'spec.serviceAccountName' } }] } },
            ],
            containers: [{ name: 'app', volumeMounts: [{ name: POD_VOLUME, mountPath: '/meshjob/pod' }] }],
          },
        },
      },
    };
    expect(audit(bad).violations).toEqual([
      `${INIT}: privileged`,
      `${INIT}: allowPrivilegeEscalation is not false`,
      `${INIT}: capabilities.drop lacks ALL`,
      `${INIT}: capabilities.add ["SYS_ADMIN"]`,
      `${INIT}: runAsNonRoot is not true`,
      `${INIT}: seccompProfile is undefined`,
      `${INIT}: root filesystem is writable`,
      `${INIT}: no resource limits`,
      'volume meshjob: type hostPath is not allowed by "restricted"',
      'volume meshjob: hostPath',
      'volume meshjob: MeshJob adds only emptyDir, not hostPath',
      'volume meshjob: emptyDir without sizeLimit',
      'volume meshjob-pod: shows spec.serviceAccountName, not only the pod\'s labels and annotations',
      'volume meshjob-pod: writable in app',
      'pod sets hostPID',
      `${INIT}: privileged`,
    ]);
  });
});
