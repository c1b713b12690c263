// Every route a manifest takes through MeshJob, with kubectl as the judge of what came out. For
// each route, kubectl reads the route's baseline (the input; for kpt and kustomize, what the same
// tool makes of it with no MeshJob) and its output; the output must be exactly the baseline with
// MeshJob's lifecycle applied to each Job and CronJob as kubectl read it (applyToManifest and the
// meshjob/result annotation): no other field differs, and MeshJob's own fields mean what it meant.
import { spawnSync } from 'child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Include, Testing } from 'cdk8s';
import { helm4PluginInstall, helm4PostRender } from './helm';
import { cleanEnv, InstalledPackage } from './package';
import { CliOptions, toFlags, toManifestLifecycle } from '../../../src/cli/options';
import { annotateResult } from '../../../src/cli/outcome';
import { kubectlObjects } from '../../../src/cli/post-render';
import { applyToManifest, isJobManifest } from '../../../src/manifests/apply';
import { MeshJobs } from '../../../src/manifests/mesh-jobs';
import { Mesh } from '../../../src/meshes/mesh';
import { kubectlRead, KubectlReading } from '../../cli/kubectl';
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
}

const identity = (o: any) => `${o?.apiVersion}/${o?.kind} ${o?.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o?.metadata?.name}`;

/**
 * The objects kubectl should read from MeshJob's output, given what it read from the baseline:
 * with `annotate`, each changed Job also says what was done in meshjob/result (the command line
 * and the KRM function write it; applyTo does not).
 */
