import * as fc from 'fast-check';
import { document, writeDocument } from './generate';
import { kubectlRead } from './kubectl';
import { CliOptions } from '../../src/cli/options';
import { isJobManifest } from '../../src/manifests/apply';
import { testSeed } from '../adversarial/arbitraries';
import { installedPackage } from '../pipelines/support/package';
import { acceptsAll, applyToRoute, cliRoute, kptRoute, kustomizeRoute, Mismatch, pyyamlRegressions, RouteResult } from '../pipelines/support/routes';
import { cleanup } from '../support/wrapper-harness';

// The differential test: generated manifests (test/cli/generate.ts) through every route, kubectl
// reading the input and each route's output. Outside the fields MeshJob owns, kubectl's readings
// are equal; MeshJob's fields read as MeshJob meant them; PyYAML loads every output wherever it
// loads the same route's text without MeshJob. Each tool route leaves out the documents its own
// tool reads otherwise than kubectl (counted, and printed at the end).
//
// How many documents: testCases('KUBECTL') in each shard's file (100 in the fast tier, 5,000 in
// the long one, MESHJOB_TEST_CASES_KUBECTL=N for either); the generator's seed: testSeed() (the
// fast tier's fixed seed; in the long tier one drawn by each shard and printed, MESHJOB_TEST_SEED=N
// to replay it). A shard takes the documents of the sample whose number leaves its own when
// divided by the number of shards (the shards' files run on jest's workers side by side), and
// names each by its number in the sample.

/** Documents per batch: one kubectl, kpt and kustomize process per batch. */
const BATCH = 250;
const OPTIONS: CliOptions = { mesh: 'istio' };

/** The sample's seed; in the long tier each shard draws its own, printed to replay that shard. */
const SEED = testSeed() ?? Math.floor(Math.random() * 2 ** 31);

/**
 * The differential test over shard `shard` (0-based) of `shards`: the documents of a sample of
 * `cases` whose number leaves `shard` when divided by `shards`.
 */
