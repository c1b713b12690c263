import * as fc from 'fast-check';
import { document, writeDocument } from './generate';
import { kubectlRead } from './kubectl';
import { pyyamlErrors } from './pyyaml';
import { CliOptions } from '../../src/cli/options';
import { isJobManifest } from '../../src/manifests/apply';
import { installedPackage } from '../pipelines/support/package';
import { acceptsAll, applyToRoute, cliRoute, kptRoute, kustomizeRoute, Mismatch } from '../pipelines/support/routes';
import { cleanup } from '../support/wrapper-harness';

// The differential test: generated manifests (test/cli/generate.ts) through every route, kubectl
// reading the input and each route's output. Outside the fields MeshJob owns, kubectl's readings
// are equal; MeshJob's fields read as MeshJob meant them; PyYAML loads every output.
//
// MESHJOB_DIFFERENTIAL_CASES sets how many documents (default 200, the fast tier; CI's long tier
// runs 5000), MESHJOB_DIFFERENTIAL_SEED the generator's seed (default 20, so that a run repeats).

const CASES = Number(process.env.MESHJOB_DIFFERENTIAL_CASES ?? 200);
const SEED = Number(process.env.MESHJOB_DIFFERENTIAL_SEED ?? 20);
/** Documents per batch: one kubectl, kpt and kustomize process per batch. */
const BATCH = 250;
const OPTIONS: CliOptions = { mesh: 'istio' };

jest.setTimeout(Math.max(600_000, CASES * 600));
afterAll(cleanup);

describe(`${CASES} generated documents (seed ${SEED})`, () => {
  const texts = fc.sample(document, { numRuns: CASES, seed: SEED }).map((d, i) => writeDocument(d, i));
  const readings = kubectlRead(texts);
  // What kubectl refuses is no manifest; a Job MeshJob refuses (an invalid Job, said in one line) is
  // not taken either: the routes get every document that kubectl reads and MeshJob accepts.
  const valid = texts.map((_, i) => i).filter((i) => 'objects' in readings[i] && acceptsAll((readings[i] as any).objects, OPTIONS));
  const baselines = valid.map((i) => (readings[i] as { objects: unknown[] }).objects);
  const docs = valid.map((i) => texts[i]);
  const batches = Array.from({ length: Math.ceil(docs.length / BATCH) }, (_, b) => b * BATCH);
  const report = (mismatches: Mismatch[]) => mismatches.map((m) => `${m.route} ${m.where.replace(/document (\d+)/, (_, k) => `document ${valid[Number(k)]}`)}: ${m.problem}`);

  test('most generated documents are manifests kubectl reads, with Jobs and CronJobs among them', () => {
    expect(valid.length).toBeGreaterThan(CASES * 0.7);
    expect(baselines.filter((objects) => objects.some(isJobManifest)).length).toBeGreaterThan(valid.length * 0.5);
  });

  test('the command line: every document accepted, kubectl reads each output as the input with MeshJob\'s fields, PyYAML loads every output', async () => {
    const mismatches: Mismatch[] = [];
    const unloadable: string[] = [];
    for (const start of batches) {
      const slice = docs.slice(start, start + BATCH);
      const r = await cliRoute(slice, baselines.slice(start, start + BATCH), OPTIONS);
      mismatches.push(...r.mismatches.map((m) => ({ ...m, where: m.where.replace(/\d+/, (k) => String(start + Number(k))) })));
      // PyYAML must load what MeshJob wrote wherever it loads what MeshJob was given.
      const before = pyyamlErrors(slice);
      const after = pyyamlErrors(r.outputs);
      after.forEach((e, k) => { if (e && !before[k]) unloadable.push(`document ${valid[start + k]}: ${e}`); });
    }
    expect(report(mismatches)).toEqual([]);
    expect(unloadable).toEqual([]);
  });

  test('kpt: the KRM function against an identity function through the same kpt', () => {
    const installed = installedPackage();
    const mismatches: Mismatch[] = [];
    let leftOut = 0;
    for (const start of batches) {
      const r = kptRoute(installed, docs.slice(start, start + BATCH), OPTIONS);
      mismatches.push(...r.mismatches.map((m) => ({ ...m, where: m.where.replace(/\d+/, (k) => String(start + Number(k))) })));
      leftOut += r.leftOut.length;
    }
    expect(report(mismatches)).toEqual([]);
    // kpt's own reader (kyaml, go-yaml v3) refuses some of what kubectl reads (duplicate keys, say).
    expect(leftOut).toBeLessThan(docs.length / 2);
  });

  test('kustomize: the exec transformer plugin against the same kustomization without it', () => {
    const installed = installedPackage();
    const mismatches: Mismatch[] = [];
    let leftOut = 0;
    for (const start of batches) {
      const r = kustomizeRoute(installed, docs.slice(start, start + BATCH), OPTIONS);
      mismatches.push(...r.mismatches);
      leftOut += r.leftOut.length;
    }
    expect(report(mismatches)).toEqual([]);
    expect(leftOut).toBeLessThan(docs.length / 2);
  });

  test('MeshJobs.applyTo on the documents brought in with Include', () => {
    const r = applyToRoute(docs, baselines, OPTIONS);
    expect(report(r.mismatches)).toEqual([]);
  });
});
