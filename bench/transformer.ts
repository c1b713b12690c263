// The `meshjob` post-renderer on big streams: throughput and peak RSS of the real process, fed on
// stdin and read from stdout as Helm runs it. Targets: ≥ 20 MB/s and ≤ 300 MB peak RSS for a
// 100 MB stream (memory must follow the largest document, not the stream).
import { execFileSync, spawn } from 'child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { fmt, median, nowMs, progress, table, verdict } from './stats';

const ROOT = join(__dirname, '..');
const CHARTS = join(ROOT, 'test', 'fixtures', 'charts');
const ARGS = ['--mesh', 'istio', '--entrypoint', 'registry.k8s.io/ingress-nginx/kube-webhook-certgen=/kube-webhook-certgen'];
const TARGET = { mbPerS: 20, rssMb: 300 };
/** One Job or CronJob in this many documents: a chart's hooks and backups among its Deployments, RBAC and CRDs. */
const JOB_EVERY = 50;

interface Run { readonly wallMs: number; readonly cpuMs: number; readonly rssMb: number; readonly outBytes: number; readonly code: number | null }

/** The real charts' documents, Jobs apart from the rest. */
function corpus(): { jobs: string[]; others: string[] } {
  const docs = readdirSync(CHARTS).filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => readFileSync(join(CHARTS, f), 'utf-8').split(/(?=^---(?:[ \t\r]|$))/m))
    .map((d) => (d.startsWith('---') ? d : `---\n${d}`))
    .map((d) => (d.endsWith('\n') ? d : `${d}\n`));
  const isJob = (d: string) => /^kind: (Cron)?Job\s*$/m.test(d);
  return { jobs: docs.filter(isJob), others: docs.filter((d) => !isJob(d) && /^kind:/m.test(d)) };
}

/** A stream of real documents, one Job in `jobEvery`, up to `docs` documents or `bytes` bytes. */
function makeStream(limit: { docs?: number; bytes?: number }, jobEvery = JOB_EVERY): { input: Buffer; docs: number; jobs: number } {
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

/** Compiles src/ to JavaScript in `dir` (as `npx projen compile` builds lib/, which may be stale); returns the CLI's path. */
function compile(dir: string): string {
  const out = join(dir, 'lib');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json'), '--outDir', out,
    '--noEmit', 'false', '--declaration', 'false', '--inlineSourceMap', 'false', '--inlineSources', 'false'], { stdio: 'inherit' });
  copyFileSync(join(ROOT, 'src', 'runtime', 'wrapper.sh'), join(out, 'runtime', 'wrapper.sh'));
  return join(out, 'cli', 'main.js');
}