export function differentialSuite(cases: number, shard: number, shards: number): void {
  const models = fc.sample(document, { numRuns: cases, seed: SEED });
  /** This shard's documents, by their number in the sample. */
  const mine = models.map((_, i) => i).filter((i) => i % shards === shard);
  jest.setTimeout(Math.max(600_000, (cases / shards) * 600));
  /** Documents each route took and left out, printed once at the end (CI's log keeps the coverage). */
  const coverage: string[] = [];
  beforeAll(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));
  afterAll(async () => {
    jest.restoreAllMocks();
    process.stderr.write(`differential test, shard ${shard + 1} of ${shards}: ${mine.length} of ${cases} documents (seed ${SEED}): ${coverage.join('; ')}\n`);
    await cleanup();
  });

  describe(`shard ${shard + 1} of ${shards} of ${cases} generated documents (seed ${SEED})`, () => {
    const texts = mine.map((i) => writeDocument(models[i], i));
    const readings = kubectlRead(texts);
    // What kubectl refuses is no manifest; a Job MeshJob refuses (an invalid Job, said in one line) is
    // not taken either: the routes get every document that kubectl reads and MeshJob accepts.
    const valid = texts.map((_, i) => i).filter((i) => 'objects' in readings[i] && acceptsAll((readings[i] as any).objects, OPTIONS));
    const baselines = valid.map((i) => (readings[i] as { objects: unknown[] }).objects);
    const docs = valid.map((i) => texts[i]);
    const batches = Array.from({ length: Math.ceil(docs.length / BATCH) }, (_, b) => b * BATCH);
    /** A document's number in the whole sample, from its index among the valid ones. */
    const numberOf = (k: number) => mine[valid[k]];
    const report = (mismatches: Mismatch[]) => mismatches.map((m) => `${m.route} ${m.where.replace(/document (\d+)/, (_, k) => `document ${numberOf(Number(k))}`)}: ${m.problem}`);

    /** A route run batch by batch: its mismatches (documents numbered among `docs`), PyYAML's regressions, how many it left out. */
    const inBatches = (run: (batch: string[]) => RouteResult) => {
      const mismatches: Mismatch[] = [];
      const unloadable: string[] = [];
      let leftOut = 0;
      for (const start of batches) {
        const r = run(docs.slice(start, start + BATCH));
        mismatches.push(...r.mismatches.map((m) => ({ ...m, where: m.where.replace(/^document (\d+)/, (_, k) => `document ${start + Number(k)}`) })));
        unloadable.push(...pyyamlRegressions(r));
        leftOut += r.leftOut.length;
      }
      return { mismatches, unloadable, leftOut };
    };

    test('most generated documents are manifests kubectl reads, with Jobs and CronJobs among them', () => {
      expect(valid.length).toBeGreaterThan(texts.length * 0.7);
      expect(baselines.filter((objects) => objects.some(isJobManifest)).length).toBeGreaterThan(valid.length * 0.5);
    });

    test('the command line: every document accepted, kubectl reads each output as the input with MeshJob\'s fields, PyYAML loads every output', async () => {
      const mismatches: Mismatch[] = [];
      const unloadable: string[] = [];
      for (const start of batches) {
        const slice = docs.slice(start, start + BATCH);
        const r = await cliRoute(slice, baselines.slice(start, start + BATCH), OPTIONS);
        mismatches.push(...r.mismatches.map((m) => ({ ...m, where: m.where.replace(/\d+/, (k) => String(start + Number(k))) })));
        // PyYAML must load what MeshJob wrote wherever it loads what MeshJob was given (one output per document).
        unloadable.push(...pyyamlRegressions(r, (k) => `document ${numberOf(start + k)}`));
      }
      coverage.push(`${valid.length} through the command line`);
      expect(report(mismatches)).toEqual([]);
      expect(unloadable).toEqual([]);
    });

    test('kpt: the KRM function against an identity function through the same kpt; PyYAML loads every output', () => {
      const { mismatches, unloadable, leftOut } = inBatches((batch) => kptRoute(installedPackage(), batch, OPTIONS));
      coverage.push(`kpt ${docs.length - leftOut} (${leftOut} left out)`);
      expect(report(mismatches)).toEqual([]);
      expect(unloadable).toEqual([]);
      // kpt's own reader (kyaml, go-yaml v3) refuses or changes some of what kubectl reads: those are left out.
      expect(leftOut).toBeLessThan(docs.length * 0.8);
    });

    test('kustomize: the exec transformer plugin against the same kustomization without it; PyYAML loads every output', () => {
      const { mismatches, unloadable, leftOut } = inBatches((batch) => kustomizeRoute(installedPackage(), batch, OPTIONS));
      coverage.push(`kustomize ${docs.length - leftOut} (${leftOut} left out)`);
      expect(report(mismatches)).toEqual([]);
      expect(unloadable).toEqual([]);
      // kustomize reads with kyaml too, and changes more (it drops null fields, resolves merge keys as
      // YAML 1.1 readers do, turns 1.1 bools into strings): those documents are left out.
      expect(leftOut).toBeLessThan(docs.length * 0.8);
    });

    test('MeshJobs.applyTo on the documents brought in with Include, against the same app without it; PyYAML loads every output', () => {
      const r = applyToRoute(docs, OPTIONS);
      coverage.push(`applyTo ${docs.length - r.leftOut.length} (${r.leftOut.length} left out)`);
      // (Its mismatches name the object, not a document.)
      expect(report(r.mismatches)).toEqual([]);
      expect(pyyamlRegressions(r)).toEqual([]);
      // cdk8s reads YAML 1.1 with the `yaml` package and drops null fields: what it reads otherwise than kubectl is left out.
      expect(r.leftOut.length).toBeLessThan(docs.length * 0.8);
    });
  });
}
