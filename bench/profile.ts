// Where synth time goes: V8 CPU profiles (node --cpu-prof) of 1,000 plain Jobs and 1,000 MeshJobs,
// each in its own process after a warm-up, reduced to the samples of the measured workload.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { fmt, progress, table } from './stats';
import { Kind, REPO_ROOT, runWorker, tsconfigPath } from './synth';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: number[];
}
interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly startTime: number;
  readonly samples: number[];
  readonly timeDeltas: number[];
}

export type Phase = 'construct' | 'resolve + validate' | 'YAML serialization';
export const PHASES: Phase[] = ['construct', 'resolve + validate', 'YAML serialization'];

export interface ProfileSummary {
  readonly kind: Kind;
  readonly size: number;
  readonly intervalUs: number;
  /** Workload milliseconds, GC included. */
  readonly totalMs: number;
  /** Milliseconds per phase, GC and V8-internal samples given to the phase they interrupted. */
  readonly phaseMs: Record<Phase, number>;
  readonly gcMs: number;
  /** Self milliseconds per package of the leaf frame. */
  readonly packageMs: Record<string, number>;
  /** Self milliseconds per function ("name (file:line)"). */
  readonly selfMs: Record<string, number>;
  /** Inclusive milliseconds of MeshJob's own functions (src/), recursion counted once. */
  readonly srcInclusiveMs: Record<string, number>;
}

const WORKLOAD_FRAME = 'profiledWorkload';

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  return url.replace(/^file:\/\//, '').replace(`${REPO_ROOT}/`, '');
}

// ts-node runs src/*.ts as JavaScript transpiled on the fly, and the profile gives positions in
// that JavaScript: map them back to the TypeScript line (and show it for anonymous functions).
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const sourceMaps = new Map<string, { lines: Array<Array<[number, number]>>; source: string[] } | null>();

function decodeMappings(mappings: string): Array<Array<[number, number]>> {
  const lines: Array<Array<[number, number]>> = [];
  let srcLine = 0;
  for (const lineText of mappings.split(';')) {
    const segs: Array<[number, number]> = [];
    let genCol = 0;
    for (const seg of lineText.split(',')) {
      if (!seg) continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        // Base64 VLQ: 5 value bits a digit, continuation bit 32, sign in the lowest bit.
        const digit = BASE64.indexOf(ch);
        value += (digit % 32) * 2 ** shift;
        if (digit >= 32) {
          shift += 5;
        } else {
          fields.push(value % 2 === 1 ? -Math.floor(value / 2) : Math.floor(value / 2));
          value = 0;
          shift = 0;
        }
      }
      genCol += fields[0];
      if (fields.length >= 4) {
        srcLine += fields[2];
        segs.push([genCol, srcLine]);
      }
    }
    lines.push(segs);
  }
  return lines;
}

