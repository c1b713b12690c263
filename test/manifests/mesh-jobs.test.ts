import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Include, Testing } from 'cdk8s';
import { Mesh, MeshJob, MeshJobs } from '../../src';
import { newChart } from '../support/render';
import { podMetadataOf, validateAll } from '../support/schema';
import { cleanup, tempDir } from '../support/wrapper-harness';

const CHART_OUTPUT = readFileSync(join(__dirname, '..', 'fixtures', 'helm', 'app-chart.yaml'), 'utf-8');
const jobsOf = (docs: any[]): any[] => docs.flatMap((d) => (d.kind === 'List' ? d.items : [d])).filter((d) => d.kind === 'Job' || d.kind === 'CronJob');

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

  test('leaves MeshJob\'s own Jobs alone', () => {
    const chart = newChart();
    new MeshJob(chart, 'own', { mesh: Mesh.istio(), containers: [{ name: 'a', image: 'registry.example.com/a:1', command: ['/a'] }] });
    const before = Testing.synth(chart);
    expect(MeshJobs.applyTo(chart, { mesh: Mesh.istio() })).toEqual([]);
    expect(Testing.synth(chart)).toEqual(before);
  });
});
