import { Testing } from 'cdk8s';
import { EXAMPLES } from '../../examples';
import { settingsOf, wrappedCommandOf } from '../support/render';
import { podMetadataOf, podSpecOf, validateAll } from '../support/schema';

function render(name: string): any[] {
  const ChartClass = EXAMPLES[name];
  return validateAll(Testing.synth(new ChartClass(Testing.app(), name)));
}
const workloadOf = (name: string) => render(name).find((m) => m.kind === 'Job' || m.kind === 'CronJob');

describe('examples', () => {
  test.each(Object.keys(EXAMPLES))('%s renders schema-valid manifests matching its snapshot', (name) => {
    expect(render(name)).toMatchSnapshot();
  });

  test('istio-job renders a wrapped Job', () => {
    const job = workloadOf('istio-job');
    expect(job.kind).toBe('Job');
    expect(wrappedCommandOf(podSpecOf(job).containers[0])).toEqual(['meshjob', '/report']);
  });

  test('istio-cronjob renders a wrapped CronJob that keeps $(DATE) for the kubelet to expand', () => {
    const cron = workloadOf('istio-cronjob');
    expect(cron.kind).toBe('CronJob');
    expect(podSpecOf(cron).containers[0].args).toEqual(['--bucket', 's3://reports/$(DATE)']);
  });

  test('from-scratch wraps both containers and stops the proxy after the last', () => {
    const pod = podSpecOf(workloadOf('from-scratch'));
    expect(pod.containers.map((c: any) => settingsOf(c).MESHJOB_PEERS)).toEqual(['migrate seed', 'migrate seed']);
    expect(pod.initContainers[0].image).toMatch(/^registry\.example\.com\/mirror\/busybox:1\.36\.1-uclibc@sha256:/);
  });

  test('debug-failed-run keeps the proxy on failure and is bounded by activeDeadline', () => {
    const job = workloadOf('debug-failed-run');
    expect(settingsOf(podSpecOf(job).containers[0]).MESHJOB_KEEP_PROXY_ON_FAILURE).toBe('true');
    expect(job.spec.activeDeadlineSeconds).toBe(7200);
  });

  test('cloud-sql-proxy stops the Cloud SQL Auth Proxy before Istio\'s proxy', () => {
    const env = settingsOf(podSpecOf(workloadOf('cloud-sql-proxy')).containers[0]);
    // The wrapper sends QUIT's steps, then PROXY_QUIT's.
    expect([env.MESHJOB_QUIT, env.MESHJOB_PROXY_QUIT]).toEqual(['POST|http://localhost:9091/quitquitquit', 'POST|http://localhost:15020/quitquitquit']);
  });

  test('image-shell needs no init container', () => {
    const pod = podSpecOf(workloadOf('image-shell'));
    expect(pod.initContainers).toBeUndefined();
    expect(pod.containers[0].command[0]).toBe('/bin/sh');
  });

  test('no-injection opts out of the mesh and runs the command directly', () => {
    const job = workloadOf('no-injection');
    expect(podMetadataOf(job).labels['sidecar.istio.io/inject']).toBe('false');
    expect(podSpecOf(job).containers[0].command).toEqual(['vacuumdb', '--all']);
  });

  test('native-sidecars renders Istio\'s native switch, a native log shipper and no wrapper', () => {
    const job = workloadOf('native-sidecars');
    expect(podMetadataOf(job).annotations['sidecar.istio.io/nativeSidecar']).toBe('true');
    expect(podSpecOf(job).initContainers.map((c: any) => [c.name, c.restartPolicy])).toEqual([['logs', 'Always']]);
    expect(podSpecOf(job).containers[0].command).toBeUndefined();
  });

  test('mixed-versions renders native for Kubernetes 1.33 and the wrapped form for 1.27, which opts out of a native proxy', () => {
    const [modern, old] = render('mixed-versions').filter((m) => m.kind === 'Job');
    expect(podSpecOf(modern).containers[0].command).toEqual(['/cleanup']);
    expect(podMetadataOf(modern).annotations['sidecar.istio.io/nativeSidecar']).toBe('true');
    expect(wrappedCommandOf(podSpecOf(old).containers[0])).toEqual(['meshjob', '/cleanup']);
    expect(podMetadataOf(old).annotations['sidecar.istio.io/nativeSidecar']).toBe('false');
  });
});
