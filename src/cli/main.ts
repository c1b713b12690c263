#!/usr/bin/env node
// meshjob: makes the Jobs and CronJobs of a YAML stream mesh-safe. Works as Helm 3's
// `--post-renderer` executable and behind the Helm 4 plugin in helm-plugin/.
import { once } from 'events';
import { appendFileSync, closeSync, createReadStream, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parse } from 'yaml';
import { krm } from './krm';
import { checkConfig, CliOptions, FLAGS, isSwitch, LIFECYCLES, mergeOptions, MESHES, readFlag, toManifestLifecycle, toSelectors } from './options';
import { StreamOptions, StreamTransformer } from './post-render';
import { diagnoseMain, runDiagnose, stdinChunks } from '../diagnose/main';

const USAGE = `usage: meshjob [--check] [--config FILE] --mesh MESH [options] < manifests.yaml > out.yaml

Applies MeshJob's lifecycle to every Job and CronJob of a multi-document YAML stream on stdin and
writes the stream to stdout: every other document byte for byte as it came, in order; in a changed
Job only the fields MeshJob adds or replaces differ. With --check, writes nothing but the Jobs and
CronJobs that would hang under the mesh, and exits 1 if there are any.

  --mesh MESH                   ${MESHES.join(', ')}
  --mesh-version V              e.g. 1.24, v1.24.3, stable-2.14.10, edge-24.11.8 (native sidecars need a known version)
  --istio-revision REV          the Istio revision or tag that injects (label istio.io/rev instead of sidecar.istio.io/inject)
  --kubernetes-version V        e.g. 1.30
  --lifecycle L                 ${LIFECYCLES.join(', ')} (default auto)
  --busybox-image IMAGE         the wrapper runtime's busybox image
  --ready-timeout-seconds N     how long wrapped commands wait for the proxy
  --envoy-admin-port N          for --mesh envoy
  --default-pod-failure-rules true|false
  --entrypoint IMAGE=PATH[,ARG...]
                                the image's entrypoint, for containers without a command (repeatable)
  --sidecar NAME                a chart's own sidecar container: stopped, not wrapped (repeatable)
  --select SELECTOR             only these Jobs, e.g. kind=CronJob,namespace=prod,name=backup-*,label:app=shop
                                (terms all match; repeated --select: any of them)
  --exclude SELECTOR            never these Jobs (repeatable)
  --strict                      a Job that cannot be made mesh-safe, or empty input, fails the stream
  --config FILE                 the same options as JSON or YAML keys (meshVersion, entrypoints, sidecars, ...)
  --help

Jobs annotated meshjob/skip: "true", or carrying the mesh's own injection opt-out, are left alone.

  meshjob diagnose [FILE...]    reads pods (kubectl get pods -A -o json) and names the Jobs stuck or
                                looping because of a sidecar, with the cause and the fix (--help)
  meshjob krm [CONFIG]          a KRM function (ResourceList on stdin), or kustomize's exec plugin with CONFIG

MESHJOB_LOG=FILE appends every message to FILE too (Helm 4 does not show a plugin's stderr).
`;

/** What a run prints and returns. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** What a run will do once the stream is read. */
interface Run {
  readonly check: boolean;
  readonly strict: boolean;
  readonly mesh: string;
  readonly stream: StreamOptions;
}
type Plan = { readonly done: CliResult } | Run;

const line = (l: string) => `meshjob: ${l}\n`;
const failure = (lines: string[]): CliResult => ({ code: 1, stdout: '', stderr: lines.map(line).join('') });

