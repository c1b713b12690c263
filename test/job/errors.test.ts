import { Cron, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { HttpMethod, Mesh, MeshJob, MeshJobProps, SidecarLifecycle, WrapOptions, WrapperRuntime } from '../../src';
import { newChart } from '../support/render';

// Every synth-time error names the construct, the offending value and the fix.
const report = { name: 'report', image: 'registry.example.com/report:1.4', command: ['/report'] };

function build(props: Partial<MeshJobProps>): () => MeshJob {
  return () => new MeshJob(newChart(), 'nightly', { mesh: Mesh.istio(), containers: [report], ...props });
}
const wrapWith = (options: WrapOptions) => build({ lifecycle: SidecarLifecycle.wrap(options) });

describe('MeshJob rejects configurations that cannot work', () => {
  test('fails when a wrapped container has no command', () => {
    expect(build({ containers: [{ name: 'report', image: 'registry.example.com/report:1.4' }] }))
      .toThrow("meshjob 'reports/nightly' wraps container 'report' but it has no command: the image's entrypoint is not visible at synth time. Set `command` to the image's entrypoint");
  });

  test('fails when a wrapped command starts with a dash', () => {
    expect(build({ containers: [{ ...report, command: ['--help'] }] }))
      .toThrow(/container 'report' command "--help" starts with "-", which the wrapper's `exec` would read as an option/);
  });

  test('fails when restartPolicy OnFailure is combined with wrapping, pointing to backoffLimit', () => {
    expect(build({ restartPolicy: kplus.RestartPolicy.ON_FAILURE }))
      .toThrow(/meshjob 'reports\/nightly': restartPolicy 'OnFailure' cannot be used with wrapped containers.*`backoffLimit`/);
  });

  test('fails when the ready timeout is shorter than the poll interval', () => {
    expect(wrapWith({ readyTimeout: Duration.seconds(1), readyPollInterval: Duration.seconds(2) }))
      .toThrow(/meshjob 'reports\/nightly': readyTimeout \(1000 ms\) is shorter than readyPollInterval \(2000 ms\).*lengthen readyTimeout/);
  });

  test('fails when a quit request is not on the loopback address', () => {
    expect(wrapWith({ extraQuitRequests: [{ url: 'http://10.0.0.7:9091/quitquitquit' }] }))
      .toThrow(/meshjob 'reports\/nightly': quit request "http:\/\/10.0.0.7:9091\/quitquitquit" is not a loopback http:\/\/ URL.*localhost/);
  });

  test('fails when a quit request uses https', () => {
    expect(wrapWith({ extraQuitRequests: [{ url: 'https://localhost:9091/quitquitquit', method: HttpMethod.GET }] }))
      .toThrow(/quit request "https:\/\/localhost:9091\/quitquitquit" is not a loopback http:\/\/ URL/);
  });

  test('fails when a quit request carries shell or kubelet syntax', () => {
    expect(wrapWith({ extraQuitRequests: [{ url: 'http://localhost:9091/$(id)' }] })).toThrow(/is not a loopback http:\/\/ URL/);
    expect(wrapWith({ extraQuitRequests: [{ url: 'http://localhost:9091/a b' }] })).toThrow(/is not a loopback http:\/\/ URL/);
    expect(wrapWith({ extraQuitRequests: [{ url: 'http://localhost:9091/a"b' }] })).toThrow(/is not a loopback http:\/\/ URL/);
  });

  test('fails when a quit request names a port out of range', () => {
    expect(wrapWith({ extraQuitRequests: [{ url: 'http://localhost:70000/quit' }] })).toThrow(/is not a loopback http:\/\/ URL/);
  });

  test('fails when there are no containers', () => {
    expect(build({ containers: [] }))
      .toThrow("meshjob 'reports/nightly' has no containers: give at least one in `containers` (with image and command)");
  });

  test('fails when two containers share a name, including the default name', () => {
    expect(build({
      containers: [
        { image: 'registry.example.com/a:1', command: ['/a'] },
        { image: 'registry.example.com/b:1', command: ['/b'] },
      ],
    })).toThrow(/meshjob 'reports\/nightly' has two containers named 'main': give each container a unique `name`/);
  });

  test('fails when a container is named like the container the mesh injects', () => {
    expect(build({ containers: [{ ...report, name: 'istio-proxy' }] }))
      .toThrow(/container name 'istio-proxy' is the name of a container the mesh or MeshJob adds: rename it/);
  });

  test('fails when an init container takes the wrapper\'s init container name', () => {
    expect(build({ initContainers: [{ name: 'meshjob-busybox', image: 'busybox', command: ['true'] }] }))
      .toThrow(/'meshjob-busybox'/);
  });

  test('fails when a container name is not a DNS label', () => {
    expect(build({ containers: [{ ...report, name: 'Report_1' }] })).toThrow(/container name 'Report_1' is not a DNS label/);
  });

  test('fails when CronJob options are given without a schedule', () => {
    expect(build({ timeZone: 'Europe/Paris', suspend: true }))
      .toThrow("meshjob 'reports/nightly': timeZone, suspend only apply to a CronJob: set `schedule`, or remove timeZone, suspend");
  });

  test('fails when readyTimeout is not a whole number of seconds', () => {
    expect(wrapWith({ readyTimeout: Duration.millis(1500) }))
      .toThrow(/readyTimeout of 1500 ms must be a whole number of seconds, at least 1: use Duration.seconds\(n\)/);
  });

  test('fails when requestTimeout is under a second', () => {
    expect(wrapWith({ requestTimeout: Duration.millis(500) })).toThrow(/requestTimeout of 500 ms must be a whole number of seconds/);
  });

  test('fails when readyPollInterval is zero', () => {
    expect(wrapWith({ readyPollInterval: Duration.millis(0) })).toThrow(/readyPollInterval of 0 ms is too short/);
  });

  test('fails when a duration is beyond what the wrapper can count, naming the bound', () => {
    // The wrapper's shell counts centiseconds in 64 bits; 9.3e16 s overflowed it.
    expect(wrapWith({ readyTimeout: Duration.seconds(93_000_000_000_000_000) }))
      .toThrow("meshjob 'reports/nightly': readyTimeout of 93000000000000000 s is longer than the wrapper allows (86400 s, a day): shorten it");
    expect(wrapWith({ requestTimeout: Duration.hours(2) })).toThrow(/requestTimeout of 7200 s is longer than the wrapper allows \(3600 s, an hour\)/);
    expect(wrapWith({ readyPollInterval: Duration.minutes(2), readyTimeout: Duration.minutes(5) })).toThrow(/readyPollInterval of 120 s is longer than the wrapper allows \(60 s, a minute\)/);
    expect(wrapWith({ quitRetryDelay: Duration.hours(1) })).toThrow(/quitRetryDelay of 3600 s is longer than the wrapper allows/);
    expect(wrapWith({ sidecarStopTimeout: Duration.days(1) })).toThrow(/sidecarStopTimeout of 86400 s is longer than the wrapper allows \(3600 s, an hour\)/);
    expect(wrapWith({ quitAttempts: 101 })).toThrow(/quitAttempts 101 must be a whole number from 1 to 100/);
    expect(wrapWith({ readyTimeout: Duration.days(1) })).not.toThrow();
  });

  test('fails when quitAttempts is not a positive whole number', () => {
    expect(wrapWith({ quitAttempts: 0 })).toThrow(/quitAttempts 0 must be a whole number from 1 to 100/);
    expect(wrapWith({ quitAttempts: 2.5 })).toThrow(/quitAttempts 2.5 must be a whole number from 1 to 100/);
  });

  test('fails when a container sets a variable the wrapper owns', () => {
    expect(build({ containers: [{ ...report, envVariables: { MESHJOB_READY_URL: kplus.EnvValue.fromValue('x') } }] }))
      .toThrow(/container 'report' sets MESHJOB_READY_URL, but MESHJOB_\* variables belong to the wrapper: rename it/);
  });

  test('fails when a user volume takes the wrapper\'s volume name', () => {
    const chart = newChart();
    const volume = kplus.Volume.fromEmptyDir(chart, 'v', 'meshjob');
    expect(() => new MeshJob(chart, 'nightly', { mesh: Mesh.istio(), containers: [report], volumes: [volume] }))
      .toThrow("volume name 'meshjob' is reserved for the wrapper (its shared directory, its binary, its pod's metadata): rename your volume");
  });

  test('fails when a container mounts a volume where the wrapper lives', () => {
    const chart = newChart();
    const volume = kplus.Volume.fromEmptyDir(chart, 'v', 'data');
    expect(() => new MeshJob(chart, 'nightly', {
      mesh: Mesh.istio(),
      containers: [{ ...report, volumeMounts: [{ volume, path: '/meshjob/data' }] }],
      volumes: [volume],
    })).toThrow(/container 'report' mounts a volume at \/meshjob \("\/meshjob\/data"\), which the wrapper uses: mount it elsewhere/);
  });

  test('fails when a container mounts the wrapper\'s path spelled another way', () => {
    for (const path of ['//meshjob', '/meshjob/', '/./meshjob/run']) {
      const chart = newChart();
      const volume = kplus.Volume.fromEmptyDir(chart, 'v', 'data');
      expect(() => new MeshJob(chart, 'nightly', {
        mesh: Mesh.istio(), containers: [{ ...report, volumeMounts: [{ volume, path }] }], volumes: [volume],
      })).toThrow(`mounts a volume at /meshjob (${JSON.stringify(path)}), which the wrapper uses`);
    }
  });

  test('fails when podMetadata opts out of the mesh\'s injection, naming the conflict', () => {
    expect(build({ podMetadata: { labels: { 'sidecar.istio.io/inject': 'false' } } }))
      .toThrow(/pod label sidecar.istio.io\/inject="false" opts out of the mesh's injection, which conflicts with mesh 'istio'.*SidecarInjection.DISABLED/);
    // Istio before 1.27 reads "no" as off; from 1.27 (and when the version is unknown) only "false" is.
    expect(build({ mesh: Mesh.istio({ version: '1.26' }), podMetadata: { annotations: { 'sidecar.istio.io/inject': 'no' } } }))
      .toThrow(/pod annotation sidecar.istio.io\/inject="no" opts out of the mesh's injection/);
  });

  test('fails when podMetadata contradicts a mesh label with another value', () => {
    expect(build({ mesh: Mesh.kuma(), podMetadata: { labels: { 'kuma.io/sidecar-injection': 'enabled-ish' } } }))
      .toThrow(/pod label kuma.io\/sidecar-injection="enabled-ish" conflicts with "enabled", which the mesh settings need/);
  });

  test('fails when the busybox image is not an image reference', () => {
    expect(() => WrapperRuntime.busybox({ image: 'busybox:1.36; rm -rf /' }))
      .toThrow(/busybox runtime image "busybox:1.36; rm -rf \/" is not a valid image reference/);
  });

  test('fails when the busybox runtime is given a root or malformed user ID', () => {
    expect(() => WrapperRuntime.busybox({ runAsUser: 0 })).toThrow('busybox runtime runAsUser 0 is not a non-root user or group ID: use a whole number from 1 to 2147483647');
    expect(() => WrapperRuntime.busybox({ runAsGroup: 1.5 })).toThrow(/runAsGroup 1.5 is not a non-root user or group ID/);
  });

  test('fails when the busybox runtime is given a user ID and told the platform assigns one', () => {
    expect(() => WrapperRuntime.busybox({ runAsUser: 1000, platformAssignsUser: true })).toThrow(/platformAssignsUser leaves the user and group to the platform/);
  });

  test('fails when the image shell is not an absolute path', () => {
    expect(() => WrapperRuntime.imageShell({ shell: 'sh' })).toThrow(/image shell "sh" is not an absolute path/);
  });

  test('fails when a CronJob\'s startingDeadline is under 10 seconds (cdk8s-plus rule)', () => {
    expect(build({ schedule: Cron.daily(), startingDeadline: Duration.seconds(5) })).toThrow(/startingDeadline/);
  });
});
