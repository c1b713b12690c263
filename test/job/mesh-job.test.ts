import { Cron, Duration, JsonPatch, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  HttpClient, HttpMethod, Mesh, MeshJob, ReadyTimeoutAction, SidecarInjection, SidecarLifecycle, WrapperExitCode,
  WrapperRuntime,
} from '../../src';
import { wrapperScript } from '../../src/runtime/script';
import { envOf, newChart, renderMeshJob, settingsOf } from '../support/render';
import { validateAll } from '../support/schema';

const report = { name: 'report', image: 'registry.example.com/report:1.4', command: ['/report'], args: ['--since', '24h'] };

describe('MeshJob renders the workload', () => {
  test('renders a batch/v1 Job when no schedule is given', () => {
    // WHEN
    const { manifest, meshJob } = renderMeshJob({ mesh: Mesh.istio(), containers: [report] });
    // THEN
    expect(manifest.apiVersion).toBe('batch/v1');
    expect(manifest.kind).toBe('Job');
    expect(meshJob.job).toBeInstanceOf(kplus.Job);
    expect(meshJob.cronJob).toBeUndefined();
    expect(meshJob.workload).toBe(meshJob.job);
  });

  test('renders a CronJob when a schedule is given, with every CronJob option passed through', () => {
    const { manifest, meshJob } = renderMeshJob({
      mesh: Mesh.istio(),
      containers: [report],
      schedule: Cron.daily(),
      timeZone: 'Europe/Paris',
      concurrencyPolicy: kplus.ConcurrencyPolicy.REPLACE,
      startingDeadline: Duration.minutes(5),
      suspend: true,
      successfulJobsRetained: 7,
      failedJobsRetained: 4,
    });
    expect(manifest.kind).toBe('CronJob');
    expect(meshJob.cronJob).toBeInstanceOf(kplus.CronJob);
    expect(manifest.spec).toMatchObject({
      schedule: '0 0 * * *',
      timeZone: 'Europe/Paris',
      concurrencyPolicy: 'Replace',
      startingDeadlineSeconds: 300,
      suspend: true,
      successfulJobsHistoryLimit: 7,
      failedJobsHistoryLimit: 4,
    });
  });

  test('passes every cdk8s-plus Job option through', () => {
    const chart = newChart();
    const sa = new kplus.ServiceAccount(chart, 'sa', { metadata: { name: 'reporter' } });
    const cache = kplus.Volume.fromEmptyDir(chart, 'cache', 'cache');
    new MeshJob(chart, 'nightly', {
      mesh: Mesh.istio(),
      containers: [{ ...report, volumeMounts: [{ volume: cache, path: '/cache' }] }],
      backoffLimit: 4,
      activeDeadline: Duration.minutes(30),
      ttlAfterFinished: Duration.hours(6),
      terminationGracePeriod: Duration.seconds(45),
      podMetadata: { labels: { team: 'reports' }, annotations: { 'example.com/owner': 'reports' } },
      volumes: [cache],
      serviceAccount: sa,
    });
    const job = validateAll(Testing.synth(chart)).find((m) => m.kind === 'Job');
    expect(job.spec).toMatchObject({ backoffLimit: 4, activeDeadlineSeconds: 1800, ttlSecondsAfterFinished: 21600 });
    const pod = job.spec.template.spec;
    expect(pod.terminationGracePeriodSeconds).toBe(45);
    expect(pod.serviceAccountName).toBe('reporter');
    expect(pod.volumes.map((v: any) => v.name)).toEqual(['cache', 'meshjob', 'meshjob-bin', 'meshjob-pod']);
    expect(pod.containers[0].volumeMounts).toEqual([
      { mountPath: '/cache', name: 'cache' },
      { mountPath: '/meshjob/run', name: 'meshjob' },
      { mountPath: '/meshjob/bin', name: 'meshjob-bin', readOnly: true },
      { mountPath: '/meshjob/pod', name: 'meshjob-pod', readOnly: true },
    ]);
    expect(job.spec.template.metadata.labels).toMatchObject({ 'team': 'reports', 'sidecar.istio.io/inject': 'true' });
    expect(job.spec.template.metadata.annotations).toMatchObject({ 'example.com/owner': 'reports' });
  });

  test('exposes the API object for further JSON patches', () => {
    const chart = newChart();
    const meshJob = new MeshJob(chart, 'nightly', { mesh: Mesh.istio(), containers: [report] });
    meshJob.apiObject.addJsonPatch(JsonPatch.add('/spec/parallelism', 1));
    const job = Testing.synth(chart).find((m: any) => m.kind === 'Job');
    expect(job.spec.parallelism).toBe(1);
  });

  test('keeps the user\'s environment variables beside the wrapper\'s', () => {
    const { pod } = renderMeshJob({
      mesh: Mesh.istio(),
      containers: [{ ...report, envVariables: { REGION: kplus.EnvValue.fromValue('eu-west-1') } }],
    });
    expect(envOf(pod.containers[0]).REGION).toBe('eu-west-1');
    expect(settingsOf(pod.containers[0]).MESHJOB_CONTAINER).toBe('report');
  });
});

