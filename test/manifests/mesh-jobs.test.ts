import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Include, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Mesh, MeshJob, MeshJobs } from '../../src';
import { newChart } from '../support/render';
import { podMetadataOf, validateAll } from '../support/schema';
import { cleanup, tempDir } from '../support/wrapper-harness';

const CHART_OUTPUT = readFileSync(join(__dirname, '..', 'fixtures', 'helm', 'app-chart.yaml'), 'utf-8');
const jobsOf = (docs: any[]): any[] => docs.flatMap((d) => (d.kind.endsWith('List') ? d.items : [d])).filter((d) => d.kind === 'Job' || d.kind === 'CronJob');

beforeEach(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));
afterEach(async () => {
  jest.restoreAllMocks();
  await cleanup();
});

describe('MeshJobs.applyTo()', () => {
  function includeChart(): { chart: any; file: string } {
    const file = join(tempDir(), 'chart-output.yaml');
    writeFileSync(file, CHART_OUTPUT.replace(/apiVersion: v1\nkind: List[\s\S]*$/, ''));
    const chart = newChart();
    new Include(chart, 'shop', { url: file });
    return { chart, file };
  }

  test('applies the lifecycle to the Jobs and CronJobs of an Include\'d file', () => {
    const { chart } = includeChart();
    const changed = MeshJobs.applyTo(chart, { mesh: Mesh.istio() });
    expect(changed).toEqual(['Job shop-migrate: wrap', 'CronJob shop-backup: wrap']);
    const jobs = jobsOf(validateAll(Testing.synth(chart)));
    expect(jobs.map((j) => podMetadataOf(j).annotations['meshjob/lifecycle'])).toEqual(['wrap', 'wrap']);
  });

  test('changes nothing more when called twice', () => {
    const { chart } = includeChart();
    MeshJobs.applyTo(chart, { mesh: Mesh.istio() });
    const once = Testing.synth(chart);
    expect(MeshJobs.applyTo(chart, { mesh: Mesh.istio() })).toEqual([]);
    expect(Testing.synth(chart)).toEqual(once);
  });

  test('selects by name and by label', () => {
    expect(MeshJobs.applyTo(includeChart().chart, { mesh: Mesh.istio(), names: ['shop-migrate'] })).toEqual(['Job shop-migrate: wrap']);
    expect(MeshJobs.applyTo(includeChart().chart, { mesh: Mesh.istio(), labels: { team: 'none' } })).toEqual([]);
  });

  // Include makes one ApiObject of a List: applyTo changes the Jobs among its items where they
  // sit, as kubectl applies them one by one (and as the command line, kustomize and kpt routes do).
  const listChart = (text: string) => {
    const file = join(tempDir(), 'list.yaml');
    writeFileSync(file, text);
    const chart = newChart();
    new Include(chart, 'list', { url: file });
    return chart;
  };
  const LIST = CHART_OUTPUT.slice(CHART_OUTPUT.indexOf('apiVersion: v1\nkind: List'));

  test('wraps the Jobs of a List brought in with Include, says so, and leaves its other items as they were', () => {
    const chart = listChart(`${LIST}  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: shop-reindex}\n    data: {command: /reindex}\n`);
    const before = Testing.synth(chart);
    expect(MeshJobs.applyTo(chart, { mesh: Mesh.istio() })).toEqual(['Job shop-reindex: wrap']);
    const after = validateAll(Testing.synth(chart));
    const jobs = jobsOf(after);
    expect(jobs.map((j) => j.metadata.name)).toEqual(['shop-reindex']);
    expect(podMetadataOf(jobs[0]).annotations['meshjob/lifecycle']).toBe('wrap');
    expect(jobs[0].metadata.annotations['meshjob/result']).toMatch(/^wrap lifecycle applied/);
    expect(jobs[0].spec.template.spec.containers[0].command.slice(-1)).toEqual(['/reindex']);
    const others = (docs: any[]) => docs[0].items.filter((i: any) => i.kind !== 'Job');
    expect(others(after)).toEqual(others(before));
    expect(others(after).length).toBeGreaterThan(0);
  });

  test('selects a List\'s Jobs by name and label, and changes nothing more when called twice', () => {
    const chart = listChart(LIST);
    expect(MeshJobs.applyTo(chart, { mesh: Mesh.istio(), names: ['shop-migrate'] })).toEqual([]);
    expect(MeshJobs.applyTo(chart, { mesh: Mesh.istio(), labels: { team: 'none' } })).toEqual([]);
    expect(jobsOf(Testing.synth(chart))[0].spec.template.spec.containers[0].command).toEqual(['/reindex']);
    MeshJobs.applyTo(chart, { mesh: Mesh.istio(), names: ['shop-reindex'] });
    const once = Testing.synth(chart);
    expect(MeshJobs.applyTo(chart, { mesh: Mesh.istio() })).toEqual([]);
    expect(Testing.synth(chart)).toEqual(once);
  });

  test('wraps the Jobs and CronJobs of a JobList, beside a List without items', () => {
    const job = (kind: string, name: string) => `- apiVersion: batch/v1\n  kind: ${kind}\n  metadata: {name: ${name}}\n  spec:\n${kind === 'CronJob' ? '    schedule: "@daily"\n    jobTemplate:\n      spec:\n        template:\n          spec:\n            restartPolicy: Never\n            containers: [{name: a, image: registry.example.com/a:1, command: [/a]}]\n' : '    template:\n      spec:\n        restartPolicy: Never\n        containers: [{name: a, image: registry.example.com/a:1, command: [/a]}]\n'}`;
    const chart = listChart(`apiVersion: batch/v1\nkind: JobList\nitems:\n${job('Job', 'one')}${job('CronJob', 'two')}---\napiVersion: v1\nkind: List\nitems: []\n`);
    expect(MeshJobs.applyTo(chart, { mesh: Mesh.istio() })).toEqual(['Job one: wrap', 'CronJob two: wrap']);
    expect(jobsOf(validateAll(Testing.synth(chart))).map((j) => podMetadataOf(j).annotations['meshjob/lifecycle'])).toEqual(['wrap', 'wrap']);
  });

  test('leaves MeshJob\'s own Jobs alone', () => {
    const chart = newChart();
    new MeshJob(chart, 'own', { mesh: Mesh.istio(), containers: [{ name: 'a', image: 'registry.example.com/a:1', command: ['/a'] }] });
    const before = Testing.synth(chart);
    expect(MeshJobs.applyTo(chart, { mesh: Mesh.istio() })).toEqual([]);
    expect(Testing.synth(chart)).toEqual(before);
  });
});

