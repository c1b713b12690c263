#!/usr/bin/env node
// meshjob: makes the Jobs and CronJobs of a YAML stream mesh-safe. Works as Helm 3's
// `--post-renderer` executable, behind the Helm 4 plugin in helm-plugin/, as kustomize's exec
// transformer and as a KRM function (src/cli/krm.ts).
//
// One path runs it: `meshjob(argv, io)` reads the arguments, then stdin chunk by chunk, and writes
// through `io`. The binary gives it the process's streams and a temporary file to hold the output
// until the whole stream is accepted; tests give it streams in memory.
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { legacyExecFlags, resourceList } from './krm';
import { checkConfig, CliOptions, FLAGS, flagHelp, isSwitch, mergeOptions, readFlag, toManifestLifecycle, toSelectors } from './options';
import { StreamOptions, StreamTransformer } from './post-render';
import { readDocument } from './yaml/read';
import { runDiagnose, stdinChunks } from '../diagnose/main';
import { terminalLines } from '../terminal';

const USAGE = `usage: meshjob [--check] [--config FILE] --mesh MESH [options] < manifests.yaml > out.yaml

Applies MeshJob's lifecycle to every Job and CronJob of a multi-document YAML stream on stdin and
writes the stream to stdout: every other document byte for byte as it came, in order; in a changed
Job only the fields MeshJob adds or replaces differ. With --check, writes nothing but the Jobs and
CronJobs that would hang under the mesh, and exits 1 if there are any.

${flagHelp()}
  --config FILE                 the same options as JSON or YAML keys (meshVersion, entrypoints, sidecars, ...)
  --help

Jobs annotated meshjob/skip: "true", or carrying the mesh's own injection opt-out, are left alone.

  meshjob diagnose [FILE...]    reads pods (kubectl get pods -A -o json) and names the Jobs stuck or
                                looping because of a sidecar, with the cause and the fix (--help)
  meshjob krm [CONFIG]          a KRM function (ResourceList on stdin), or kustomize's exec plugin with CONFIG

MESHJOB_LOG=FILE appends every message to FILE too (Helm 4 does not show a plugin's stderr).
`;

/** Where a run writes. */
export interface Sink {
  /** Takes a chunk, which holds only until the returned promise settles: a sink that keeps it copies it. */
  write(chunk: Buffer | string): void | Promise<void>;
}

/** Holds a stream's output until the stream is accepted. */
export interface Spool {
  /** Takes a chunk, which holds only during the call: a spool that keeps it copies it. */
  write(chunk: Buffer): void;
  /** Writes what it holds to `to`, then lets it go. */
  replay(to: Sink): Promise<void>;
  /** Lets what it holds go. */
  discard(): void;
}

/** What a run reads and writes. */
export interface CliIo {
  readonly stdin: AsyncIterable<Buffer | string>;
  /**
   * stdin for a reader that copies what it keeps (diagnose): each chunk is good until the next is
   * asked for, so one buffer serves them all.
   * @default stdin
   */
  readonly reusedStdin?: () => AsyncIterable<Buffer>;
  readonly stdout: Sink;
  readonly stderr: Sink;
  readonly env: NodeJS.ProcessEnv;
  readonly spool: () => Spool;
}

/** What a run will do once the stream is read. */
interface Run {
  readonly check: boolean;
  readonly strict: boolean;
  readonly mesh: string;
  readonly stream: StreamOptions;
}

/** A run that ends before reading stdin: what it prints and its exit code. */
interface Done {
  readonly code: number;
  readonly stdout: string;
  readonly messages: readonly string[];
}

const failure = (messages: string[]): { done: Done } => ({ done: { code: 1, stdout: '', messages } });

/**
 * Runs meshjob: `meshjob [options]` on a YAML stream, `meshjob krm [CONFIG]`, or
 * `meshjob diagnose`. Returns the exit code.
 */