describe('MeshJob applies Istio\'s contract', () => {
  test('labels the pod for sidecar injection and holds the application until the proxy starts', () => {
    const { podMetadata } = renderMeshJob({ mesh: Mesh.istio(), containers: [report] });
    expect(podMetadata.labels['sidecar.istio.io/inject']).toBe('true');
    expect(JSON.parse(podMetadata.annotations['proxy.istio.io/config'])).toEqual({ holdApplicationUntilProxyStarts: true });
  });

  test('leaves injection to the namespace when asked', () => {
    const { podMetadata, pod } = renderMeshJob({ mesh: Mesh.istio({ injection: SidecarInjection.NAMESPACE }), containers: [report] });
    expect(podMetadata.labels['sidecar.istio.io/inject']).toBeUndefined();
    expect(pod.containers[0].command[0]).toBe('/meshjob/bin/busybox');
  });

  test('does not hold the application when holdApplicationUntilProxyStarts is off', () => {
    const { podMetadata } = renderMeshJob({ mesh: Mesh.istio({ holdApplicationUntilProxyStarts: false }), containers: [report] });
    expect(podMetadata.annotations?.['proxy.istio.io/config']).toBeUndefined();
  });

  test('waits on :15021/healthz/ready and stops the proxy with POST :15020/quitquitquit', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.istio(), containers: [report] });
    const env = settingsOf(pod.containers[0]);
    // The proxy's own URLs are apart from the other sidecars': the wrapper drops them when the pod
    // shows that no proxy was injected, or the quit when the proxy is a native sidecar.
    expect(env.MESHJOB_PROXY_READY).toBe('http://localhost:15021/healthz/ready');
    expect(env.MESHJOB_PROXY_QUIT).toBe('POST|http://localhost:15020/quitquitquit');
    expect(env.MESHJOB_READY_URL).toBe('');
    expect(env.MESHJOB_QUIT).toBe('');
  });

  test('renders a plain Job with injection off when injection is disabled', () => {
    const { pod, podMetadata } = renderMeshJob({ mesh: Mesh.istio({ injection: SidecarInjection.DISABLED }), containers: [report] });
    expect(podMetadata.labels['sidecar.istio.io/inject']).toBe('false');
    expect(pod.containers[0].command).toEqual(['/report']);
    expect(pod.containers[0].args).toEqual(['--since', '24h']);
    expect(pod.initContainers).toBeUndefined();
    expect(podMetadata.annotations?.['proxy.istio.io/config']).toBeUndefined();
  });

  test('renders a plain Job with no mesh labels for Mesh.none()', () => {
    const { pod, podMetadata } = renderMeshJob({ mesh: Mesh.none(), containers: [report] });
    expect(Object.keys(podMetadata.labels ?? {}).filter((k) => !k.startsWith('cdk8s.io/'))).toEqual([]);
    expect(pod.containers[0].command).toEqual(['/report']);
    expect(pod.volumes).toBeUndefined();
  });
});

