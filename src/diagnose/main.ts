import * as fs from 'fs';
import { promisify } from 'util';
import { diagnose } from './findings';
import { DiagnoseInput, INPUT_LIMITS, InputReader, pushText, SourceReader } from './input';
import { formatDuration, formatJson, formatTable } from './report';
import { terminalLines } from '../terminal';

// `meshjob diagnose`: finds the meshed Jobs that are stuck or looping today, from live pod status.

/** Default of --stuck-after: longer than any mesh's shutdown drain (Consul's default grace period is 30 s). */
const DEFAULT_STUCK_AFTER_SECONDS = 300;

const USAGE = `usage: kubectl get pods -A -o json | meshjob diagnose [options] [FILE...]

Reads pods as kubectl get pods -o json or -o yaml prints them (a List, or single Pods), from
stdin or the files named ("-" is stdin), and lists every pod of a Job that is stuck or looping
because of a sidecar, with the mesh seen, the cause and the fix. Jobs in the input (kubectl get
pods,jobs -A -o json) tell which CronJob owns each Job.

JSON is the fast path: it is read pod by pod as it arrives, holding about a kilobyte per pod of
a Job and nothing of the others (objects up to ${INPUT_LIMITS.jsonObjectBytes / 1024 / 1024} MiB). YAML is read a document at a time,
up to ${INPUT_LIMITS.yamlDocumentBytes / 1024 / 1024} MiB a document: use -o json for large clusters.

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

/** What the arguments ask for. */
interface Request {
  readonly files: string[];
  readonly output: string;
  readonly now: number;
  readonly stuckAfterSeconds: number;
  readonly sidecars: string[];
}

/** Reads the arguments into a request, or the result to give right away (--help, bad options). */
function parseArguments(argv: string[]): Request | { readonly done: CommandResult } {
  const problems: string[] = [];
  const files: string[] = [];
  const sidecars: string[] = [];
  let output = 'table';
  let now = Date.now();
  let stuckAfterSeconds = DEFAULT_STUCK_AFTER_SECONDS;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    if (flag === '--help' || flag === '-h') return { done: { code: DIAGNOSE_EXIT.CLEAN, stdout: USAGE, stderr: '' } };
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
  if (problems.length > 0) return { done: badInput(problems) };
  return { files: files.length > 0 ? files : ['-'], output, now, stuckAfterSeconds, sidecars };
}

/** The findings, or the problems, once every input has been read. */
function conclude(request: Request, read: DiagnoseInput): CommandResult {
  if (read.problems.length > 0) return badInput(read.problems);
  const findings = diagnose(read.pods, read.jobs, { now: request.now, stuckAfterSeconds: request.stuckAfterSeconds, sidecars: request.sidecars });
  const notes = read.notes.map((n) => `meshjob diagnose: ${n}`);
  if (findings.length === 0) {
    return {
      code: DIAGNOSE_EXIT.CLEAN,
      stdout: request.output === 'json' ? formatJson(findings) : '',
      stderr: terminalLines([...notes, `meshjob diagnose: no stuck or looping Job pod among ${read.podCount} pods`]),
    };
  }
  return {
    code: DIAGNOSE_EXIT.FINDINGS,
    stdout: request.output === 'json' ? formatJson(findings) : formatTable(findings),
    stderr: terminalLines(notes),
  };
}

/** Where `meshjob diagnose` writes. */
export interface DiagnoseStreams {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/**
 * `meshjob diagnose ARGS` as the command runs it: stdin (`stdinChunks()` for the process's) and the
 * files read chunk by chunk as they arrive, stdin only when no file is named or `-` is; returns the
 * exit code.
 */
export async function runDiagnose(argv: string[], stdin: AsyncIterable<Buffer>, streams: DiagnoseStreams): Promise<number> {
  const request = parseArguments(argv);
  const result = 'done' in request ? request.done : conclude(request, await readStreams(request.files, stdin));
  streams.stdout.write(result.stdout);
  streams.stderr.write(result.stderr);
  return result.code;
}

async function readStreams(files: string[], stdin: AsyncIterable<Buffer>): Promise<DiagnoseInput> {
  const reader = new InputReader();
  for (const file of files) {
    const source = reader.source(file === '-' ? 'stdin' : file);
    try {
      for await (const chunk of file === '-' ? stdin : fileChunks(file)) {
        source.push(chunk);
        // Past a problem that ends the input, the rest is not read (a pipe's writer gets EPIPE).
        if (source.done) break;
      }
    } catch (e) {
      source.abandon(cannotRead(e));
      continue;
    }
    source.end();
  }
  return reader.result();
}

/** Chunks of files and stdin: as large as a read gives them (a pipe gives at most 64 KiB on Linux). */
const READ_CHUNK = 1024 * 1024;
const readAsync = promisify(fs.read);
const openAsync = promisify(fs.open);
const closeAsync = promisify(fs.close);

/**
 * The process's stdin, read into one buffer over and over: each chunk is good until the next one
 * is asked for (SourceReader copies what it keeps). Reading the descriptor directly costs a
 * fraction of process.stdin's stream, which allocates every chunk: for hundreds of MB of pods that
 * is most of the difference between reading and parsing them.
 */
export async function* stdinChunks(): AsyncGenerator<Buffer> {
  yield* descriptorChunks(0);
}

async function* fileChunks(file: string): AsyncGenerator<Buffer> {
  const fd = await openAsync(file, 'r');
  try {
    yield* descriptorChunks(fd);
  } finally {
    await closeAsync(fd);
  }
}

async function* descriptorChunks(fd: number): AsyncGenerator<Buffer> {
  const buffer = Buffer.allocUnsafe(READ_CHUNK);
  for (;;) {
    let n: number;
    try {
      n = (await readAsync(fd, buffer, 0, READ_CHUNK, null)).bytesRead;
    } catch (e) {
      // A non-blocking stdin (set so by whatever started meshjob) has no data yet: Node's stream waits for it.
      if (fd === 0 && (e as NodeJS.ErrnoException).code === 'EAGAIN') {
        for await (const chunk of process.stdin) yield chunk as Buffer;
        return;
      }
      throw e;
    }
    if (n === 0) return;
    yield buffer.subarray(0, n);
  }
}

/**
 * `meshjob diagnose ARGS` with stdin already in memory (tests, embedding): the same readers, given
 * stdin and the files in chunks as a pipe would give them.
 */
export function diagnoseMain(argv: string[], stdin: string): CommandResult {
  const request = parseArguments(argv);
  if ('done' in request) return request.done;
  const reader = new InputReader();
  for (const file of request.files) {
    const source = reader.source(file === '-' ? 'stdin' : file);
    if (file === '-') pushText(source, Buffer.from(stdin, 'utf-8'));
    else if (!readFileInChunks(file, source)) continue;
    source.end();
  }
  return conclude(request, reader.result());
}

/** Reads a file into `source` chunk by chunk; false when it could not be read (said on `source`). */
function readFileInChunks(file: string, source: SourceReader): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(READ_CHUNK);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, READ_CHUNK, null);
      if (n === 0 || source.done) return true;
      source.push(Buffer.from(buf.subarray(0, n)));
    }
  } catch (e) {
    source.abandon(cannotRead(e));
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function cannotRead(e: unknown): string {
  return `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
}

function badInput(problems: string[]): CommandResult {
  return { code: DIAGNOSE_EXIT.BAD_INPUT, stdout: '', stderr: terminalLines(problems.map((p) => `meshjob diagnose: ${p}`)) };
}

/** `90s`, `5m`, `1h`, `300` (seconds) → seconds. */
export function parseDuration(value: string): number | undefined {
  const m = /^(\d+)(s|m|h)?$/.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
}
