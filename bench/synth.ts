// Synth benchmark: N MeshJobs against N plain cdk8s-plus-28 Jobs with the same container.
//
// Time: measured in this process, each size several times with the plain/MeshJob order alternating
// between rounds, a full GC before every measurement, medians reported. Both the JavaScript
// thread's CPU time and wall-clock time are recorded: on a shared machine other processes stretch
// wall-clock time far more than CPU time.
// Peak heap: one child process per (kind, size), so runs do not pollute each other (see worker.ts).
import { spawn } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Mesh, MeshJob } from '../src';
import { fullGc, median, nowMs, progress } from './stats';

export type Kind = 'plain' | 'meshjob';
export const KINDS: Kind[] = ['plain', 'meshjob'];
export const KIND_LABEL: Record<Kind, string> = { plain: 'cdk8s-plus Job', meshjob: 'MeshJob' };

/**
 * How a run ends: 'yaml' is `app.synthYaml()` (resolve, validate and the YAML text that
 * `cdk8s synth` writes, without the file write); 'json' is `Testing.synth(chart)` (resolve and
 * validate to Kubernetes JSON objects, no serialization).
 */
export type Output = 'yaml' | 'json';

/** The one container every Job of the benchmark has. */
export const CONTAINER: kplus.ContainerProps = {
  image: 'registry.example.com/report:1.4',
  command: ['/report'],
  args: ['--since', '24h'],
};

export interface SynthRun {
  readonly constructMs: number;
  readonly synthMs: number;
  readonly totalMs: number;
  /** CPU time (CPU_CLOCK) for the same phases. */
  readonly constructCpuMs: number;
  readonly synthCpuMs: number;
  readonly totalCpuMs: number;
  /** Size of the output: YAML characters, or JSON.stringify characters of the objects. */
  readonly bytes: number;
  /** The app and its output, for callers that measure what stays alive. */
  readonly keep: unknown;
}

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
const HAS_SCHEDSTAT = existsSync(SCHEDSTAT);

/**
 * The main thread's own schedstat: nanoseconds on a CPU and nanoseconds runnable but waiting for
 * one (Linux). Undefined where the kernel does not expose it.
 */
export function mainThreadSched(): { cpuMs: number; waitMs: number } | undefined {
  if (!HAS_SCHEDSTAT) return undefined;
  const [run, wait] = readFileSync(SCHEDSTAT, 'utf8').trim().split(/\s+/).map(Number);
  return { cpuMs: run / 1e6, waitMs: wait / 1e6 };
}

/**
 * CPU time of the JavaScript (main) thread: what the workload costs, without V8's concurrent
 * helpers (sweeping after the forced GC, background compilation), which run beside it. Falls back
 * to the whole process's user + system time where schedstat is missing.
 */
export const CPU_CLOCK = HAS_SCHEDSTAT
  ? 'CPU time of the JavaScript thread (/proc/self/task/<pid>/schedstat)'
  : 'CPU time of the process (process.cpuUsage(), user + system, all threads)';