function tsPosition(file: string, line0: number, col0: number): { line: number; text: string } | undefined {
  if (!sourceMaps.has(file)) {
    try {
      // TypeScript is what ts-node runs the sources with; loaded only when a profile is analysed.
      // eslint-disable-next-line import/no-extraneous-dependencies, @typescript-eslint/no-require-imports
      const ts = require('typescript') as typeof import('typescript');
      const config = ts.getParsedCommandLineOfConfigFile(tsconfigPath(), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
      const source = readFileSync(file, 'utf8');
      const out = ts.transpileModule(source, {
        fileName: file,
        compilerOptions: { ...config?.options, sourceMap: true, inlineSourceMap: false, inlineSources: false, declaration: false },
      });
      sourceMaps.set(file, { lines: decodeMappings(JSON.parse(out.sourceMapText!).mappings), source: source.split('\n') });
    } catch {
      sourceMaps.set(file, null);
    }
  }
  const map = sourceMaps.get(file);
  const segs = map?.lines[line0];
  if (!map || !segs || segs.length === 0) return undefined;
  const seg = [...segs].reverse().find(([c]) => c <= col0) ?? segs[0];
  return { line: seg[1] + 1, text: (map.source[seg[1]] ?? '').trim() };
}

function frameKey(f: CallFrame): string {
  const url = shortUrl(f.url);
  if (url.startsWith('src/') && url.endsWith('.ts')) {
    const pos = tsPosition(join(REPO_ROOT, url), f.lineNumber, f.columnNumber);
    if (pos) {
      const snippet = f.functionName ? '' : `: ${pos.text.length > 48 ? `${pos.text.slice(0, 45)}...` : pos.text}`;
      return `${f.functionName || '(anonymous)'} (${url}:${pos.line}${snippet})`;
    }
  }
  return `${f.functionName || '(anonymous)'} (${url || 'native'}${f.url ? `:${f.lineNumber + 1}` : ''})`;
}

function packageOf(f: CallFrame): string {
  if (f.functionName === '(garbage collector)') return 'GC';
  if (f.functionName === '(program)') return 'V8 (program)';
  const u = shortUrl(f.url);
  if (u === '') return 'V8/native built-ins';
  if (u.startsWith('node:')) return 'node built-ins';
  if (u.startsWith('cdk8s/node_modules/yaml/') || u.startsWith('yaml/')) return 'yaml (YAML serializer in cdk8s)';
  if (u.startsWith('cdk8s/node_modules/fast-json-patch/') || u.startsWith('fast-json-patch/')) return 'fast-json-patch (JSON patches)';
  if (u.startsWith('cdk8s-plus-28/lib/imports/')) return 'cdk8s-plus-28 imports (generated toJson_* converters)';
  if (u.startsWith('cdk8s-plus-28/')) return 'cdk8s-plus-28';
  if (u.startsWith('cdk8s/')) return 'cdk8s';
  if (u.startsWith('constructs/')) return 'constructs';
  if (u.startsWith('src/')) return 'meshjob (src/)';
  if (u.startsWith('bench/')) return 'bench harness';
  return u.split('/')[0];
}

function add(rec: Record<string, number>, key: string, ms: number): void {
  rec[key] = (rec[key] ?? 0) + ms;
}

export function summarize(profile: CpuProfile, kind: Kind, size: number, intervalUs: number): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stackOf = (id: number): ProfileNode[] => {
    const out: ProfileNode[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) out.push(byId.get(cur)!);
    return out; // leaf first
  };

  const phaseOfStack = (stack: ProfileNode[]): Phase | undefined => {
    let inWorkload = false;
    let phase: Phase = 'construct';
    // Outermost first: the first matching frame from the top decides.
    for (let i = stack.length - 1; i >= 0; i--) {
      const f = stack[i].callFrame;
      const u = shortUrl(f.url);
      if (f.functionName === WORKLOAD_FRAME) inWorkload = true;
      if (!inWorkload) continue;
      if ((f.functionName === 'synthYaml' && u.startsWith('cdk8s/lib/app.js')) || (f.functionName === 'synth' && u.startsWith('cdk8s/lib/testing.js'))) {
        phase = 'resolve + validate';
      }
      if (f.functionName === 'stringify' && u.startsWith('cdk8s/lib/yaml.js')) return 'YAML serialization';
    }
    return inWorkload ? phase : undefined;
  };

  const phaseMs = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>;
  const packageMs: Record<string, number> = {};
  const selfMs: Record<string, number> = {};
  const srcInclusiveMs: Record<string, number> = {};
  let gcMs = 0;
  let totalMs = 0;

  // First pass: the window of workload samples.
  const stamps: number[] = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) {
    t += d;
    stamps.push(t);
  }
  const phases = profile.samples.map((id) => phaseOfStack(stackOf(id)));
  const first = phases.findIndex((p) => p !== undefined);
  let last = -1;
  phases.forEach((p, i) => {
    if (p !== undefined) last = i;
  });
  if (first < 0) throw new Error(`no ${WORKLOAD_FRAME} frame in the ${kind} profile`);

  let current: Phase = 'construct';
  for (let i = first; i <= last; i++) {
    // A sample stands for the time until the next one.
    const ms = ((i + 1 < stamps.length ? stamps[i + 1] : stamps[i] + intervalUs) - stamps[i]) / 1000;
    const node = byId.get(profile.samples[i])!;
    const f = node.callFrame;
    const p = phases[i];
    if (p !== undefined) {
      current = p;
    } else if (f.functionName !== '(garbage collector)' && f.functionName !== '(program)') {
      continue; // idle, or something outside the workload
    }
    totalMs += ms;
    phaseMs[current] += ms;
    if (f.functionName === '(garbage collector)') gcMs += ms;
    add(packageMs, packageOf(f), ms);
    add(selfMs, frameKey(f), ms);
    if (p !== undefined) {
      const seen = new Set<string>();
      for (const s of stackOf(node.id)) {
        if (!shortUrl(s.callFrame.url).startsWith('src/')) continue;
        const k = frameKey(s.callFrame);
        if (seen.has(k)) continue;
        seen.add(k);
        add(srcInclusiveMs, k, ms);
      }
    }
  }
  return { kind, size, intervalUs, totalMs, phaseMs, gcMs, packageMs, selfMs, srcInclusiveMs };
}

