// The `meshjob` post-renderer on big streams: throughput and peak RSS of the real process, fed on
// stdin and read from stdout as Helm runs it. Targets (issue 20):
// - ≥ 20 MB/s of CPU time on the bench stream (real documents, one Job or CronJob in 50);
// - on a Job-dense stream (a Job every 5 documents, each wrapped), at least the throughput of
//   js-yaml loading and dumping the same stream, measured side by side as a process of its own;
// - peak RSS on one 20 MB Job ≤ 10× the document plus the RSS of a run on empty input.
// Run alone with `ts-node --project bench/tsconfig.json bench/transformer.ts` (BENCH_QUICK=1: one
// run each, smaller streams).
import { spawn } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { compileCli, probed } from './node-process';
import { fmt, fmtRatio, median, nowMs, progress, table, verdict } from './stats';
import { toManifestLifecycle } from '../src/cli/options';
import { readDocument } from '../src/cli/yaml/read';
import { applyToManifest } from '../src/manifests/apply';

/** The js-yaml the benchmark compares with (a devDependency). */
const JS_YAML_VERSION: string = JSON.parse(readFileSync(require.resolve('js-yaml/package.json'), 'utf-8')).version;

const ROOT = join(__dirname, '..');
const CHARTS = join(ROOT, 'test', 'fixtures', 'charts');
/** The entrypoints of the fixtures' images whose Jobs give only args: with them, every Job of the corpus can be wrapped. */
const ENTRYPOINTS: Record<string, string> = {
  'registry.k8s.io/ingress-nginx/kube-webhook-certgen': '/kube-webhook-certgen',
  'registry.example.com/ingress/certgen': '/kube-webhook-certgen',
  'registry.example.com/telemetry/continuous-test': '/bin/continuous-test',
  'registry.example.com/policy/cli': '/policy-cli',
  'registry.example.com/certificates/startupapicheck': '/app/cmd/startupapicheck',
};
const ARGS = ['--mesh', 'istio', ...Object.entries(ENTRYPOINTS).flatMap(([image, path]) => ['--entrypoint', `${image}=${path}`])];
const TARGET = { mbPerS: 20, rssTimesDocument: 10 };
/** One Job or CronJob in this many documents: a chart's hooks and backups among its Deployments, RBAC and CRDs. */
const JOB_EVERY = 50;
/** The Job-dense stream: one in 5. */
const DENSE_EVERY = 5;

interface Run { readonly wallMs: number; readonly cpuMs: number; readonly rssMb: number; readonly outBytes: number; readonly code: number | null }

/** The real charts' documents: the Jobs and CronJobs MeshJob wraps, and every other document. */
function corpus(): { jobs: string[]; others: string[] } {
  const docs = readdirSync(CHARTS).filter((f) => f.endsWith('.yaml')).sort()
    .flatMap((f) => readFileSync(join(CHARTS, f), 'utf-8').split(/(?=^---(?:[ \t\r]|$))/m))
    .map((d) => (d.startsWith('---') ? d : `---\n${d}`))
    .map((d) => (d.endsWith('\n') ? d : `${d}\n`))
    .filter((d) => /^kind:/m.test(d));
  const lifecycle = toManifestLifecycle({ mesh: 'istio', entrypoints: Object.fromEntries(Object.entries(ENTRYPOINTS).map(([i, p]) => [i, [p]])) });
  const wrapped = (d: string) => {
    const value = readDocument(d).value as any;
    return applyToManifest(structuredClone(value), lifecycle).mode === 'wrap';
  };
  const isJob = (d: string) => /^kind: (Cron)?Job\s*$/m.test(d);
  return { jobs: docs.filter((d) => isJob(d) && wrapped(d)), others: docs.filter((d) => !isJob(d)) };
}

/** A stream of real documents, one Job in `jobEvery`, up to `docs` documents or `bytes` bytes. */
export function makeStream(limit: { docs?: number; bytes?: number }, jobEvery = JOB_EVERY): { input: Buffer; docs: number; jobs: number } {
  const { jobs, others } = corpus();
  const parts: string[] = [];
  let bytes = 0;
  let n = 0;
  let jobCount = 0;
  while ((limit.docs === undefined || n < limit.docs) && (limit.bytes === undefined || bytes < limit.bytes)) {
    const isJob = n % jobEvery === jobEvery - 1;
    const doc = isJob ? jobs[Math.floor(n / jobEvery) % jobs.length] : others[n % others.length];
    jobCount += isJob ? 1 : 0;
    parts.push(doc);
    bytes += Buffer.byteLength(doc);
    n++;
  }
  return { input: Buffer.from(parts.join('')), docs: n, jobs: jobCount };
}

/**
 * One Job of about `bytes` bytes, made large the way a large Job is: many environment variables
 * (tens of thousands of small nodes, the reader's worst case), or a long script in args.
 */