/** Reads the arguments and the config file into what to do, or the result to give right away. */
function plan(argv: string[]): Plan {
  const flags: CliOptions = {};
  let check = false;
  let config: string | undefined;
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    if (flag === '--help' || flag === '-h') return { done: { code: 0, stdout: USAGE, stderr: '' } };
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
      const fromFile = parse(readFileSync(config, 'utf-8'), { version: '1.1', merge: true }) ?? {};
      if (typeof fromFile !== 'object' || Array.isArray(fromFile)) throw new Error('it is not a map of options');
      const found = checkConfig(fromFile, config);
      problems.push(...found);
      if (found.length === 0) options = mergeOptions(fromFile, flags);
    } catch (e) {
      problems.push(`cannot read config ${config}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (problems.length > 0) return { done: failure(problems) };
  try {
    const lifecycle = toManifestLifecycle(options);
    return { check, strict: options.strict === true, mesh: options.mesh!, stream: { lifecycle, ...toSelectors(options) } };
  } catch (e) {
    return { done: failure([(e as Error).message]) };
  }
}

/** The exit code, stdout lines (for --check) and stderr lines once the stream has been read. */
function verdict(t: StreamTransformer, p: Run): { code: number; report: string[]; messages: string[]; writeStream: boolean } {
  if (t.problems.length > 0) return { code: 1, report: [], messages: t.problems, writeStream: false };
  if (t.documents === 0) {
    if (p.strict) return { code: 1, report: [], messages: ['no YAML documents on stdin (--strict)'], writeStream: false };
    return { code: 0, report: [], messages: p.check ? ['nothing to check: no YAML documents on stdin'] : [], writeStream: !p.check };
  }
  if (!p.check) return { code: 0, report: [], messages: t.warnings, writeStream: true };
  const report = t.reports.flatMap(({ index, result: r }) => {
    const outcome = r.outcome;
    if (outcome === 'applied' && r.mode !== 'none') return [`${r.subject} would hang under ${p.mesh}: MeshJob would apply the ${r.mode} lifecycle (${r.reason}) (document ${index})`];
    if (outcome === 'left-unchanged') return [`${r.subject} would hang under ${p.mesh} and cannot be made mesh-safe: ${r.problem} (document ${index})`];
    return [];
  });
  return { code: report.length > 0 ? 1 : 0, report, messages: report.length > 0 ? [] : ['no Job or CronJob would hang'], writeStream: false };
}

function log(env: NodeJS.ProcessEnv, stderr: string): void {
  if (env.MESHJOB_LOG && stderr) {
    try {
      appendFileSync(env.MESHJOB_LOG, stderr);
    } catch {
      // The log is a copy of stderr; failing to write it must not fail the stream.
    }
  }
}

/** Runs meshjob on a stream held in memory (tests, embedding). */
export function main(argv: string[], stdin: string | Buffer, env: NodeJS.ProcessEnv = process.env): CliResult {
  if (argv[0] === 'diagnose') return diagnoseMain(argv.slice(1), stdin.toString());
  if (argv[0] === 'krm') return krm(argv.slice(1), stdin.toString(), main); // KRM function / kustomize plugin: src/cli/krm.ts
  const p = plan(argv);
  if ('done' in p) {
    log(env, p.done.stderr);
    return p.done;
  }
  const out: Buffer[] = [];
  const t = new StreamTransformer(p.stream, (b) => { if (!p.check) out.push(b); });
  t.push(typeof stdin === 'string' ? Buffer.from(stdin, 'utf-8') : stdin);
  t.end();
  const v = verdict(t, p);
  const stderr = v.messages.map(line).join('');
  log(env, stderr);
  return { code: v.code, stdout: v.writeStream ? Buffer.concat(out).toString('utf-8') : v.report.map((l) => `${l}\n`).join(''), stderr };
}

/**
 * Runs meshjob as a process: stdin read in chunks and transformed document by document, the output
 * spooled to a temporary file and copied to stdout only once the whole stream is accepted.
 */
export async function runProcess(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv[0] === 'diagnose') return runDiagnose(argv.slice(1), stdinChunks(), process); // reads its input as it arrives: src/diagnose/main.ts
  if (SUBCOMMANDS.includes(argv[0])) return runInMemory(argv);
  const p = plan(argv);
  if ('done' in p) {
    process.stdout.write(p.done.stdout);
    process.stderr.write(p.done.stderr);
    log(env, p.done.stderr);
    return p.done.code;
  }
  const dir = mkdtempSync(join(tmpdir(), 'meshjob-'));
  const spool = join(dir, 'out.yaml');
  let fd: number | undefined = openSync(spool, 'w');
  try {
    const out = fd;
    const t = new StreamTransformer(p.stream, (b) => { if (!p.check) writeSync(out, b); });
    for await (const chunk of process.stdin) t.push(chunk as Buffer);
    t.end();
    closeSync(fd);
    fd = undefined;
    const v = verdict(t, p);
    if (v.writeStream) {
      for await (const chunk of createReadStream(spool, { highWaterMark: 1024 * 1024 })) {
        if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
      }
    }
    const stderr = v.messages.map(line).join('');
    process.stdout.write(v.report.map((l) => `${l}\n`).join(''));
    process.stderr.write(stderr);
    log(env, stderr);
    return v.code;
  } finally {
    if (fd !== undefined) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Subcommands that read their whole input at once. */
const SUBCOMMANDS = ['diagnose', 'krm'];

async function runInMemory(argv: string[]): Promise<number> {
  const chunks: Buffer[] = [];
  // `meshjob diagnose pods.json` typed in a terminal reads its files, not the keyboard.
  const filesOnly = argv[0] === 'diagnose' && process.stdin.isTTY && argv.slice(1).some((a) => !a.startsWith('-') && a !== '-');
  if (!filesOnly) for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const r = main(argv, Buffer.concat(chunks));
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  return r.code;
}

if (require.main === module) {
  runProcess(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e) => {
      process.stderr.write(line(`internal error: ${(e as Error).message}`));
      process.exitCode = 1;
    },
  );
}