function cpuMs(): number {
  const s = mainThreadSched();
  if (s) return s.cpuMs;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Blocks the JavaScript thread without using a CPU, so V8's background threads can finish. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Builds `n` Jobs of `kind` in one chart and synthesizes them. The function the profiles look for. */
export function benchWorkload(kind: Kind, n: number, output: Output): SynthRun {
  const c0 = cpuMs();
  const t0 = nowMs();
  const app = new App();
  const chart = new Chart(app, 'bench');
  for (let i = 0; i < n; i++) {
    if (kind === 'plain') {
      new kplus.Job(chart, `job-${i}`, { containers: [CONTAINER] });
    } else {
      new MeshJob(chart, `job-${i}`, { mesh: Mesh.istio(), containers: [CONTAINER] });
    }
  }
  const t1 = nowMs();
  const c1 = cpuMs();
  const out: string | unknown[] = output === 'yaml' ? app.synthYaml() : Testing.synth(chart);
  const t2 = nowMs();
  const c2 = cpuMs();
  const bytes = typeof out === 'string' ? out.length : JSON.stringify(out).length;
  return {
    constructMs: t1 - t0,
    synthMs: t2 - t1,
    totalMs: t2 - t0,
    constructCpuMs: c1 - c0,
    synthCpuMs: c2 - c1,
    totalCpuMs: c2 - c0,
    bytes,
    keep: [app, out],
  };
}

/** Which clock a figure is read from: this process's CPU time, or wall-clock time. */
export type Clock = 'cpu' | 'wall';

export interface TimingCell {
  readonly kind: Kind;
  readonly size: number;
  readonly output: Output;
  /** One entry per round, by clock. */
  readonly total: Record<Clock, number[]>;
  readonly construct: Record<Clock, number[]>;
  readonly synth: Record<Clock, number[]>;
  /** Output characters per Job. */
  readonly bytesPerJob: number;
}

export interface TimingResult {
  readonly sizes: number[];
  readonly rounds: Record<number, number>;
  readonly cells: TimingCell[];
  /** Average number of CPUs other processes kept busy while the rounds ran (from /proc/stat). */
  readonly otherLoad?: number;
  /** Share of the rounds' wall-clock time the JavaScript thread was runnable but had no CPU. */
  readonly waitShare?: number;
  readonly wallS: number;
}

export function cell(r: TimingResult, kind: Kind, size: number, output: Output): TimingCell {
  const c = r.cells.find((x) => x.kind === kind && x.size === size && x.output === output);
  if (!c) throw new Error(`no timing for ${kind} ${size} ${output}`);
  return c;
}

/** Median total of MeshJob over median total of plain Jobs. */
export function ratio(r: TimingResult, size: number, output: Output, clock: Clock): number {
  return median(cell(r, 'meshjob', size, output).total[clock]) / median(cell(r, 'plain', size, output).total[clock]);
}

/** Ratios of the rounds taken one by one (MeshJob and plain of the same round). */
export function pairedRatios(r: TimingResult, size: number, output: Output, clock: Clock): number[] {
  const m = cell(r, 'meshjob', size, output).total[clock];
  const p = cell(r, 'plain', size, output).total[clock];
  return m.map((v, i) => v / p[i]);
}

/** Median time at `to` Jobs over median time at `from` Jobs. */
export function growth(r: TimingResult, kind: Kind, output: Output, from: number, to: number, clock: Clock): number {
  return median(cell(r, kind, to, output).total[clock]) / median(cell(r, kind, from, output).total[clock]);
}

/** Busy and total CPU seconds of the whole machine so far (/proc/stat, USER_HZ = 100 on Linux). */
function machineCpu(): { busyS: number } | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return { busyS: (user + nice + system + irq + softirq + steal) / 100 };
  } catch {
    return undefined;
  }
}

interface Accumulated {
  readonly total: Record<Clock, number[]>;
  readonly construct: Record<Clock, number[]>;
  readonly synth: Record<Clock, number[]>;
  readonly bytes: number;
}

/**
 * Times every (size, kind, output) `rounds[size]` times. Within a round, one kind goes first for
 * both outputs and the other second; the next round swaps them, so warm-up and heap growth do not
 * favour one kind.
 */
export function timeSynth(sizes: number[], rounds: Record<number, number>, outputs: Output[]): TimingResult {
  // Warm-up (discarded): loads and JIT-compiles every code path of both kinds and both outputs.
  for (const kind of KINDS) for (const output of outputs) benchWorkload(kind, 300, output);
  const m0 = machineCpu();
  const own0 = process.cpuUsage();
  const s0 = mainThreadSched();
  const w0 = nowMs();
  const cells: TimingCell[] = [];
  const empty = (): Record<Clock, number[]> => ({ cpu: [], wall: [] });
  for (const size of sizes) {
    const acc = new Map<string, Accumulated>();
    for (let round = 0; round < rounds[size]; round++) {
      const order: Kind[] = round % 2 === 0 ? ['plain', 'meshjob'] : ['meshjob', 'plain'];
      for (const kind of order) {
        for (const output of outputs) {
          fullGc();
          pause(25);
          const run = benchWorkload(kind, size, output);
          const key = `${kind}/${output}`;
          const a = acc.get(key) ?? { total: empty(), construct: empty(), synth: empty(), bytes: run.bytes };
          a.total.wall.push(run.totalMs);
          a.total.cpu.push(run.totalCpuMs);
          a.construct.wall.push(run.constructMs);
          a.construct.cpu.push(run.constructCpuMs);
          a.synth.wall.push(run.synthMs);
          a.synth.cpu.push(run.synthCpuMs);
          acc.set(key, a);
        }
      }
      fullGc();
      const last = (kind: Kind, output: Output): string => {
        const t = acc.get(`${kind}/${output}`)!.total;
        return `${t.cpu.at(-1)!.toFixed(0)}/${t.wall.at(-1)!.toFixed(0)}`;
      };
      progress(`synth ${size} jobs, round ${round + 1}/${rounds[size]} (CPU/wall ms): ` +
        outputs.map((o) => `${o} plain ${last('plain', o)}, meshjob ${last('meshjob', o)}`).join('; '));
    }
    for (const kind of KINDS) {
      for (const output of outputs) {
        const a = acc.get(`${kind}/${output}`)!;
        cells.push({ kind, size, output, total: a.total, construct: a.construct, synth: a.synth, bytesPerJob: a.bytes / size });
      }
    }
  }
  const wallS = (nowMs() - w0) / 1000;
  const m1 = machineCpu();
  const own = process.cpuUsage(own0);
  const s1 = mainThreadSched();
  const otherLoad = m0 && m1 ? Math.max(0, (m1.busyS - m0.busyS - (own.user + own.system) / 1e6) / wallS) : undefined;
  const waitShare = s0 && s1 ? (s1.waitMs - s0.waitMs) / 1000 / wallS : undefined;
  return { sizes, rounds, cells, otherLoad, waitShare, wallS };
}

