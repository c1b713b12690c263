// MeshJobs.applyTo on objects of every class a cdk8s app holds a Job or CronJob in: the typed
// workloads of two cdk8s-plus lines, the L1 KubeJob/KubeCronJob and an Include'd file, all with
// the same result, applied to the final JSON at synth.
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ApiObject, Chart, Cron, Include, JsonPatch, Testing, Yaml } from 'cdk8s';
import * as kplus28 from 'cdk8s-plus-28';
import * as kplus34 from 'cdk8s-plus-34';
import { Mesh, MeshJobs } from '../../src';
import { settingsOf, wrappedCommandOf } from '../support/render';
import { podMetadataOf, podSpecOf, validateAll } from '../support/schema';

const IMAGE = 'registry.example.com/report:1.4';
const mesh = () => Mesh.istio();
const jobOf = (manifests: any[]) => manifests.find((m) => m.kind === 'Job' || m.kind === 'CronJob');

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'meshjob-typed-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));
afterEach(() => jest.restoreAllMocks());

/**
 * The same objects twice: once with applyTo on the objects themselves, once rendered to YAML
 * without MeshJob, brought back with Include, and given to applyTo.
 */
function bothWays(define: (chart: Chart) => void): { typed: any[]; included: any[]; changed: string[] } {
  const typedChart = Testing.chart();
  define(typedChart);
  const changed = MeshJobs.applyTo(typedChart, { mesh: mesh() });
  const typed = validateAll(Testing.synth(typedChart));

  const plainChart = Testing.chart();
  define(plainChart);
  const file = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, Yaml.stringify(...Testing.synth(plainChart)));
  const includeChart = Testing.chart();
  new Include(includeChart, 'file', { url: file });
  MeshJobs.applyTo(includeChart, { mesh: mesh() });
  return { typed, included: validateAll(Testing.synth(includeChart)), changed };
}