describe('MeshJob wraps the containers', () => {
  test('runs the original command and args after the wrapper, unchanged', () => {
    const args = ['--title', 'a "quoted" $(VAR) `tick` $$ \\ *', '', 'ünïcödé ✓'];
    const { pod } = renderMeshJob({ mesh: Mesh.istio(), containers: [{ ...report, args }] });
    const command: string[] = pod.containers[0].command;
    expect(command.slice(0, 3)).toEqual(['/meshjob/bin/busybox', 'sh', '-c']);
    expect(command[4]).toBe('meshjob');
    expect(command.slice(6)).toEqual(['/report']);
    expect(pod.containers[0].args).toEqual(args);
  });

  test('escapes the wrapper script for the kubelet\'s $(VAR) expansion', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.istio(), containers: [report] });
    const rendered: string = pod.containers[0].command[3];
    expect(rendered).not.toMatch(/(^|[^$])\$\(/);
    // One wrapped container on Istio: busybox wget, no peers, the pod's metadata, the armed POST quit.
    expect(rendered.replace(/\$\$/g, '$')).toBe(wrapperScript(['wget', 'single', 'pod', 'armed']));
  });

  test('renders a wrapper that Helm\'s templating leaves as it is', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.istio(), containers: [report] });
    expect(pod.containers[0].command[3]).not.toContain('{{');
  });

  test('uses restartPolicy Never', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.istio(), containers: [report] });
    expect(pod.restartPolicy).toBe('Never');
  });

  test('tells every wrapper the names of all wrapped containers, so the last one stops the proxy', () => {
    const { pod } = renderMeshJob({
      mesh: Mesh.istio(),
      containers: [report, { ...report, name: 'audit', command: ['/audit'] }],
    });
    expect(pod.containers.map((c: any) => settingsOf(c).MESHJOB_PEERS)).toEqual(['report audit', 'report audit']);
    expect(pod.containers.map((c: any) => settingsOf(c).MESHJOB_CONTAINER)).toEqual(['report', 'audit']);
  });

  test('adds an init container that copies busybox into the shared volume', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.istio(), containers: [report] });
    const init = pod.initContainers[0];
    expect(init.name).toBe('meshjob-busybox');
    expect(init.image).toBe('busybox:1.36.1-uclibc');
    expect(init.command).toEqual(['/bin/busybox', 'cp', '/bin/busybox', '/meshjob/bin/busybox']);
    expect(init.volumeMounts).toEqual([{ mountPath: '/meshjob/bin', name: 'meshjob-bin' }]);
    expect(pod.volumes).toEqual([
      { name: 'meshjob', emptyDir: { sizeLimit: '1Mi' } },
      { name: 'meshjob-bin', emptyDir: { sizeLimit: '16Mi' } },
      { name: 'meshjob-pod', downwardAPI: { items: [{ path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } }] } },
    ]);
  });

  test('shows the wrapper only the pod metadata its mesh marks: annotations for Istio, labels too for Linkerd, none for plain Envoy', () => {
    const files = (mesh: Mesh) => {
      const { pod } = renderMeshJob({ mesh, containers: [report] });
      const volume = pod.volumes.find((v: any) => v.name === 'meshjob-pod');
      return volume?.downwardAPI.items.map((i: any) => `${i.path}=${i.fieldRef.fieldPath}`);
    };
    expect(files(Mesh.istio())).toEqual(['annotations=metadata.annotations']);
    expect(files(Mesh.linkerd())).toEqual(['annotations=metadata.annotations', 'labels=metadata.labels']);
    expect(files(Mesh.envoy({ adminPort: 9901 }))).toBeUndefined();
  });

  test('gives the init container the restricted Pod Security profile and small resources', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.istio(), containers: [report] });
    const init = pod.initContainers[0];
    expect(init.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(init.resources).toEqual({ requests: { cpu: '10m', memory: '8Mi' }, limits: { cpu: '100m', memory: '32Mi' } });
  });

  test('puts its init container before the user\'s, in a CronJob too', () => {
    const { pod } = renderMeshJob({
      mesh: Mesh.istio(),
      schedule: Cron.hourly(),
      containers: [report],
      initContainers: [{ name: 'fetch', image: 'registry.example.com/fetch:1', command: ['/fetch'] }],
    });
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['meshjob-busybox', 'fetch']);
    expect(pod.initContainers[0].securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
  });

  test('pulls busybox from the image the user names', () => {
    const image = 'registry.example.com/mirror/busybox@sha256:' + 'b'.repeat(64);
    const { pod } = renderMeshJob({
      mesh: Mesh.istio(),
      lifecycle: SidecarLifecycle.wrap({ runtime: WrapperRuntime.busybox({ image }) }),
      containers: [report],
    });
    expect(pod.initContainers[0].image).toBe(image);
  });

  test('runs on the image\'s own shell and curl without an init container', () => {
    const { pod } = renderMeshJob({
      mesh: Mesh.istio(),
      lifecycle: SidecarLifecycle.wrap({ runtime: WrapperRuntime.imageShell({ shell: '/bin/bash', httpClient: HttpClient.CURL }) }),
      containers: [report],
    });
    expect(pod.initContainers).toBeUndefined();
    expect(pod.containers[0].command.slice(0, 2)).toEqual(['/bin/bash', '-c']);
    expect(settingsOf(pod.containers[0])).toMatchObject({ MESHJOB_BUSYBOX: '' });
    expect(pod.containers[0].command[2]).toContain('curl -q -s -o /dev/null');
    expect(pod.containers[0].command[2]).not.toContain(' wget ');
    expect(pod.containers[0].volumeMounts).toEqual([
      { mountPath: '/meshjob/run', name: 'meshjob' },
      { mountPath: '/meshjob/pod', name: 'meshjob-pod', readOnly: true },
    ]);
  });

  test('renders the timing options in seconds', () => {
    const { pod } = renderMeshJob({
      mesh: Mesh.istio(),
      lifecycle: SidecarLifecycle.wrap({
        readyTimeout: Duration.seconds(30),
        readyPollInterval: Duration.millis(50),
        requestTimeout: Duration.seconds(1),
        quitAttempts: 3,
        quitRetryDelay: Duration.millis(500),
        onReadyTimeout: ReadyTimeoutAction.START,
      }),
      containers: [report],
    });
    expect(settingsOf(pod.containers[0])).toMatchObject({
      MESHJOB_READY_TIMEOUT: '30',
      MESHJOB_READY_POLL: '0.05',
      MESHJOB_REQUEST_TIMEOUT: '1',
      MESHJOB_QUIT_DELAYS: '0.5 1',
      MESHJOB_ON_READY_TIMEOUT: 'start',
    });
  });

  test('retries quits for 13 seconds of pauses by default, pauses doubling up to 2 seconds', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.istio(), containers: [report] });
    const settings = settingsOf(pod.containers[0]);
    expect(settings.MESHJOB_QUIT_DELAYS).toBe('0.2 0.4 0.8 1.6 2 2 2 2 2');
    expect(settings.MESHJOB_TERMINATION_LOG).toBe('/dev/termination-log');
    // With peers, long enough for every attempt to time out: the bound a held quit lock waits.
    const two = renderMeshJob({ mesh: Mesh.istio(), containers: [report, { ...report, name: 'audit' }] });
    expect(settingsOf(two.pod.containers[0]).MESHJOB_QUIT_WINDOW).toBe(String(Math.ceil(13 + 10 * 2) + 1));
  });

  test('renders the wrapper with its documented exit codes for a proxy that never got ready and a missing command', () => {
    const { pod } = renderMeshJob({ mesh: Mesh.istio(), containers: [report] });
    const script: string = pod.containers[0].command[3];
    expect(script).toContain(`exit ${WrapperExitCode.PROXY_NOT_READY};`);
    expect(script).toContain(`exit ${WrapperExitCode.USAGE};`);
    expect(script).not.toContain('@EXIT_');
  });

  test('calls extra quit endpoints before the mesh proxy\'s, so those sidecars keep their network to the end', () => {
    const { pod } = renderMeshJob({
      mesh: Mesh.istio(),
      lifecycle: SidecarLifecycle.wrap({
        extraQuitRequests: [
          { url: 'http://localhost:9091/quitquitquit' },
          { url: 'http://127.0.0.1:8080/stop', method: HttpMethod.GET },
        ],
      }),
      containers: [report],
    });
    // The wrapper calls QUIT's steps, then PROXY_QUIT's.
    const settings = settingsOf(pod.containers[0]);
    expect(settings.MESHJOB_QUIT).toBe('POST|http://localhost:9091/quitquitquit GET|http://127.0.0.1:8080/stop');
    expect(settings.MESHJOB_PROXY_QUIT).toBe('POST|http://localhost:15020/quitquitquit');
  });

  test('keeps the proxy running after a failure only when asked', () => {
    const keep = renderMeshJob({ mesh: Mesh.istio(), lifecycle: SidecarLifecycle.wrap({ keepProxyOnFailure: true }), containers: [report] });
    const stop = renderMeshJob({ mesh: Mesh.istio(), containers: [report] });
    expect(settingsOf(keep.pod.containers[0]).MESHJOB_KEEP_PROXY_ON_FAILURE).toBe('true');
    expect(settingsOf(stop.pod.containers[0]).MESHJOB_KEEP_PROXY_ON_FAILURE).toBe('false');
  });

  test('wraps a Job without a mesh when other sidecars must be stopped', () => {
    const { pod } = renderMeshJob({
      mesh: Mesh.none(),
      lifecycle: SidecarLifecycle.wrap({ extraQuitRequests: [{ url: 'http://localhost:9091/quitquitquit' }] }),
      containers: [report],
    });
    expect(settingsOf(pod.containers[0])).toMatchObject({ MESHJOB_READY_URL: '', MESHJOB_QUIT: 'POST|http://localhost:9091/quitquitquit' });
  });
});