// ---------------------------------------------------------------------------------------------
// Child processes: peak heap and CPU profiles.

export const BENCH_DIR = __dirname;
export const REPO_ROOT = join(__dirname, '..');

/** bench/tsconfig.json once projen renders it; test/tsconfig.json (same settings) until then. */
export function tsconfigPath(): string {
  const own = join(BENCH_DIR, 'tsconfig.json');
  return existsSync(own) ? own : join(REPO_ROOT, 'test', 'tsconfig.json');
}

export interface ChildRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs bench/worker.ts in a fresh node (transpile-only ts-node) with `nodeFlags`. */
export function runWorker(nodeFlags: string[], args: string[], timeoutMs = 120_000): Promise<ChildRun> {
  const argv = [...nodeFlags, '-r', require.resolve('ts-node/register/transpile-only'), join(BENCH_DIR, 'worker.ts'), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd: REPO_ROOT,
      env: { ...process.env, TS_NODE_PROJECT: tsconfigPath() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface HeapResult {
  readonly kind: Kind;
  readonly size: number;
  /** Heap in use after loading everything and a full GC, before the workload (MiB). */
  readonly baselineMiB: number;
  /** Highest heap in use while the workload ran, above the baseline (MiB). */
  readonly peakAboveBaselineMiB: number;
  /** Heap still in use after a full GC with the app and its YAML alive, above the baseline (MiB). */
  readonly retainedAboveBaselineMiB: number;
  /** GCs during the workload. */
  readonly gcs: number;
  /** Peak RSS of the whole child process (KiB, getrusage ru_maxrss), ts-node and TypeScript included. */
  readonly maxRssKiB: number;
  readonly totalMs: number;
}

/** "[pid:isolate]  123 ms: Scavenge 45.2 (50.1) -> 40.1 (52.3) MB, ... reason" */
const TRACE_GC = /^\[\d+:0x[0-9a-f]+\]\s+\d+ ms: (.+?) ([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB.*$/;

/**
 * Peak heap of one (kind, size), in a fresh child process started with --expose-gc --trace-gc.
 * V8 prints every GC with the heap in use before and after it; the heap only shrinks at a GC, so
 * its peak is the largest "before" figure of the GCs between the worker's two explicit gc() calls
 * (V8 labels those "testing"): the baseline one before the workload, and the one after it, whose
 * "before" is the heap at the end of the workload.
 */
export async function measureHeap(kind: Kind, size: number): Promise<HeapResult> {
  const dir = mkdtempSync(join(tmpdir(), 'meshjob-bench-'));
  const resultFile = join(dir, 'result.json');
  try {
    const run = await runWorker(['--expose-gc', '--trace-gc'], ['heap', kind, String(size), resultFile]);
    if (run.code !== 0 || !existsSync(resultFile)) {
      throw new Error(`heap worker ${kind} ${size} failed (${run.code}): ${run.stderr.slice(-2000)}`);
    }
    const w = JSON.parse(readFileSync(resultFile, 'utf8'));
    const gcs = run.stdout.split('\n').map((l) => TRACE_GC.exec(l)).filter((m): m is RegExpExecArray => m !== null);
    const marks = gcs.map((m, i) => (/testing/.test(m[0]) ? i : -1)).filter((i) => i >= 0);
    if (marks.length < 2) throw new Error(`heap worker ${kind} ${size}: expected two gc() marks in --trace-gc output, found ${marks.length}`);
    const first = marks[0];
    const last = marks[marks.length - 1];
    const during = gcs.slice(first + 1, last + 1);
    const peakTraceMiB = Math.max(...during.map((m) => Number(m[2])));
    const baselineMiB = w.baselineHeap / 1024 / 1024;
    const endMiB = w.endHeap / 1024 / 1024;
    return {
      kind,
      size,
      baselineMiB,
      peakAboveBaselineMiB: Math.max(peakTraceMiB, endMiB) - baselineMiB,
      retainedAboveBaselineMiB: (w.retainedHeap - w.baselineHeap) / 1024 / 1024,
      gcs: during.length - 1,
      maxRssKiB: w.maxRssKiB,
      totalMs: w.totalMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureHeaps(sizes: number[]): Promise<HeapResult[]> {
  const out: HeapResult[] = [];
  for (const size of sizes) {
    for (const kind of KINDS) {
      const h = await measureHeap(kind, size);
      progress(`heap ${kind} ${size}: peak +${h.peakAboveBaselineMiB.toFixed(1)} MiB, retained +${h.retainedAboveBaselineMiB.toFixed(1)} MiB`);
      out.push(h);
    }
  }
  return out;
}