describe('one plan, one writer', () => {
  test.each([
    ['wrapped Istio', () => Mesh.istio(), undefined],
    ['native Istio 1.24 on Kubernetes 1.33', () => Mesh.istio({ version: '1.24' }), '1.33'],
    ['wrapped Linkerd on a moved admin port', () => Mesh.linkerd({ adminPort: 4999 }), undefined],
  ])('MeshJob and MeshJobs.applyTo on the same cdk8s-plus Job render the same pod (%s)', (_name, mesh, kubernetesVersion) => {
    const containers = [{ name: 'report', image: 'registry.example.com/report:1.4', command: ['/report'], args: ['--since', '24h'] }];
    const viaConstruct = newChart();
    new MeshJob(viaConstruct, 'nightly', { mesh: mesh(), kubernetesVersion, containers });
    const viaApplyTo = newChart();
    new kplus.Job(viaApplyTo, 'nightly', { containers });
    MeshJobs.applyTo(viaApplyTo, { mesh: mesh(), kubernetesVersion });
    // The construct address label names where in the tree each Job is, the one thing that differs.
    const job = (chart: any) => {
      const j = Testing.synth(chart).find((o: any) => o.kind === 'Job');
      delete j.spec.template.metadata.labels['cdk8s.io/metadata.addr'];
      return j;
    };
    const applied = job(viaApplyTo);
    // applyTo also says what it did on the Job itself, as the command line does.
    expect(applied.metadata.annotations['meshjob/result']).toMatch(/lifecycle applied/);
    delete applied.metadata.annotations;
    expect(applied.spec).toEqual(job(viaConstruct).spec);
  });
});