export async function meshjob(argv: string[], io: CliIo): Promise<number> {
  const stderr = logged(io.stderr, io.env);
  if (argv[0] === 'diagnose') return diagnose(argv.slice(1), { ...io, stderr });
  if (argv[0] === 'krm') {
    const args = argv.slice(1);
    if (args.length > 1 || args[0]?.startsWith('-')) {
      return finish({ code: 1, stdout: '', messages: [`krm takes no options (got "${args.join(' ')}"): put them in the function config, or give the kustomize plugin config file alone`] }, io.stdout, stderr);
    }
    // With a config file: kustomize's legacy exec transformer, the stream through the command line.
    if (args.length === 1) {
      const flags = legacyExecFlags(args[0]);
      if ('problems' in flags) return finish({ code: 1, stdout: '', messages: flags.problems }, io.stdout, stderr);
      return runStream(flags.argv, { ...io, stderr });
    }
    const r = resourceList(await readAll(io.stdin));
    return finish({ code: r.code, stdout: r.stdout, messages: r.messages }, io.stdout, stderr);
  }
  return runStream(argv, { ...io, stderr });
}

/** Transforms the stream on stdin as the options say. */
async function runStream(argv: string[], io: CliIo): Promise<number> {
  const p = plan(argv);
  if ('done' in p) return finish(p.done, io.stdout, io.stderr);
  const spool = io.spool();
  try {
    const t = new StreamTransformer(p.stream, (b) => { if (!p.check) spool.write(b); });
    for await (const chunk of io.stdin) t.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf-8') : chunk);
    t.end();
    const v = verdict(t, p);
    if (v.writeStream) await spool.replay(io.stdout);
    return await finish(v, io.stdout, io.stderr);
  } finally {
    spool.discard();
  }
}

async function finish(done: Done, stdout: Sink, stderr: Sink): Promise<number> {
  if (done.stdout) await stdout.write(done.stdout);
  // Messages name Jobs, images and values from the manifests: escaped before a terminal acts on them.
  if (done.messages.length > 0) await stderr.write(terminalLines(done.messages.map((m) => `meshjob: ${m}`)));
  return done.code;
}

