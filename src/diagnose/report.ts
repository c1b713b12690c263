import { Finding } from './findings';
import { escapeForTerminal } from '../terminal';

// The two outputs of `meshjob diagnose`: a table for people, JSON for tools. Every cell and fix
// comes from the cluster (names, images, termination messages any container can write), so the
// table shows them escaped for the terminal (src/terminal.ts); JSON escapes them by itself.

// The fix goes on its own line under its row: a fix is a sentence, too long for a column.
const COLUMNS: Array<[string, (f: Finding) => string]> = [
  ['NAMESPACE', (f) => f.namespace],
  ['JOB', (f) => (f.cronJob ? `${f.job} (CronJob ${f.cronJob})` : f.job)],
  ['POD', (f) => f.pod],
  ['STUCK FOR', (f) => (f.stuckSeconds === undefined ? '?' : formatDuration(f.stuckSeconds))],
  ['MESH', (f) => f.mesh],
  ['CAUSE', (f) => f.cause],
];

/** A table, one finding a row, columns aligned as kubectl aligns them, each row's fix (and the line that releases the pod now) under it. */
export function formatTable(findings: Finding[]): string {
  const rows = [COLUMNS.map(([title]) => title), ...findings.map((f) => COLUMNS.map(([, cell]) => escapeForTerminal(cell(f))))];
  const widths = COLUMNS.map((_, i) => rows.reduce((w, r) => Math.max(w, r[i].length), 0));
  const line = (r: string[]) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('   ');
  const under = (f: Finding) => [`  fix: ${escapeForTerminal(f.fix)}`, ...(f.release ? [`  release now: ${escapeForTerminal(f.release)}`] : [])];
  return [line(rows[0]), ...findings.flatMap((f, i) => [line(rows[i + 1]), ...under(f)])].join('\n') + '\n';
}

/**
 * `{"findings": [...]}`, one object per finding with every field of Finding. JSON.stringify escapes
 * the C0 controls and lone surrogates; DEL, the C1 controls and the bidi overrides and isolates it
 * leaves raw are escaped too (`\u009b`), so that the JSON is safe in a terminal and reads back the same.
 */
export function formatJson(findings: Finding[]): string {
  return JSON.stringify({ findings }, null, 2).replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
}

// Only inside strings: JSON's own syntax is ASCII.
const RAW_IN_JSON = /[\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** `3d4h`, `2h5m`, `7m12s`, `45s`: the two largest units, the second left out when 0, as kubectl prints ages. */
export function formatDuration(totalSeconds: number): string {
  const units: Array<[string, number]> = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];
  let rest = Math.max(0, Math.floor(totalSeconds));
  const amounts = units.map(([unit, size]) => {
    const n = Math.floor(rest / size);
    rest -= n * size;
    return { n, unit };
  });
  const first = amounts.findIndex((a) => a.n > 0);
  if (first < 0) return '0s';
  return amounts.slice(first, first + 2).filter((a, i) => i === 0 || a.n > 0).map((a) => `${a.n}${a.unit}`).join('');
}
