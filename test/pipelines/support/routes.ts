// Every route a manifest takes through MeshJob, with kubectl as the judge of what came out. For
// each route, kubectl reads the route's baseline (the input; for kpt and kustomize, what the same
// tool makes of it with no MeshJob) and its output; the output must be exactly the baseline with
// MeshJob's lifecycle applied to each Job and CronJob as kubectl read it (applyToManifest and the
// meshjob/result annotation): no other field differs, and MeshJob's own fields mean what it meant.
import { spawnSync } from 'child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { Include, Testing, Yaml } from 'cdk8s';
import { helm4PluginInstall, helm4PostRender } from './helm';
import { cleanEnv, InstalledPackage } from './package';
import { CliOptions, toFlags, toManifestLifecycle } from '../../../src/cli/options';
import { readDocument } from '../../../src/cli/yaml/read';
import { APPLY_TO_ROUTE, applyToManifest, CLI_ROUTE, isJobManifest, ManifestRoute } from '../../../src/manifests/apply';
import { MeshJobs } from '../../../src/manifests/mesh-jobs';
import { annotateResult } from '../../../src/manifests/outcome';
import { Mesh } from '../../../src/meshes/mesh';
import { kubectlRead, KubectlReading } from '../../cli/kubectl';
import { pyyamlErrors } from '../../cli/pyyaml';
import { runMeshjob } from '../../cli/run';
import { canonicalJson } from '../../cli/same-reading';
import { newChart } from '../../support/render';
import { tempDir } from '../../support/wrapper-harness';

/** A difference kubectl sees that MeshJob did not mean. */
export interface Mismatch {
  readonly route: string;
  /** The input document (its index), or the object, it is about. */
  readonly where: string;
  readonly problem: string;
}

/** What a route did with a batch of documents. */
export interface RouteResult {
  readonly mismatches: Mismatch[];
  /** Documents the route's own tool (kpt, kustomize) could not take even without MeshJob: left out. */
  readonly leftOut: number[];
  /** Every text MeshJob wrote (for readers other than kubectl to read). */
  readonly outputs: string[];
  /** Beside each output, the same route's text without MeshJob (the input, or the tool's own output). */
  readonly baselines: string[];
}

/**
 * The outputs PyYAML (the Kubernetes Python client's reader) cannot load where it loads the same
 * route's text without MeshJob, each named by `name` (its index by default) with PyYAML's reason.
 */
export function pyyamlRegressions(r: RouteResult, name: (i: number) => string = (i) => `output ${i}`): string[] {
  const after = pyyamlErrors(r.outputs);
  const before = pyyamlErrors(r.baselines);
  return after.flatMap((e, i) => (e !== undefined && before[i] === undefined ? [`${name(i)}: ${e}`] : []));
}

const identity = (o: any) => `${o?.apiVersion}/${o?.kind} ${o?.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o?.metadata?.name}`;

/**
 * The objects kubectl should read from MeshJob's output, given what it read from the baseline:
 * each Job also says what was done in meshjob/result, in the words of its `route` (the command
 * line's by default; applyTo names its own options).
 */
export function expectedObjects(baseline: unknown[], options: CliOptions, route: ManifestRoute = CLI_ROUTE): unknown[] {
  const lifecycle = { ...toManifestLifecycle(options), route };
  return baseline.map((o) => {
    if (!isJobManifest(o)) return o;
    const copy = structuredClone(o) as any;
    annotateResult(copy, applyToManifest(copy, lifecycle));
    return copy;
  });
}

/** True when MeshJob takes every Job and CronJob of the objects (it refuses invalid Jobs, with a message). */
export function acceptsAll(objects: unknown[], options: CliOptions): boolean {
  try {
    expectedObjects(objects, options);
    return true;
  } catch {
    return false;
  }
}