async function profileOnce(kind: Kind, size: number, intervalUs: number): Promise<ProfileSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'meshjob-prof-'));
  try {
    const run = await runWorker(['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${intervalUs}`], ['profile', kind, String(size)]);
    if (run.code !== 0) throw new Error(`profile worker ${kind} failed (${run.code}): ${run.stderr.slice(-2000)}`);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`profile worker ${kind} wrote no .cpuprofile`);
    return summarize(JSON.parse(readFileSync(join(dir, file), 'utf8')), kind, size, intervalUs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Profiles `size` Jobs of each kind in separate processes, `attempts` times each (alternating
 * kinds), keeping the shortest profile of each kind: samples are taken on wall-clock time, so a
 * profile during which other processes held the CPU is stretched, and the shortest is the least
 * disturbed.
 */
export async function profileSynth(size: number, attempts = 3, intervalUs = 250): Promise<Record<Kind, ProfileSummary> & { attempts: number }> {
  const best: Partial<Record<Kind, ProfileSummary>> = {};
  for (let i = 0; i < attempts; i++) {
    for (const kind of (i % 2 === 0 ? ['plain', 'meshjob'] : ['meshjob', 'plain']) as Kind[]) {
      const s = await profileOnce(kind, size, intervalUs);
      progress(`profiled ${size} ${kind} (${i + 1}/${attempts}): ${s.totalMs.toFixed(0)} ms of samples`);
      if (!best[kind] || s.totalMs < best[kind]!.totalMs) best[kind] = s;
    }
  }
  return { plain: best.plain!, meshjob: best.meshjob!, attempts };
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(0)}%` : 'n/a';
}

export interface RenderedProfile {
  readonly phases: string;
  readonly packages: string;
  readonly functions: string;
  readonly src: string;
  readonly extraMs: number;
}

/** Markdown tables comparing the two profiles. */
export function renderProfile(p: Record<Kind, ProfileSummary>): RenderedProfile {
  const plain = p.plain;
  const mesh = p.meshjob;
  const extraMs = mesh.totalMs - plain.totalMs;
  const phases = table(
    ['phase (GC given to the phase it interrupted)', 'plain ms', 'MeshJob ms', 'extra ms', 'share of extra'],
    [
      ...PHASES.map((ph) => {
        const extra = mesh.phaseMs[ph] - plain.phaseMs[ph];
        return [ph, fmt(plain.phaseMs[ph]), fmt(mesh.phaseMs[ph]), fmt(extra), pct(extra, extraMs)];
      }),
      ['(of which GC)', fmt(plain.gcMs), fmt(mesh.gcMs), fmt(mesh.gcMs - plain.gcMs), pct(mesh.gcMs - plain.gcMs, extraMs)],
      ['total', fmt(plain.totalMs), fmt(mesh.totalMs), fmt(extraMs), '100%'],
    ],
  );
  const pkgs = [...new Set([...Object.keys(plain.packageMs), ...Object.keys(mesh.packageMs)])]
    .map((k) => ({ k, a: plain.packageMs[k] ?? 0, b: mesh.packageMs[k] ?? 0 }))
    .sort((x, y) => (y.b - y.a) - (x.b - x.a));
  const packages = table(
    ['self time by package', 'plain ms', 'MeshJob ms', 'extra ms', 'share of extra'],
    pkgs.filter((r) => r.a >= 1 || r.b >= 1).map((r) => [r.k, fmt(r.a), fmt(r.b), fmt(r.b - r.a), pct(r.b - r.a, extraMs)]),
  );
  const fns = [...new Set([...Object.keys(plain.selfMs), ...Object.keys(mesh.selfMs)])]
    .map((k) => ({ k, a: plain.selfMs[k] ?? 0, b: mesh.selfMs[k] ?? 0 }))
    .sort((x, y) => (y.b - y.a) - (x.b - x.a))
    .slice(0, 15);
  const functions = table(
    ['function (self time; largest MeshJob excess first)', 'plain ms', 'MeshJob ms', 'extra ms'],
    fns.map((r) => [`\`${r.k}\``, fmt(r.a), fmt(r.b), fmt(r.b - r.a)]),
  );
  const srcRows = Object.entries(mesh.srcInclusiveMs).sort((x, y) => y[1] - x[1]).slice(0, 8);
  const src = table(
    ['MeshJob\'s own code (src/), inclusive', 'ms', 'share of MeshJob total'],
    srcRows.map(([k, v]) => [`\`${k}\``, fmt(v), pct(v, mesh.totalMs)]),
  );
  return { phases, packages, functions, src, extraMs };
}