describe('MeshJob keeps its plan honest', () => {
  test('fails synth when a container is added after construction, naming it and the fix', () => {
    const chart = newChart();
    const meshJob = new MeshJob(chart, 'nightly', { mesh: Mesh.istio(), containers: [report] });
    meshJob.job!.addContainer({ name: 'late', image: 'registry.example.com/late:1', command: ['/late'] });
    expect(() => Testing.synth(chart)).toThrow(
      /meshjob 'reports\/nightly': container 'late' was added after construction, so MeshJob did not plan it and the wrap lifecycle does not cover it .*pass it in `containers` \(or `sidecars`\) instead/,
    );
  });

  test('names unnamed init containers once, the same in every lifecycle', () => {
    const init = { image: 'registry.example.com/migrate:1', command: ['/migrate'] };
    const wrapped = renderMeshJob({ mesh: Mesh.istio(), containers: [report], initContainers: [init] });
    const native = renderMeshJob({
      mesh: Mesh.istio({ version: '1.24' }), kubernetesVersion: '1.33', containers: [report], initContainers: [init],
    });
    expect(wrapped.pod.initContainers.map((c: any) => c.name)).toEqual(['meshjob-busybox', 'init-1']);
    expect(native.pod.initContainers.map((c: any) => c.name)).toEqual(['init-1']);
  });

  test('keeps the user\'s own proxy.istio.io/config settings beside the mesh\'s', () => {
    const { podMetadata } = renderMeshJob({
      mesh: Mesh.istio(),
      containers: [report],
      podMetadata: { annotations: { 'proxy.istio.io/config': '{"terminationDrainDuration":"1s","proxyMetadata":{"A":"b"}}' } },
    });
    expect(JSON.parse(podMetadata.annotations['proxy.istio.io/config'])).toEqual({
      terminationDrainDuration: '1s', proxyMetadata: { A: 'b' }, holdApplicationUntilProxyStarts: true,
    });
  });

  test('accepts the user\'s proxy.istio.io/config in the YAML form Istio also reads', () => {
    const { podMetadata } = renderMeshJob({
      mesh: Mesh.istio(),
      containers: [report],
      podMetadata: { annotations: { 'proxy.istio.io/config': 'terminationDrainDuration: 1s\nproxyMetadata:\n  A: b\n' } },
    });
    expect(JSON.parse(podMetadata.annotations['proxy.istio.io/config'])).toEqual({
      terminationDrainDuration: '1s', proxyMetadata: { A: 'b' }, holdApplicationUntilProxyStarts: true,
    });
  });

  test('renders the busybox init container without user and group for OpenShift\'s restricted-v2, keeping the rest of the restricted profile', () => {
    const { pod } = renderMeshJob({
      mesh: Mesh.istio(), containers: [report], lifecycle: SidecarLifecycle.wrap({ runtime: WrapperRuntime.busybox({ platformAssignsUser: true }) }),
    });
    const sc = pod.initContainers[0].securityContext;
    expect(sc).not.toHaveProperty('runAsUser');
    expect(sc).not.toHaveProperty('runAsGroup');
    expect(sc).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
  });

  test('renders the busybox init container as the user and group asked for', () => {
    const { pod } = renderMeshJob({
      mesh: Mesh.istio(),
      containers: [report],
      lifecycle: SidecarLifecycle.wrap({ runtime: WrapperRuntime.busybox({ runAsUser: 1000710000, runAsGroup: 1000710000 }) }),
    });
    expect(pod.initContainers[0].securityContext).toMatchObject({ runAsUser: 1000710000, runAsGroup: 1000710000, runAsNonRoot: true });
  });

  test('leaves the command\'s environment as it is: the wrapper\'s settings are not environment variables', () => {
    const { pod } = renderMeshJob({
      mesh: Mesh.istio(),
      containers: [{ ...report, envVariables: { REGION: kplus.EnvValue.fromValue('eu') } }],
    });
    expect(pod.containers[0].env).toEqual([{ name: 'REGION', value: 'eu' }]);
  });
});