/** Compares kubectl's reading of a route's output with the expected objects, object by object. */
export function compare(
  route: string, where: string, baseline: unknown[], actual: unknown[], options: CliOptions, words: ManifestRoute = CLI_ROUTE,
): Mismatch[] {
  const expected = expectedObjects(baseline, options, words);
  const byId = (objects: unknown[]) => {
    const m = new Map<string, unknown[]>();
    for (const o of objects) m.set(identity(o), [...(m.get(identity(o)) ?? []), o]);
    return m;
  };
  const want = byId(expected);
  const got = byId(actual);
  const out: Mismatch[] = [];
  for (const id of new Set([...want.keys(), ...got.keys()])) {
    const a = want.get(id) ?? [];
    const b = got.get(id) ?? [];
    if (a.length !== b.length) {
      out.push({ route, where: `${where} ${id}`, problem: `${a.length} objects expected, ${b.length} read` });
      continue;
    }
    a.forEach((x, i) => {
      if (canonicalJson(x) !== canonicalJson(b[i])) out.push({ route, where: `${where} ${id}`, problem: firstDifference(x, b[i]) });
    });
  }
  return out;
}

/** The first path where two JSON values differ, with both values. */
function firstDifference(a: any, b: any, path = ''): string {
  if (canonicalJson(a) === canonicalJson(b)) return '';
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(a[k], b[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  const show = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v).slice(0, 160));
  return `${path || '(root)'}: expected ${show(a)}, kubectl read ${show(b)}`;
}

function firstLineDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  const i = x.findIndex((l, k) => l !== y[k]);
  const at = i < 0 ? x.length : i;
  return `line ${at + 1}: ${JSON.stringify(x[at]?.slice(0, 120))} became ${JSON.stringify(y[at]?.slice(0, 120))}`;
}

const objects = (r: KubectlReading): unknown[] | undefined => ('objects' in r ? r.objects : undefined);

/** The command line, in process, one document at a time (its exact output per document). */
export async function cliRoute(documents: string[], baselines: unknown[][], options: CliOptions): Promise<RouteResult> {
  const argv = toFlags(options);
  const runs = await Promise.all(documents.map((d) => runMeshjob(argv, d)));
  const mismatches: Mismatch[] = [];
  runs.forEach((r, i) => {
    if (r.code !== 0) mismatches.push({ route: 'cli', where: `document ${i}`, problem: `refused: ${r.stderr.trim()}` });
  });
  const readings = kubectlRead(runs.map((r) => r.stdout), false);
  readings.forEach((r, i) => {
    if (runs[i].code !== 0) return;
    const read = objects(r);
    if (!read) mismatches.push({ route: 'cli', where: `document ${i}`, problem: `kubectl cannot read the output: ${(r as any).error}` });
    else mismatches.push(...compare('cli', `document ${i}`, baselines[i], read, options));
  });
  return { mismatches, leftOut: [], outputs: runs.map((r) => r.stdout), baselines: documents };
}

/** The command line, in process, on a whole stream, as Helm 3 runs it. */
export async function cliStreamRoute(stream: string, options: CliOptions): Promise<RouteResult> {
  const r = await runMeshjob(toFlags(options), stream);
  if (r.code !== 0) return { mismatches: [{ route: 'cli', where: 'stream', problem: `refused: ${r.stderr.trim()}` }], leftOut: [], outputs: [], baselines: [] };
  const [input, output] = kubectlRead([stream, r.stdout]);
  if (!objects(input)) throw new Error(`kubectl cannot read the input: ${(input as any).error}`);
  if (!objects(output)) return { mismatches: [{ route: 'cli', where: 'stream', problem: `kubectl cannot read the output: ${(output as any).error}` }], leftOut: [], outputs: [r.stdout], baselines: [stream] };
  return { mismatches: compare('cli', 'stream', objects(input)!, objects(output)!, options), leftOut: [], outputs: [r.stdout], baselines: [stream] };
}