export function bigJob(bytes: number, shape: 'env' | 'script'): Buffer {
  const head = 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: big\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n' +
    '      - name: main\n        image: registry.example.com/app:1\n        command: [/bin/sh, -c]\n';
  const parts = [head, shape === 'env' ? '        env:\n' : '        args:\n        - |\n'];
  let size = parts[0].length + parts[1].length;
  for (let i = 0; size < bytes; i++) {
    const line = shape === 'env' ? `        - name: VAR_${i}\n          value: "value ${i}"\n` : `          echo "step ${i}: $(date) in $PWD" >> /tmp/log-${i % 97}\n`;
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join(''));
}

/** Compiles src/ to JavaScript in `dir` (as `npx projen compile` builds lib/, which may be stale); returns the CLI's path. */
/** js-yaml loading and dumping every document of stdin, as a process of its own (the reference for the Job-dense stream). */
function jsYamlScript(dir: string): string {
  const file = join(dir, 'js-yaml-roundtrip.js');
  writeFileSync(file, [
    `const yaml = require(${JSON.stringify(require.resolve('js-yaml'))});`,
    'const chunks = [];',
    "process.stdin.on('data', (c) => chunks.push(c));",
    "process.stdin.on('end', () => {",
    "  const docs = yaml.loadAll(Buffer.concat(chunks).toString('utf-8'));",
    "  process.stdout.write(docs.map((d) => yaml.dump(d)).join('---\\n'));",
    '});',
    '',
  ].join('\n'));
  return file;
}

