import { readFileSync } from 'fs';
import { diagnose } from './findings';
import { InputText, readInputs } from './input';
import { formatDuration, formatJson, formatTable } from './report';

// `meshjob diagnose`: finds the meshed Jobs that are stuck or looping today, from live pod status.

/** Default of --stuck-after: longer than any mesh's shutdown drain (Consul's default grace period is 30 s). */
const DEFAULT_STUCK_AFTER_SECONDS = 300;

const USAGE = `usage: kubectl get pods -A -o json | meshjob diagnose [options] [FILE...]

Reads pods as kubectl get pods -o json or -o yaml prints them (a List, or single Pods), from
stdin or the files named ("-" is stdin), and lists every pod of a Job that is stuck or looping
because of a sidecar, with the mesh seen, the cause and the fix. Jobs in the input (kubectl get
pods,jobs -A -o json) tell which CronJob owns each Job.

  -o, --output table|json   table (default) for people, json for tools
  --now TIME                RFC 3339 time to measure "stuck for" against (default: now)
  --stuck-after DURATION    how long a sidecar may outlive the main containers, e.g. 90s, 5m, 1h (default ${formatDuration(DEFAULT_STUCK_AFTER_SECONDS)})
  --sidecar NAME            a container that never ends on its own (repeatable), e.g. an in-house log shipper
  --help

Exit codes: 0 nothing stuck, 1 findings, 2 bad input (one line per problem on stderr).
`;

/** What a command run returns: its exit code and output. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Exit codes of `meshjob diagnose`. */
export const DIAGNOSE_EXIT = { CLEAN: 0, FINDINGS: 1, BAD_INPUT: 2 } as const;

/** `meshjob diagnose ARGS`, with stdin already read. */
export function diagnoseMain(argv: string[], stdin: string): CommandResult {
  const problems: string[] = [];
  const files: string[] = [];
  const sidecars: string[] = [];
  let output = 'table';
  let now = Date.now();
  let stuckAfterSeconds = DEFAULT_STUCK_AFTER_SECONDS;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    if (flag === '--help' || flag === '-h') return { code: DIAGNOSE_EXIT.CLEAN, stdout: USAGE, stderr: '' };
    if (flag === '-' || !flag.startsWith('-')) { files.push(flag); continue; }
    if (!['-o', '--output', '--now', '--stuck-after', '--sidecar'].includes(flag)) {
      problems.push(`unknown option "${flag}" (see meshjob diagnose --help)`);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) { problems.push(`${flag} needs a value`); continue; }
    if (flag === '-o' || flag === '--output') {
      if (value !== 'table' && value !== 'json') problems.push(`${flag} must be table or json, not "${value}"`);
      output = value;
    } else if (flag === '--now') {
      const at = /^\d{4}-\d\d-\d\dT/.test(value) ? Date.parse(value) : NaN;
      if (Number.isNaN(at)) problems.push(`--now must be an RFC 3339 time such as 2026-11-28T10:00:00Z, not "${value}"`);
      else now = at;
    } else if (flag === '--stuck-after') {
      const seconds = parseDuration(value);
      if (seconds === undefined) problems.push(`--stuck-after must be a duration such as 90s, 5m or 1h, not "${value}"`);
      else stuckAfterSeconds = seconds;
    } else {
      sidecars.push(value);
    }
  }
  if (problems.length > 0) return badInput(problems);

  const inputs: InputText[] = [];
  for (const file of files.length > 0 ? files : ['-']) {
    if (file === '-') { inputs.push({ source: 'stdin', text: stdin }); continue; }
    try {
      inputs.push({ source: file, text: readFileSync(file, 'utf-8') });
    } catch (e) {
      problems.push(`${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  const read = readInputs(inputs);
  problems.push(...read.problems);
  if (problems.length > 0) return badInput(problems);

  const findings = diagnose(read.pods, read.jobs, { now, stuckAfterSeconds, sidecars });
  if (findings.length === 0) {
    return {
      code: DIAGNOSE_EXIT.CLEAN,
      stdout: output === 'json' ? formatJson(findings) : '',
      stderr: `meshjob diagnose: no stuck or looping Job pod among ${read.pods.length} pods\n`,
    };
  }
  return { code: DIAGNOSE_EXIT.FINDINGS, stdout: output === 'json' ? formatJson(findings) : formatTable(findings), stderr: '' };
}

function badInput(problems: string[]): CommandResult {
  return { code: DIAGNOSE_EXIT.BAD_INPUT, stdout: '', stderr: problems.map((p) => `meshjob diagnose: ${p}\n`).join('') };
}

/** `90s`, `5m`, `1h`, `300` (seconds) → seconds. */
export function parseDuration(value: string): number | undefined {
  const m = /^(\d+)(s|m|h)?$/.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
}