describe('MeshJobs.applyTo on typed Job and CronJob objects', () => {
  test.each([
    ['cdk8s-plus-28 Job', (c: Chart) => new kplus28.Job(c, 'report', { containers: [{ image: IMAGE, command: ['/report'] }] })],
    ['cdk8s-plus-34 Job', (c: Chart) => new kplus34.Job(c, 'report', { containers: [{ image: IMAGE, command: ['/report'] }] })],
    ['cdk8s-plus-28 CronJob', (c: Chart) => new kplus28.CronJob(c, 'report', {
      schedule: Cron.daily(), containers: [{ image: IMAGE, command: ['/report'] }],
    })],
    ['cdk8s-plus-34 CronJob', (c: Chart) => new kplus34.CronJob(c, 'report', {
      schedule: Cron.daily(), containers: [{ image: IMAGE, command: ['/report'] }],
    })],
    ['L1 KubeJob', (c: Chart) => new kplus28.k8s.KubeJob(c, 'report', {
      metadata: { name: 'report' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: IMAGE, command: ['/report'] }] } } },
    })],
    ['L1 KubeCronJob', (c: Chart) => new kplus34.k8s.KubeCronJob(c, 'report', {
      metadata: { name: 'report' },
      spec: {
        schedule: '0 3 * * *',
        jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: IMAGE, command: ['/report'] }] } } } },
      },
    })],
  ])('GIVEN a %s WHEN applyTo runs THEN it renders exactly what an Include\'d copy of the same manifest gets', (_, define) => {
    const { typed, included, changed } = bothWays(define);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatch(/^(Job|CronJob) \S+: wrap$/);
    expect(podMetadataOf(jobOf(typed)).annotations['meshjob/lifecycle']).toBe('wrap');
    expect(wrappedCommandOf(podSpecOf(jobOf(typed)).containers[0])).toEqual(['meshjob', '/report']);
    expect(typed).toEqual(included);
  });

  test('GIVEN a typed Job WHEN a container is added after applyTo THEN synth wraps both, since the lifecycle is applied to the final JSON', () => {
    const chart = Testing.chart();
    const job = new kplus34.Job(chart, 'report', { containers: [{ name: 'main', image: IMAGE, command: ['/report'] }] });
    MeshJobs.applyTo(chart, { mesh: mesh() });
    job.addContainer({ name: 'upload', image: IMAGE, command: ['/upload'] });

    const pod = podSpecOf(jobOf(validateAll(Testing.synth(chart))));
    expect(pod.containers.map((c: any) => wrappedCommandOf(c))).toEqual([['meshjob', '/report'], ['meshjob', '/upload']]);
    expect(pod.containers.map((c: any) => settingsOf(c).MESHJOB_PEERS)).toEqual(['main upload', 'main upload']);
  });

  test('GIVEN a JSON patch added after applyTo THEN the lifecycle sees the patched manifest', () => {
    const chart = Testing.chart();
    const job = new kplus28.Job(chart, 'report', { containers: [{ name: 'main', image: IMAGE, command: ['/report'] }] });
    MeshJobs.applyTo(chart, { mesh: mesh() });
    ApiObject.of(job).addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/args', ['--since', '24h']));

    const main = podSpecOf(jobOf(validateAll(Testing.synth(chart)))).containers[0];
    expect(wrappedCommandOf(main)).toEqual(['meshjob', '/report']);
    expect(main.args).toEqual(['--since', '24h']);
  });

  test('GIVEN labels in the selection THEN only typed objects whose final labels match are changed', () => {
    const chart = Testing.chart();
    new kplus34.Job(chart, 'picked', { metadata: { labels: { team: 'reports' } }, containers: [{ image: IMAGE, command: ['/a'] }] });
    new kplus34.Job(chart, 'other', { containers: [{ image: IMAGE, command: ['/b'] }] });
    const changed = MeshJobs.applyTo(chart, { mesh: mesh(), labels: { team: 'reports' } });

    const jobs = validateAll(Testing.synth(chart)).filter((m) => m.kind === 'Job');
    expect(changed).toHaveLength(1);
    expect(jobs.map((j) => podMetadataOf(j).annotations?.['meshjob/lifecycle'])).toEqual(['wrap', undefined]);
  });

  test('GIVEN applyTo called twice on typed objects THEN the second call changes nothing more', () => {
    const chart = Testing.chart();
    new kplus34.Job(chart, 'report', { containers: [{ image: IMAGE, command: ['/report'] }] });
    MeshJobs.applyTo(chart, { mesh: mesh() });
    const once = Testing.synth(chart);
    expect(MeshJobs.applyTo(chart, { mesh: mesh() })).toEqual([]);
    expect(Testing.synth(chart)).toEqual(once);
  });

  test('fails at applyTo, naming the Job and the container, when a typed Job\'s container has no command to wrap', () => {
    const chart = Testing.chart();
    const job = new kplus34.Job(chart, 'report', { containers: [{ name: 'main', image: IMAGE }] });
    expect(() => MeshJobs.applyTo(chart, { mesh: mesh(), strict: true })).toThrow(new RegExp(`Job ${job.name}.*'main'.*command`));
  });

  test('with strict, fails at synth, naming the Job and the container, when a container without a command is added after applyTo', () => {
    const chart = Testing.chart();
    const job = new kplus34.Job(chart, 'report', { containers: [{ name: 'main', image: IMAGE, command: ['/report'] }] });
    MeshJobs.applyTo(chart, { mesh: mesh(), strict: true });
    job.addContainer({ name: 'upload', image: IMAGE });
    expect(() => Testing.synth(chart)).toThrow(new RegExp(`Job ${job.name}.*'upload'.*command`));
  });

  test('GIVEN a typed Job whose container has no command THEN it is left unchanged with a warning, or wrapped with its image\'s entrypoint', () => {
    const chart = Testing.chart();
    new kplus34.Job(chart, 'report', { containers: [{ name: 'main', image: IMAGE }] });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(MeshJobs.applyTo(chart, { mesh: mesh() })).toEqual([]);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/left unchanged: container 'main' \(image [^)]*\) has no command/));
    const wrapped = Testing.chart();
    new kplus34.Job(wrapped, 'report', { containers: [{ name: 'main', image: IMAGE }] });
    expect(MeshJobs.applyTo(wrapped, { mesh: mesh(), entrypoints: { [IMAGE]: ['/report'] } })).toHaveLength(1);
    expect(wrappedCommandOf(podSpecOf(jobOf(validateAll(Testing.synth(wrapped)))).containers[0])).toEqual(['meshjob', '/report']);
  });
});