export function expectedObjects(baseline: unknown[], options: CliOptions, annotate = true): unknown[] {
  const lifecycle = toManifestLifecycle(options);
  return baseline.map((o) => {
    if (!isJobManifest(o)) return o;
    const copy = structuredClone(o) as any;
    const result = applyToManifest(copy, lifecycle);
    if (annotate) annotateResult(copy, result);
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
export function compare(route: string, where: string, baseline: unknown[], actual: unknown[], options: CliOptions, annotate = true): Mismatch[] {
  const expected = expectedObjects(baseline, options, annotate);
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

const objects = (r: KubectlReading): unknown[] | undefined => ('objects' in r ? r.objects : undefined);

/** The command line, in process, one document at a time (its exact output per document). */
export async function cliRoute(documents: string[], baselines: unknown[][], options: CliOptions): Promise<RouteResult> {
  const argv = toFlags(options);
  const runs = await Promise.all(documents.map((d) => runMeshjob(argv, d)));
  const mismatches: Mismatch[] = [];
  runs.forEach((r, i) => {
    if (r.code !== 0) mismatches.push({ route: 'cli', where: `document ${i}`, problem: `refused: ${r.stderr.trim()}` });
  });
  const readings = kubectlRead(runs.map((r) => r.stdout));
  readings.forEach((r, i) => {
    if (runs[i].code !== 0) return;
    const read = objects(r);
    if (!read) mismatches.push({ route: 'cli', where: `document ${i}`, problem: `kubectl cannot read the output: ${(r as any).error}` });
    else mismatches.push(...compare('cli', `document ${i}`, baselines[i], read, options));
  });
  return { mismatches, leftOut: [], outputs: runs.map((r) => r.stdout) };
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
  if (outcome.error !== undefined) return { mismatches: [{ route: 'helm4', where: 'stream', problem: `refused: ${outcome.error}` }], leftOut: [], outputs: [] };
  const [reading] = kubectlRead([outcome.output!]);
  const read = objects(reading);
  if (!read) return { mismatches: [{ route: 'helm4', where: 'stream', problem: `kubectl cannot read the output: ${(reading as any).error}` }], leftOut: [], outputs: [outcome.output!] };
  return { mismatches: compare('helm4', 'stream', baseline, read, options), leftOut: [], outputs: [outcome.output!] };
}

/**
 * kpt: `kpt fn eval --exec` of the package's meshjob-krm on a folder of the documents (one file
 * each), against the same kpt with a function that hands the ResourceList back unchanged.
 */
export function kptRoute(installed: InstalledPackage, documents: string[], options: CliOptions): RouteResult {
  return bisected('kpt', documents, (docs) => {
    const run = (fn: string, name: string) => {
      const dir = writeFolder(installed, name, docs);
      const config = join(installed.project, `${name}.fn.json`);
      writeFileSync(config, JSON.stringify({ apiVersion: 'meshjob/v1alpha1', kind: 'MeshJobTransformer', metadata: { name: 'meshjob' }, ...options }));
      const r = spawnSync('kpt', ['fn', 'eval', dir, '--exec', fn, '--fn-config', config, '--truncate-output=false'], { cwd: installed.project, env: cleanEnv(installed), encoding: 'utf-8' });
      return { ok: r.status === 0, dir, stderr: r.stderr };
    };
    const identityFn = join(installed.project, 'identity-fn');
    writeFileSync(identityFn, '#!/bin/sh\nexec cat\n', { mode: 0o755 });
    const base = run(identityFn, `kpt-base-${Math.random().toString(36).slice(2)}`);
    if (!base.ok) return undefined;
    const ours = run(join(installed.pkg, 'kustomize-plugin', 'meshjob-krm'), `kpt-ours-${Math.random().toString(36).slice(2)}`);
    const baseTexts = readFolder(base.dir);
    if (!ours.ok) return { mismatches: [{ route: 'kpt', where: 'batch', problem: `the function failed: ${ours.stderr.trim().slice(0, 2000)}` }], outputs: [] };
    const oursTexts = readFolder(ours.dir);
    const readings = kubectlRead([...baseTexts, ...oursTexts]);
    const mismatches: Mismatch[] = [];
    baseTexts.forEach((text, i) => {
      const b = objects(readings[i]);
      const o = objects(readings[baseTexts.length + i]);
      if (!b) return;
      if (!o) mismatches.push({ route: 'kpt', where: `file ${i}`, problem: `kubectl cannot read the output: ${(readings[baseTexts.length + i] as any).error}` });
      else if (!b.some(isJobManifest) && text !== oursTexts[i]) mismatches.push({ route: 'kpt', where: `file ${i}`, problem: 'a file without a Job changed' });
      else mismatches.push(...compare('kpt', `file ${i}`, b, o, options));
    });
    return { mismatches, outputs: oursTexts };
  });
}

/**
 * kustomize: `kubectl kustomize --enable-alpha-plugins` with the package's legacy exec transformer,
 * against the same kustomization without it.
 */
export function kustomizeRoute(installed: InstalledPackage, documents: string[], options: CliOptions): RouteResult {
  return bisected('kustomize', documents, (docs) => {
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
    if (base.status !== 0) return undefined;
    const ours = build(true);
    if (ours.status !== 0) return { mismatches: [{ route: 'kustomize', where: 'batch', problem: `the build failed: ${ours.stderr.trim().slice(0, 2000)}` }], outputs: [] };
    const [b, o] = kubectlRead([base.stdout, ours.stdout]).map(objects);
    if (!b || !o) return { mismatches: [{ route: 'kustomize', where: 'batch', problem: 'kubectl cannot read the build' }], outputs: [ours.stdout] };
    return { mismatches: compare('kustomize', 'build', b, o, options), outputs: [ours.stdout] };
  });
}

/**
 * MeshJobs.applyTo on each document brought in with Include, as a cdk8s app does; the objects
 * cdk8s synthesizes (a list's items in its place, as kubectl reads a list) against kubectl's
 * reading of the document.
 */
export function applyToRoute(documents: string[], baselines: unknown[][], options: CliOptions): RouteResult {
  const mismatches: Mismatch[] = [];
  const dir = tempDir();
  documents.forEach((doc, i) => {
    const file = join(dir, `${i}.yaml`);
    writeFileSync(file, doc);
    const chart = newChart();
    let synthesized: unknown[];
    try {
      new Include(chart, 'included', { url: file });
      MeshJobs.applyTo(chart, { mesh: Mesh.istio(), entrypoints: options.entrypoints, sidecarContainers: options.sidecars });
      synthesized = Testing.synth(chart).flatMap(kubectlObjects);
    } catch (e) {
      mismatches.push({ route: 'applyTo', where: `document ${i}`, problem: `refused: ${(e as Error).message.split('\n')[0]}` });
      return;
    }
    mismatches.push(...compare('applyTo', `document ${i}`, baselines[i], synthesized, options, false));
  });
  return { mismatches, leftOut: [], outputs: [] };
}

/**
 * Runs a route on a batch; where the tool refuses the batch even without MeshJob (`run` returns
 * undefined), halves it until the documents it refuses are found, and leaves them out.
 */
type BatchRun = (docs: string[]) => { mismatches: Mismatch[]; outputs: string[] } | undefined;

function bisected(route: string, documents: string[], run: BatchRun): RouteResult {
  const leftOut: number[] = [];
  const mismatches: Mismatch[] = [];
  const outputs: string[] = [];
  const go = (indices: number[]) => {
    if (indices.length === 0) return;
    const r = run(indices.map((i) => documents[i]));
    if (r) {
      mismatches.push(...r.mismatches.map((m) => ({ ...m, where: m.where.replace(/^file (\d+)/, (_, k) => `document ${indices[Number(k)]}`) })));
      outputs.push(...r.outputs);
    } else if (indices.length === 1) {
      leftOut.push(indices[0]);
    } else {
      go(indices.slice(0, indices.length / 2));
      go(indices.slice(indices.length / 2));
    }
  };
  go(documents.map((_, i) => i));
  return { mismatches: mismatches.map((m) => ({ ...m, route })), leftOut, outputs };
}

function writeFolder(installed: InstalledPackage, name: string, docs: string[]): string {
  const dir = join(installed.project, name);
  mkdirSync(dir, { recursive: true });
  docs.forEach((d, i) => writeFileSync(join(dir, `${String(i).padStart(6, '0')}.yaml`), d));
  return dir;
}

function readFolder(dir: string): string[] {
  return readdirSync(dir).filter((f) => /^\d{6}\.yaml$/.test(f)).sort().map((f) => readFileSync(join(dir, f), 'utf-8'));
}