/** Helm 4's post-renderer plugin from the installed package, as Helm runs it, on a whole stream. */
export function helm4Route(installed: InstalledPackage, stream: string, baseline: unknown[], options: CliOptions): RouteResult {
  const config = join(installed.project, `helm-meshjob-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(config, JSON.stringify(options));
  const env = cleanEnv(installed, { HELM_DATA_HOME: join(installed.project, 'helm-data'), MESHJOB_CONFIG: config });
  try {
    helm4PluginInstall('node_modules/meshjob/helm-plugin', env, installed.project);
  } catch (e) {
    if (!/EEXIST/.test(String(e))) throw e;
  }
  const outcome = helm4PostRender('helm install x ./x --post-renderer meshjob', stream, env, installed.project);
  if (outcome.error !== undefined) return { mismatches: [{ route: 'helm4', where: 'stream', problem: `refused: ${outcome.error}` }], leftOut: [], outputs: [], baselines: [] };
  const [reading] = kubectlRead([outcome.output!]);
  const read = objects(reading);
  if (!read) return { mismatches: [{ route: 'helm4', where: 'stream', problem: `kubectl cannot read the output: ${(reading as any).error}` }], leftOut: [], outputs: [outcome.output!], baselines: [stream] };
  return { mismatches: compare('helm4', 'stream', baseline, read, options), leftOut: [], outputs: [outcome.output!], baselines: [stream] };
}

/**
 * kpt: `kpt fn eval --exec` of the package's meshjob-krm on a folder of the documents (one file
 * each), against the same kpt with a function that hands the ResourceList back unchanged.
 */
export function kptRoute(installed: InstalledPackage, documents: string[], options: CliOptions): RouteResult {
  return bisected('kpt', documents, (docs) => {
    // kpt reads with kyaml (go-yaml v3), which keeps a duplicate key's first value, or fails on the
    // function's output: a document with one is no test of the function.
    const duplicates = docs.flatMap((d, i) => (hasDuplicateKeys(d) ? [i] : []));
    if (duplicates.length > 0) return { exclude: duplicates };
    const run = (fn: string, name: string, texts: string[]) => {
      const dir = writeFolder(installed, name, texts);
      const config = join(installed.project, `${name}.fn.json`);
      writeFileSync(config, JSON.stringify({ apiVersion: 'meshjob/v1alpha1', kind: 'MeshJobTransformer', metadata: { name: 'meshjob' }, ...options }));
      const r = spawnSync('kpt', ['fn', 'eval', dir, '--exec', fn, '--fn-config', config, '--truncate-output=false'], { cwd: installed.project, env: cleanEnv(installed), encoding: 'utf-8' });
      return { ok: r.status === 0, dir, stderr: r.stderr };
    };
    const identityFn = join(installed.project, 'identity-fn');
    writeFileSync(identityFn, '#!/bin/sh\nexec cat\n', { mode: 0o755 });
    const unseen = [...new Set(docs.filter((d) => !kptIdentity.has(d)))];
    if (unseen.length > 0) {
      const base = run(identityFn, `kpt-base-${Math.random().toString(36).slice(2)}`, unseen);
      if (!base.ok) return undefined;
      unseen.forEach((d, k) => kptIdentity.set(d, readFileSync(join(base.dir, fileName(k)), 'utf-8')));
    }
    const baseTexts = docs.map((d) => kptIdentity.get(d)!);
    const baseReadings = kubectlRead(baseTexts);
    const inputReadings = kubectlRead(docs);
    // kpt's reader changes some documents before any function sees them (an empty value becomes
    // '', of two duplicate keys both get the first one's value): a document whose meaning kpt
    // itself changes is no test of the function, and can make kpt fail on the function's output.
    // (It drops null fields and empty labels and annotations too, which Kubernetes reads as absent.)
    const invalid = baseReadings.flatMap((r, i) => {
      const b = objects(r);
      const input = objects(inputReadings[i]);
      return b && (!acceptsAll(b, options) || !input || canonicalJson(withoutNulls(b)) !== canonicalJson(withoutNulls(input))) ? [i] : [];
    });
    if (invalid.length > 0) return { exclude: invalid };
    const ours = run(join(installed.pkg, 'kustomize-plugin', 'meshjob-krm'), `kpt-ours-${Math.random().toString(36).slice(2)}`, docs);
    if (!ours.ok) return { mismatches: [{ route: 'kpt', where: 'batch', problem: `the function failed: ${ours.stderr.trim().slice(0, 4000)}` }], outputs: [], baselines: [] };
    const oursTexts = docs.map((_, k) => readFileSync(join(ours.dir, fileName(k)), 'utf-8'));
    const readings = kubectlRead(oursTexts, false);
    const mismatches: Mismatch[] = [];
    baseTexts.forEach((text, i) => {
      const b = objects(baseReadings[i]);
      const o = objects(readings[i]);
      if (!b) return;
      if (!o) mismatches.push({ route: 'kpt', where: `file ${i}`, problem: `kubectl cannot read the output: ${(readings[i] as any).error}` });
      else if (!b.some(isJobManifest) && text !== oursTexts[i]) mismatches.push({ route: 'kpt', where: `file ${i}`, problem: `a file without a Job changed: ${firstLineDifference(text, oursTexts[i])}` });
      else mismatches.push(...compare('kpt', `file ${i}`, b, o, options));
    });
    return { mismatches, outputs: oursTexts, baselines: baseTexts };
  });
}

/**
 * What kpt with the identity function made of each text, kept for the process: kpt reads and
 * writes each file on its own, so a file's output depends on that file alone, and the batch run
 * again without some documents needs no second run.
 */
const kptIdentity = new Map<string, string>();

/**
 * kustomize: `kubectl kustomize --enable-alpha-plugins` with the package's legacy exec transformer,
 * against the same kustomization without it.
 */
export function kustomizeRoute(installed: InstalledPackage, documents: string[], options: CliOptions): RouteResult {
  return bisected('kustomize', documents, (docs) => {
    // kustomize reads with kyaml too (see kptRoute); and refuses, for the whole build, documents it
    // cannot encode again: found here, without a build each.
    const refused = docs.flatMap((d, i) => (hasDuplicateKeys(d) || kustomizeRefuses(d) ? [i] : []));
    if (refused.length > 0) return { exclude: refused };
    const name = `kustomize-${Math.random().toString(36).slice(2)}`;
    const dir = writeFolder(installed, name, docs);
    const resources = readdirSync(dir).sort();
    const build = (transformers: boolean) => {
      const kustomization = { resources, ...(transformers ? { transformers: ['meshjob-transformer.yaml'] } : {}) };
      writeFileSync(join(dir, 'kustomization.yaml'), JSON.stringify(kustomization));
      writeFileSync(join(dir, 'meshjob-transformer.yaml'), JSON.stringify({ apiVersion: 'meshjob/v1alpha1', kind: 'MeshJobTransformer', metadata: { name: 'meshjob' }, ...options }));
      return spawnSync('kubectl', ['kustomize', '--enable-alpha-plugins', dir], {
        cwd: installed.project, env: cleanEnv(installed, { KUSTOMIZE_PLUGIN_HOME: join(installed.pkg, 'kustomize-plugin') }), encoding: 'utf-8', maxBuffer: 1024 * 1024 * 1024,
      });
    };
    const base = build(false);
    if (base.status !== 0) {
      // kustomize names the resource file it could not take: leave that one out, else halve the batch.
      const named = [...base.stderr.matchAll(/resources from '(\d{6})\.yaml'/g)].map((m) => Number(m[1]));
      return named.length > 0 ? { exclude: named } : undefined;
    }
    // As with kpt (see kptRoute): a document kustomize itself changes, or turns into an invalid Job,
    // is left out.
    const [baseReading, ...inputReadings] = kubectlRead([base.stdout, ...docs]);
    const invalid = changedByTheTool(inputReadings, objects(baseReading) ?? [], options);
    if (invalid.length > 0) return { exclude: invalid };
    const ours = build(true);
    if (ours.status !== 0) return { mismatches: [{ route: 'kustomize', where: 'batch', problem: `the build failed: ${ours.stderr.trim().slice(0, 2000)}` }], outputs: [], baselines: [] };
    const [b, o] = kubectlRead([base.stdout, ours.stdout], false).map(objects);
    if (!b || !o) return { mismatches: [{ route: 'kustomize', where: 'batch', problem: 'kubectl cannot read the build' }], outputs: [ours.stdout], baselines: [base.stdout] };
    return { mismatches: compare('kustomize', 'build', b, o, options), outputs: [ours.stdout], baselines: [base.stdout] };
  });
}

/**
 * True for a document kustomize 5.5 refuses whatever the transformers, failing the whole build
 * with no file named (so each would cost a bisection):
 * - a string holding DEL, a C1 control other than NEL, U+FFFE or U+FFFF, raw or escaped: kustomize
 *   writes it raw and kyaml (go-yaml v3) reads it back as "yaml: control characters are not
 *   allowed". The text is searched, not kubectl's reading: kyaml resolves merge keys otherwise
 *   than kubectl, and may keep a value kubectl dropped. An escape outside double quotes counts too
 *   (a document left out for nothing, not a test missed);
 * - a `!!bool` tag on a YAML 1.1 word: "cannot decode !!str `yes` as a !!bool".
 * Anything else it refuses is found by bisection.
 */
function kustomizeRefuses(text: string): boolean {
  if (/!!bool[ \t]+(?![ \t]|(?:true|false|True|False|TRUE|FALSE)\b)/.test(text)) return true;
  const unwritable = (code: number) => (code >= 0x7f && code <= 0x9f && code !== 0x85) || code === 0xfffe || code === 0xffff;
  if (/[\x7f-\x84\x86-\x9f\ufffe\uffff]/.test(text)) return true;
  // An escaped backslash is matched as a whole, so that `\\x7f` is not read as an escape.
  return [...text.matchAll(/\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|\\)/g)]
    .some((m) => m[0] !== '\\\\' && unwritable(parseInt(m[1] ?? m[2] ?? m[3], 16)));
}

/**
 * The documents (by index) whose objects the tool alone, without MeshJob, gives back otherwise than
 * kubectl reads them (nulls aside, which Kubernetes reads as absent), or turns into Jobs MeshJob
 * would refuse: the tool's own reading, not MeshJob's, is left out.
 */
function changedByTheTool(inputReadings: KubectlReading[], toolObjects: any[], options: CliOptions): number[] {
  const built = new Map(toolObjects.map((o) => [identity(o), o]));
  return inputReadings.flatMap((r, i) => {
    const input = objects(r) ?? [];
    const after = input.map((o) => built.get(identity(o)));
    const changed = after.some((o, k) => o === undefined || canonicalJson(withoutNulls(o)) !== canonicalJson(withoutNulls(input[k])));
    return changed || !acceptsAll(after, options) ? [i] : [];
  });
}

/**
 * MeshJobs.applyTo on the documents brought in with Include, as a cdk8s app does: the app
 * synthesized and written as `cdk8s synth` writes it (cdk8s's Yaml.stringify), read by kubectl,
 * against the same app without applyTo. A document cdk8s itself reads otherwise than kubectl
 * (cdk8s reads YAML 1.1 with the `yaml` package) is left out, as kpt's and kustomize's are.
 */
export function applyToRoute(documents: string[], options: CliOptions): RouteResult {
  return bisected('applyTo', documents, (docs) => {
    // What cdk8s's Yaml.load cannot parse fails the whole Include: found here, without a process each.
    const unparsable = docs.flatMap((d, i) => (cdk8sParses(d) ? [] : [i]));
    if (unparsable.length > 0) return { exclude: unparsable };
    const file = join(tempDir(), 'included.yaml');
    // One file, one Include (each Include reads its file in a process of its own).
    writeFileSync(file, docs.map((d) => d.replace(/^\ufeff/, '')).join(''));
    // Each object written as `cdk8s synth` writes it; kubectl reads each on its own (one it cannot read spoils no other).
    const synth = (apply: boolean): string[] | Error => {
      try {
        const chart = newChart();
        new Include(chart, 'included', { url: file });
        if (apply) MeshJobs.applyTo(chart, { mesh: Mesh.istio(), entrypoints: options.entrypoints, sidecarContainers: options.sidecars });
        return Testing.synth(chart).map((o) => Yaml.stringify(o));
      } catch (e) {
        return e as Error;
      }
    };
    const base = synth(false);
    if (!Array.isArray(base)) return undefined;
    const readings = kubectlRead([...base, ...docs]);
    const baseObjects = readings.slice(0, base.length).flatMap((r) => objects(r) ?? []);
    const inputReadings = readings.slice(base.length);
    // cdk8s drops null fields and empty labels and annotations, which Kubernetes reads as absent.
    const invalid = changedByTheTool(inputReadings, baseObjects, options);
    if (invalid.length > 0) return { exclude: invalid };
    const ours = synth(true);
    if (!Array.isArray(ours)) return { mismatches: [{ route: 'applyTo', where: 'batch', problem: `refused: ${ours.message.split('\n')[0]}` }], outputs: [], baselines: [] };
    const read = kubectlRead(ours, false);
    const unreadable = read.flatMap((r) => ('error' in r ? [{ route: 'applyTo', where: 'app', problem: `kubectl cannot read the output: ${r.error}` }] : []));
    return { mismatches: [...unreadable, ...compare('applyTo', 'app', baseObjects, read.flatMap((r) => objects(r) ?? []), options, APPLY_TO_ROUTE)], outputs: [ours.join('---\n')], baselines: [base.join('---\n')] };
  });
}

/** The `yaml` package cdk8s loads (cdk8s/lib/yaml.js, `Yaml.load`: parseAllDocuments with version 1.1, then toJSON). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cdk8sYaml = require(require.resolve('yaml', { paths: [dirname(require.resolve('cdk8s'))] }));

function cdk8sParses(text: string): boolean {
  try {
    cdk8sYaml.parseAllDocuments(text.replace(/^\ufeff/, ''), { version: '1.1' }).forEach((d: any) => {
      if (d.errors?.length) throw d.errors[0];
      d.toJSON();
    });
    return true;
  } catch {
    return false;
  }
}

/** A value without its null fields and empty metadata labels and annotations (which Kubernetes reads as absent). */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null) continue;
    if ((k === 'labels' || k === 'annotations') && v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = withoutNulls(v);
  }
  return out;
}

/** A batch's result; undefined when the tool refuses the batch; `exclude` to run it again without some documents. */
type BatchRun = (docs: string[]) => { mismatches: Mismatch[]; outputs: string[]; baselines: string[] } | { exclude: number[] } | undefined;

function bisected(route: string, documents: string[], run: BatchRun): RouteResult {
  const leftOut: number[] = [];
  const mismatches: Mismatch[] = [];
  const outputs: string[] = [];
  const baselines: string[] = [];
  const go = (indices: number[]) => {
    if (indices.length === 0) return;
    const r = run(indices.map((i) => documents[i]));
    if (r && 'exclude' in r) {
      leftOut.push(...r.exclude.map((k) => indices[k]));
      go(indices.filter((_, k) => !r.exclude.includes(k)));
    } else if (r) {
      mismatches.push(...r.mismatches.map((m) => ({ ...m, where: m.where.replace(/^file (\d+)/, (_, k) => `document ${indices[Number(k)]}`) })));
      outputs.push(...r.outputs);
      baselines.push(...r.baselines);
    } else if (indices.length === 1) {
      leftOut.push(indices[0]);
    } else {
      go(indices.slice(0, indices.length / 2));
      go(indices.slice(indices.length / 2));
    }
  };
  go(documents.map((_, i) => i));
  return { mismatches: mismatches.map((m) => ({ ...m, route })), leftOut, outputs, baselines };
}

function hasDuplicateKeys(text: string): boolean {
  try {
    return readDocument(text).duplicateKeys;
  } catch {
    return false;
  }
}

function writeFolder(installed: InstalledPackage, name: string, docs: string[]): string {
  const dir = join(installed.project, name);
  mkdirSync(dir, { recursive: true });
  docs.forEach((d, i) => writeFileSync(join(dir, fileName(i)), d));
  return dir;
}

/** The file of the `i`th document in a route's folder. */
const fileName = (i: number) => `${String(i).padStart(6, '0')}.yaml`;