/** Runs the compiled meshjob process with its peak RSS recorded at exit. */
function runMeshjob(cli: string, input: Buffer, dir: string): Promise<Run> {
  const probe = join(dir, 'probe.js');
  const out = join(dir, `rss-${Math.random()}.json`);
  // VmHWM of /proc/self/status, not resourceUsage().maxRSS: Linux carries maxRSS over from the
  // forking parent (this benchmark, holding the 100 MB stream), VmHWM starts afresh at exec.
  writeFileSync(probe, [
    "process.on('exit', () => {",
    "  const fs = require('fs');",
    "  const hwm = /VmHWM:\\s*(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf-8'));",
    '  fs.writeFileSync(process.env.MESHJOB_BENCH_PROBE, JSON.stringify({ ...process.resourceUsage(), vmHwmKiB: Number(hwm[1]) }));',
    '});',
    '',
  ].join('\n'));
  return new Promise((resolve, reject) => {
    const started = nowMs();
    const child = spawn(process.execPath, ['-r', probe, cli, ...ARGS], {
      cwd: ROOT,
      // Compiled outside the repository: its dependencies come from the repository's node_modules.
      env: { ...process.env, MESHJOB_BENCH_PROBE: out, NODE_PATH: join(ROOT, 'node_modules') },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    let outBytes = 0;
    child.stdout.on('data', (b: Buffer) => { outBytes += b.length; });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = nowMs() - started;
      const usage = JSON.parse(readFileSync(out, 'utf-8'));
      resolve({ wallMs, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, rssMb: (usage.vmHwmKiB * 1024) / 1e6, outBytes, code });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** Measures both streams; returns the Markdown section for bench/RESULTS.md. */
export async function benchTransformer(quick: boolean): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'meshjob-bench-'));
  try {
    const runs = quick ? 1 : 3;
    const mb = quick ? 20 : 100;
    const cases = [
      { label: '2,000-document chart', ...makeStream({ docs: 2000 }), target: false },
      { label: `${mb} MB stream`, ...makeStream({ bytes: mb * 1e6 }), target: true },
      { label: `${mb} MB stream without Jobs`, ...makeStream({ bytes: mb * 1e6 }, Number.MAX_SAFE_INTEGER), target: false },
    ];
    progress('transformer: compiling src/ to JavaScript');
    const cli = compile(dir);
    progress(`transformer: startup on empty input, then ${cases.map((c) => c.label).join(' and ')}, ${runs} run(s) each`);
    const empty = await sequence(runs, () => runMeshjob(cli, Buffer.alloc(0), dir));
    const startup = { wall: median(empty.map((r) => r.wallMs)), cpu: median(empty.map((r) => r.cpuMs)) };
    const rows: string[][] = [];
    const summary: string[][] = [];
    for (const c of cases) {
      const results = await sequence(runs, () => runMeshjob(cli, c.input, dir));
      if (results.some((r) => r.code !== 0 || r.outBytes < c.input.length)) throw new Error(`meshjob failed on the ${c.label}: exit codes ${results.map((r) => r.code)}`);
      const size = c.input.length / 1e6;
      const cpu = median(results.map((r) => r.cpuMs));
      const wall = median(results.map((r) => r.wallMs));
      const cpuRate = size / ((cpu - startup.cpu) / 1000);
      const wallRate = size / ((wall - startup.wall) / 1000);
      const rss = Math.max(...results.map((r) => r.rssMb));
      rows.push([c.label, fmt(c.docs), fmt(size, 1), fmt(c.jobs), fmt(cpu), fmt(wall), fmt(cpuRate, 1), fmt(wallRate, 1), fmt(rss)]);
      if (c.target) {
        summary.push([`throughput, ${c.label} (CPU; wall-clock ${fmt(wallRate, 1)} MB/s)`, `≥ ${TARGET.mbPerS} MB/s`, `${fmt(cpuRate, 1)} MB/s`, verdict(TARGET.mbPerS, cpuRate)]);
        summary.push([`peak RSS, ${c.label}`, `≤ ${TARGET.rssMb} MB`, `${fmt(rss)} MB`, verdict(rss, TARGET.rssMb)]);
      }
    }
    return [
      '',
      '## 4. The meshjob post-renderer on big streams',
      '',
      `\`meshjob ${ARGS.join(' ')}\` as its own process (src/ compiled with tsc, run by node), the stream on stdin and ` +
      'stdout read to the end, as Helm runs a post-renderer. The streams are the documents of test/fixtures/charts (ingress-nginx, ' +
      `Knative, kube-bench, descheduler) repeated, one Job or CronJob in every ${JOB_EVERY} documents. Throughput = stream MB / ` +
      `(median time − median time on empty input: ${fmt(startup.cpu)} ms CPU, ${fmt(startup.wall)} ms wall), judged on the process's ` +
      'CPU time (user + system, from `process.resourceUsage()` at exit) because the machine is shared; peak RSS = its VmHWM at exit, the ' +
      `largest of ${runs} run(s). Documents that are plainly not Jobs are copied without being parsed; each Job is parsed, ` +
      'changed in place, and read back when it has anchors, aliases or tags.',
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

async function sequence<T>(n: number, f: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await f());
  return out;
}
