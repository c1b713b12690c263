// Small statistics and formatting helpers shared by the benchmarks.
import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';

/** Milliseconds on CLOCK_MONOTONIC (the clock test/support/fake-proxy.ts nowMs() uses). */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Median (mean of the two middle values for an even count); NaN for none. */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100): the smallest value with at least p% of values at or below it. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1];
}

export function min(xs: number[]): number {
  return xs.length === 0 ? NaN : Math.min(...xs);
}

export function max(xs: number[]): number {
  return xs.length === 0 ? NaN : Math.max(...xs);
}

/** `n` with `digits` decimals, thousands separated by a thin comma. */
export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtRatio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a';
}

export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  if (Math.abs(n) >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (Math.abs(n) >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${Math.round(n)} B`;
}

/** A Markdown table; it reads as well in a terminal. */
export function table(headers: string[], rows: string[][], align?: Array<'l' | 'r'>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const pad = (s: string, i: number): string => ((align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'l' ? s.padEnd(widths[i]) : s.padStart(widths[i]));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => pad(c ?? '', i)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => ((align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'l' ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** PASS/MISS against an upper bound. */
export function verdict(value: number, atMost: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value <= atMost ? 'PASS' : 'MISS';
}

let cachedGc: (() => void) | undefined;

/**
 * A full, synchronous garbage collection, also when node was started without --expose-gc
 * (ts-node starts the benchmark without it): the flag is set at run time and `gc` taken from a
 * fresh context, where V8 installs it.
 */
export function fullGc(): void {
  if (!cachedGc) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) {
      cachedGc = g;
    } else {
      setFlagsFromString('--expose-gc');
      cachedGc = runInNewContext('gc') as () => void;
    }
  }
  cachedGc();
}

/** Progress on stderr, so that stdout carries only the tables. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