/** Runs a node script with `args`, stdin given, stdout counted, its peak RSS recorded at exit. */
function runNode(script: string, args: string[], input: Buffer, dir: string): Promise<Run> {
  const p = probed(dir);
  return new Promise((resolve, reject) => {
    const started = nowMs();
    const child = spawn(process.execPath, [...p.execArgv, script, ...args], {
      cwd: ROOT,
      env: p.env,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    let outBytes = 0;
    child.stdout.on('data', (b: Buffer) => { outBytes += b.length; });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = nowMs() - started;
      resolve({ wallMs, ...p.usage(), outBytes, code });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

async function sequence<T>(n: number, f: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await f());
  return out;
}

/** Measures every stream; returns the Markdown section for bench/RESULTS.md. */
export async function benchTransformer(quick: boolean): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'meshjob-bench-'));
  try {
    const runs = quick ? 1 : 3;
    const mb = quick ? 20 : 100;
    progress('transformer: compiling src/ to JavaScript');
    const cli = compileCli(dir);
    const jsYaml = jsYamlScript(dir);
    const meshjob = (input: Buffer) => sequence(runs, () => runNode(cli, ARGS, input, dir));
    const cpuOf = (rs: Run[]) => median(rs.map((r) => r.cpuMs));
    const wallOf = (rs: Run[]) => median(rs.map((r) => r.wallMs));
    const check = (label: string, rs: Run[], size: number) => {
      if (rs.some((r) => r.code !== 0 || r.outBytes < size)) throw new Error(`meshjob failed on the ${label}: exit codes ${rs.map((r) => r.code)}`);
    };

    progress('transformer: startup on empty input');
    const empty = await meshjob(Buffer.alloc(0));
    const startup = { cpu: cpuOf(empty), wall: wallOf(empty), rss: Math.max(...empty.map((r) => r.rssMb)) };
    const jsYamlEmpty = await sequence(runs, () => runNode(jsYaml, [], Buffer.alloc(0), dir));

    const cases = [
      { label: '2,000-document chart', ...makeStream({ docs: 2000 }), target: false },
      { label: `${mb} MB stream`, ...makeStream({ bytes: mb * 1e6 }), target: true },
      { label: `${mb} MB stream without Jobs`, ...makeStream({ bytes: mb * 1e6 }, Number.MAX_SAFE_INTEGER), target: false },
    ];
    const rows: string[][] = [];
    const summary: string[][] = [];
    for (const c of cases) {
      progress(`transformer: ${c.label}, ${runs} run(s)`);
      const results = await meshjob(c.input);
      check(c.label, results, c.input.length);
      const size = c.input.length / 1e6;
      const cpuRate = size / ((cpuOf(results) - startup.cpu) / 1000);
      const wallRate = size / ((wallOf(results) - startup.wall) / 1000);
      const rss = Math.max(...results.map((r) => r.rssMb));
      const times = [fmt(cpuOf(results)), fmt(wallOf(results)), fmt(cpuRate, 1), fmt(wallRate, 1)];
      rows.push([c.label, fmt(c.docs), fmt(size, 1), fmt(c.jobs), ...times, fmt(rss)]);
      if (c.target) {
        const measured = `${fmt(cpuRate, 1)} MB/s`;
        summary.push([`throughput, ${c.label} (CPU; wall-clock ${fmt(wallRate, 1)} MB/s)`, `≥ ${TARGET.mbPerS} MB/s`, measured, verdict(TARGET.mbPerS, cpuRate)]);
      }
    }

    // The Job-dense stream against js-yaml, side by side: each run of one followed by a run of the other.
    const dense = makeStream({ bytes: (quick ? 5 : 20) * 1e6 }, DENSE_EVERY);
    progress(`transformer: Job-dense stream (${fmt(dense.jobs)} Jobs in ${fmt(dense.docs)} documents) against js-yaml, ${runs} run(s) each`);
    const denseRuns: Run[] = [];
    const jsYamlRuns: Run[] = [];
    for (let i = 0; i < runs; i++) {
      denseRuns.push(await runNode(cli, ARGS, dense.input, dir));
      jsYamlRuns.push(await runNode(jsYaml, [], dense.input, dir));
    }
    check('Job-dense stream', denseRuns, dense.input.length);
    const denseSize = dense.input.length / 1e6;
    const denseRate = denseSize / ((cpuOf(denseRuns) - startup.cpu) / 1000);
    const jsYamlRate = denseSize / ((cpuOf(jsYamlRuns) - cpuOf(jsYamlEmpty)) / 1000);
    rows.push([`Job-dense stream (1 in ${DENSE_EVERY})`, fmt(dense.docs), fmt(denseSize, 1), fmt(dense.jobs), fmt(cpuOf(denseRuns)), fmt(wallOf(denseRuns)),
      fmt(denseRate, 1), '', fmt(Math.max(...denseRuns.map((r) => r.rssMb)))]);
    rows.push(['  the same through js-yaml load + dump', fmt(dense.docs), fmt(denseSize, 1), '', fmt(cpuOf(jsYamlRuns)), fmt(wallOf(jsYamlRuns)), fmt(jsYamlRate, 1), '',
      fmt(Math.max(...jsYamlRuns.map((r) => r.rssMb)))]);
    summary.push([`throughput, Job-dense stream, against js-yaml load + dump (${fmt(jsYamlRate, 1)} MB/s)`, '≥ 1.00×', fmtRatio(denseRate / jsYamlRate),
      verdict(1, denseRate / jsYamlRate)]);

    // One 20 MB Job, of each shape.
    for (const shape of ['env', 'script'] as const) {
      const job = bigJob(20e6, shape);
      const label = shape === 'env' ? 'one 20 MB Job: env variables' : 'one 20 MB Job: a script in args';
      progress(`transformer: ${label}, ${runs} run(s)`);
      const results = await meshjob(job);
      check(label, results, job.length);
      const size = job.length / 1e6;
      const rss = Math.max(...results.map((r) => r.rssMb));
      rows.push([label, '1', fmt(size, 1), '1', fmt(cpuOf(results)), fmt(wallOf(results)), fmt(size / ((cpuOf(results) - startup.cpu) / 1000), 1), '', fmt(rss)]);
      const bound = TARGET.rssTimesDocument * size + startup.rss;
      summary.push([`peak RSS, ${label} (${fmt((rss - startup.rss) / size, 1)}× the document above empty input)`, `≤ ${fmt(bound)} MB`, `${fmt(rss)} MB`, verdict(rss, bound)]);
    }

    return [
      '',
      '## 4. The meshjob post-renderer on big streams',
      '',
      `\`meshjob ${ARGS.slice(0, 2).join(' ')} --entrypoint …\` (the fixtures' args-only images) as its own process (src/ compiled with tsc, run by ` +
      'node), the stream on stdin and stdout read to the end, as Helm runs a post-renderer. The streams are the documents of test/fixtures/charts ' +
      `repeated, one Job or CronJob in every ${JOB_EVERY} documents (every ${DENSE_EVERY} in the Job-dense stream, each one wrapped). ` +
      `Throughput = stream MB / (median time − median time on empty input: ${fmt(startup.cpu)} ms CPU, ${fmt(startup.wall)} ms wall), judged on ` +
      'the process\'s CPU time (user + system, from `process.resourceUsage()` at exit) because the machine is shared; peak RSS = its VmHWM at ' +
      `exit, the largest of ${runs} run(s); on empty input it is ${fmt(startup.rss)} MB. js-yaml ${JS_YAML_VERSION} runs as a process ` +
      'of its own that loads every document of the same stream and dumps it (`loadAll` then `dump`), timed the same way, each of its runs ' +
      'right after one of meshjob\'s. Documents without the word Job (nor a backslash, a tag or %TAG) are copied without being read; the others are ' +
      'read as kubectl reads them, each Job changed in place.',
      '',
      table(['stream', 'documents', 'MB', 'Jobs', 'CPU ms', 'wall ms', 'MB/s (CPU)', 'MB/s (wall)', 'peak RSS MB'], rows),
      '',
      table(['target', 'bound', 'measured', 'verdict'], summary, ['l', 'r', 'r', 'l']),
      '',
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchTransformer(process.env.BENCH_QUICK === '1').then((markdown) => process.stdout.write(markdown), (e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  });
}