/** Reads the arguments and the config file into what to do, or the result to give right away. */
function plan(argv: string[]): Run | { done: Done } {
  const flags: CliOptions = {};
  let check = false;
  let config: string | undefined;
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    if (flag === '--help' || flag === '-h') return { done: { code: 0, stdout: USAGE, messages: [] } };
    if (flag === '--check') { check = true; continue; }
    if (!FLAGS[flag] && flag !== '--config') {
      problems.push(flag.startsWith('-') ? `unknown option "${flag}" (see --help)` : `unexpected argument "${flag}": meshjob reads manifests from stdin`);
      continue;
    }
    const value = inline ?? (isSwitch(flag) ? undefined : argv[++i]);
    if (flag === '--config') {
      if (value === undefined) problems.push('--config needs a value');
      else config = value;
      continue;
    }
    const problem = readFlag(flags, flag, value);
    if (problem) problems.push(problem);
  }
  let options = flags;
  if (config !== undefined) {
    try {
      const fromFile = readDocument(readFileSync(config, 'utf-8')).value ?? {};
      if (typeof fromFile !== 'object' || Array.isArray(fromFile)) throw new Error('it is not a map of options');
      const found = checkConfig(fromFile as Record<string, unknown>, config);
      problems.push(...found);
      if (found.length === 0) options = mergeOptions(fromFile as CliOptions, flags);
    } catch (e) {
      problems.push(`cannot read config ${config}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (problems.length > 0) return failure(problems);
  try {
    const lifecycle = toManifestLifecycle(options);
    return { check, strict: options.strict === true, mesh: options.mesh!, stream: { lifecycle, ...toSelectors(options) } };
  } catch (e) {
    return failure([(e as Error).message]);
  }
}

/** The exit code, stdout (for --check) and stderr lines once the stream has been read. */
function verdict(t: StreamTransformer, p: Run): Done & { writeStream: boolean } {
  if (t.problems.length > 0) return { code: 1, stdout: '', messages: t.problems, writeStream: false };
  if (t.documents === 0) {
    if (p.strict) return { code: 1, stdout: '', messages: ['no YAML documents on stdin (--strict)'], writeStream: false };
    return { code: 0, stdout: '', messages: p.check ? ['nothing to check: no YAML documents on stdin'] : [], writeStream: !p.check };
  }
  if (!p.check) return { code: 0, stdout: '', messages: t.warnings, writeStream: true };
  const report = t.reports.flatMap(({ index, result: r }) => {
    const outcome = r.outcome;
    if (outcome === 'applied' && r.mode !== 'none') return [`${r.subject} would hang under ${p.mesh}: MeshJob would apply the ${r.mode} lifecycle (${r.reason}) (document ${index})`];
    if (outcome === 'left-unchanged') return [`${r.subject} would hang under ${p.mesh} and cannot be made mesh-safe: ${r.problem} (document ${index})`];
    return [];
  });
  return {
    code: report.length > 0 ? 1 : 0,
    stdout: terminalLines(report),
    messages: report.length > 0 ? [] : ['no Job or CronJob would hang'],
    writeStream: false,
  };
}

/**
 * `meshjob diagnose`: its files and stdin read as they arrive (stdin only when no file is named, or
 * `-` is), pod by pod (src/diagnose/main.ts).
 */
async function diagnose(argv: string[], io: CliIo): Promise<number> {
  let stdout = '';
  let stderr = '';
  const streams = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } };
  const code = await runDiagnose(argv, io.reusedStdin?.() ?? buffers(io.stdin), streams);
  if (stdout) await io.stdout.write(stdout);
  if (stderr) await io.stderr.write(stderr);
  return code;
}

async function* buffers(stdin: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  for await (const chunk of stdin) yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf-8') : chunk;
}

async function readAll(stdin: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf-8') : chunk);
  return Buffer.concat(chunks).toString('utf-8');
}

/** stderr, and a copy of it appended to MESHJOB_LOG (Helm 4 does not show a plugin's stderr). */
function logged(stderr: Sink, env: NodeJS.ProcessEnv): Sink {
  const file = env.MESHJOB_LOG;
  if (!file) return stderr;
  return {
    write: (chunk) => {
      try {
        appendFileSync(file, chunk);
      } catch {
        // The log is a copy of stderr; failing to write it must not fail the stream.
      }
      return stderr.write(chunk);
    },
  };
}

/** The process's own streams, with the output held in a temporary file. */
function processIo(): CliIo {
  return {
    stdin: process.stdin,
    reusedStdin: stdinChunks,
    // Settles when the chunk is handed to the system: the spool's buffer is then used again.
    stdout: { write: (chunk) => new Promise<void>((resolve, reject) => { process.stdout.write(chunk, (e) => (e ? reject(e) : resolve())); }) },
    stderr: { write: (chunk) => { process.stderr.write(chunk); } },
    env: process.env,
    spool: fileSpool,
  };
}

/** A spool in a temporary file: a stream of any size is held on disk, not in memory. */
function fileSpool(): Spool {
  const dir = mkdtempSync(join(tmpdir(), 'meshjob-'));
  const file = join(dir, 'out.yaml');
  let fd: number | undefined = openSync(file, 'w');
  // Documents are written a megabyte at a time, not one system call each.
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  let used = 0;
  const flush = () => {
    if (used > 0) writeSync(fd!, buffer, 0, used);
    used = 0;
  };
  const close = () => {
    if (fd !== undefined) {
      flush();
      closeSync(fd);
    }
    fd = undefined;
  };
  return {
    write: (chunk) => {
      if (used + chunk.length > buffer.length) flush();
      if (chunk.length >= buffer.length) writeSync(fd!, chunk);
      else used += chunk.copy(buffer, used);
    },
    replay: async (to) => {
      close();
      // One buffer, read into again once the sink has taken what it held.
      const input = openSync(file, 'r');
      try {
        for (let n; (n = readSync(input, buffer, 0, buffer.length, null)) > 0;) await to.write(buffer.subarray(0, n));
      } finally {
        closeSync(input);
      }
    },
    discard: () => {
      close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

if (require.main === module) {
  meshjob(process.argv.slice(2), processIo()).then(
    (code) => { process.exitCode = code; },
    (e) => {
      process.stderr.write(terminalLines([`meshjob: internal error: ${(e as Error).message}`]));
      process.exitCode = 1;
    },
  );
}
