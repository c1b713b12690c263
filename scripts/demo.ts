// `npx projen demo`: see a meshed Job finish. Renders examples/istio-job.ts with the library and
// runs its pod beside a stand-in for the istio-proxy Istio would inject (ready after a moment,
// stopped by POST /quitquitquit), then runs the same Job rendered as a plain cdk8s-plus Job, which
// keeps running until a cut-off. Prints both timelines.
//
// Where the pod runs: on podman when `podman info` works (test/support/podman.ts, the project's
// end-to-end harness: local images only, loopback-only pods), else on the in-process kubelet
// (test/support/pod.ts: the containers as processes of this machine, the proxy an HTTP server on
// 127.0.0.1). `--runtime podman` or `--runtime kubelet` chooses. Everything is local and bounded:
// the demo stops by itself, after 90 s at most.
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { IstioJobChart, REPORT_JOB } from '../examples/istio-job';
import { readWrapperCommand } from '../src/runtime/settings';
import { nowMs } from '../test/support/fake-proxy';
import { istioInjected } from '../test/support/injection';
import { kubeletFor } from '../test/support/pod';
import { podmanUnavailable, PodRun, removeLeftovers, runPod as runPodOnPodman } from '../test/support/podman';
import { podSpecOf, validateAll } from '../test/support/schema';
import { Child, cleanup, sleep, startProxy, tempDir } from '../test/support/wrapper-harness';

/** What an entry of a timeline tells. */
export enum DemoEvent {
  PROXY_STARTED = 'proxy started',
  PROXY_READY = 'proxy ready',
  COMMAND_STARTED = 'command started',
  COMMAND_EXITED = 'command exited',
  QUIT_SENT = 'quit sent',
  PROXY_GONE = 'proxy gone',
  CUT_OFF = 'cut-off',
  POD_PHASE = 'pod phase',
}

export interface TimelineEntry {
  readonly event: DemoEvent;
  /** Milliseconds since the pod's containers started; undefined when the runtime does not say. */
  readonly at?: number;
  /** The container it happened in (or "pod"). */
  readonly who: string;
  /** What a person reads. */
  readonly text: string;
}

export interface Timeline {
  readonly title: string;
  readonly entries: TimelineEntry[];
  readonly phase: 'Succeeded' | 'Failed' | 'Running';
}

export interface DemoTiming {
  /** When the stand-in proxy turns ready, after it started. */
  readonly proxyReadyAfterMs: number;
  /** How long the Job's command runs. */
  readonly commandMs: number;
  /** How long the plain Job is watched after its command ended. */
  readonly cutOffMs: number;
}

export const DEMO_TIMING: DemoTiming = { proxyReadyAfterMs: 1000, commandMs: 500, cutOffMs: 4000 };

const CUT_OFF_RUNNING = 'cut-off: still running, no quit was sent';
const CUT_OFF_GONE = 'cut-off: gone';

/** The proxy Istio injects: its name, and the admin ports the rendered pod calls. */
const PROXY = 'istio-proxy';
const READY_PORT = 15021;
const QUIT_PORT = 15020;

export interface DemoPods {
  /** examples/istio-job.ts rendered by MeshJob: the pod template of its Job. */
  readonly meshJob: any;
  /** The same Job as a plain cdk8s-plus Job. */
  readonly plain: any;
  /** Both Jobs' specs. */
  readonly jobSpecs: { readonly meshJob: any; readonly plain: any };
}

/** The one Job a chart renders, schema-checked. */
function theJob(chart: Chart): any {
  const jobs = validateAll(Testing.synth(chart)).filter((m) => m.kind === 'Job');
  if (jobs.length !== 1) throw new Error(`expected one Job, got ${jobs.length}`);
  return jobs[0];
}

/**
 * The Job of examples/istio-job.ts, once with MeshJob and once as a plain cdk8s-plus Job with the
 * same container and Job settings (test/demo.test.ts checks that they are the same).
 */
export function renderDemoPods(): DemoPods {
  const meshJob = theJob(new IstioJobChart(Testing.app(), 'istio-job'));
  const plainChart = new Chart(Testing.app(), 'istio-job');
  new kplus.Job(plainChart, 'report', REPORT_JOB);
  const plain = theJob(plainChart);
  return { meshJob: podSpecOf(meshJob), plain: podSpecOf(plain), jobSpecs: { meshJob: meshJob.spec, plain: plain.spec } };
}

/** The Job's own command and args, as written in the chart (for a wrapped container: after the wrapper's part). */
export function jobCommand(container: any): string[] {
  const command = readWrapperCommand(container.command)?.command ?? container.command;
  return [...command, ...(container.args ?? [])];
}

function quoted(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}

function phaseOf(codes: Record<string, number | 'running'>): Timeline['phase'] {
  const values = Object.values(codes);
  if (values.includes('running')) return 'Running';
  return values.every((c) => c === 0) ? 'Succeeded' : 'Failed';
}

function phaseEntry(codes: Record<string, number | 'running'>, at?: number): TimelineEntry {
  const phase = phaseOf(codes);
  const states = Object.entries(codes).map(([name, c]) => `${name} ${c === 'running' ? 'still running' : `exited ${c}`}`).join(', ');
  const meaning = phase === 'Running' ? ': the Job never completes' : phase === 'Succeeded' ? ': the Job completes' : ': the Job counts a failure';
  return { event: DemoEvent.POD_PHASE, at, who: 'pod', text: `${phase} (${states})${meaning}` };
}

function byTime(entries: TimelineEntry[]): TimelineEntry[] {
  // The pod phase comes last; everything else in the order it happened.
  return entries.filter((e) => e.at !== undefined || e.event === DemoEvent.POD_PHASE)
    .sort((a, b) => (a.event === DemoEvent.POD_PHASE ? 1 : b.event === DemoEvent.POD_PHASE ? -1 : a.at! - b.at!));
}

// ---------------------------------------------------------------------------------------------
// The in-process kubelet: test/support/pod.ts runs MeshJob's init container, then each container's
// rendered command with its rendered env, with no shell or tools on PATH (a FROM scratch image);
// the image's /report is the child fixture, and Istio's admin ports a FakeProxy's port.

/** Runs `pod`'s one container beside a stand-in istio-proxy on the in-process kubelet. */
export async function runOnKubelet(pod: any, timing: DemoTiming = DEMO_TIMING): Promise<TimelineEntry[]> {
  const container = pod.containers[0];
  const wrapped = readWrapperCommand(container.command) !== undefined;
  try {
    // The proxy's port is known only once it listens; the pod's containers start right after.
    const proxy = await startProxy({ readyAfterMs: timing.proxyReadyAfterMs, closeAfterQuit: true });
    const start = nowMs();
    // The stand-in proxy comes as Istio's injector adds it: with its mark on the pod.
    const kubelet = kubeletFor(pod, { [`localhost:${READY_PORT}`]: proxy.port, [`localhost:${QUIT_PORT}`]: proxy.port }, istioInjected());
    const child = new Child(tempDir(), container.name);
    const code = await kubelet.run(container, child.env({ sleepMs: timing.commandMs }));
    const ended = nowMs();
    // Nothing will stop the proxy of a plain Job: watch it until the cut-off.
    if (!wrapped) await sleep(timing.cutOffMs);
    const cutOff = nowMs();
    const report = child.report();
    const rel = (t: number | undefined) => (t === undefined ? undefined : t - start);
    const entries: TimelineEntry[] = [
      { event: DemoEvent.PROXY_STARTED, at: 0, who: PROXY, text: 'started (stand-in): GET /healthz/ready answers 503' },
      { event: DemoEvent.PROXY_READY, at: rel(proxy.readyAt), who: PROXY, text: 'ready: GET /healthz/ready answers 200' },
    ];
    if (report) {
      entries.push({ event: DemoEvent.COMMAND_STARTED, at: rel(report.startedAt), who: container.name, text: `command started: ${quoted(jobCommand(container))}` });
      entries.push({ event: DemoEvent.COMMAND_EXITED, at: rel(report.endedAt ?? ended), who: container.name, text: `command exited (code ${code})` });
    }
    for (const quit of proxy.quits) {
      entries.push({ event: DemoEvent.QUIT_SENT, at: rel(quit.at), who: PROXY, text: `quit sent: ${quit.method} :${QUIT_PORT}/quitquitquit answered ${quit.status}` });
    }
    if (proxy.closedAt !== undefined) entries.push({ event: DemoEvent.PROXY_GONE, at: rel(proxy.closedAt), who: PROXY, text: 'gone: exited 0 after the quit' });
    if (!wrapped) {
      entries.push({
        event: DemoEvent.CUT_OFF,
        at: rel(cutOff),
        who: PROXY,
        text: proxy.closedAt === undefined ? CUT_OFF_RUNNING : CUT_OFF_GONE,
      });
    }
    const codes: Record<string, number | 'running'> = { [container.name]: code ?? 128, [PROXY]: proxy.closedAt === undefined ? 'running' : 0 };
    entries.push(phaseEntry(codes));
    return byTime(entries);
  } finally {
    // Stops the stand-in proxy (the pod's deletion) and removes the temporary files.
    await cleanup();
  }
}

// ---------------------------------------------------------------------------------------------
// podman: test/support/podman.ts plays the pod with `podman kube play` (runc, local images built
// from Debian's busybox and a static stand-in, no network but the pod's loopback) beside a
// stand-in istio-proxy that serves pilot-agent's admin API.

/** Runs `pod` on podman beside a stand-in istio-proxy. */
export async function runOnPodman(pod: any, timing: DemoTiming = DEMO_TIMING): Promise<TimelineEntry[]> {
  const container = pod.containers[0];
  const wrapped = readWrapperCommand(container.command) !== undefined;
  const run: PodRun = await runPodOnPodman({
    pod,
    inject: [{
      name: PROXY,
      marks: istioInjected(),
      env: { MJT_ROUTES: `${READY_PORT}:GET:/healthz/ready:ready ${QUIT_PORT}:POST:/quitquitquit:quit=200`, MJT_READY_AFTER_MS: String(timing.proxyReadyAfterMs) },
    }],
    env: { [container.name]: { MJT_SLEEP_MS: String(timing.commandMs) } },
    settleMs: timing.cutOffMs,
    limitMs: 30_000,
  });
  // The pod's start: the first record of any of its containers (the proxy listening, or a plain
  // Job's command, which podman may start first).
  const firsts = [run.at(PROXY, 'listen'), run.at(container.name, 'start')].filter((t): t is number => t !== undefined);
  const start = firsts.length > 0 ? Math.min(...firsts) : 0;
  const proxyStarted = run.at(PROXY, 'listen');
  const rel = (t: number | undefined) => (t === undefined ? undefined : t - start);
  const entries: TimelineEntry[] = [
    { event: DemoEvent.PROXY_STARTED, at: rel(proxyStarted), who: PROXY, text: 'started (stand-in): GET /healthz/ready answers 503' },
    { event: DemoEvent.PROXY_READY, at: rel(run.at(PROXY, 'ready')), who: PROXY, text: 'ready: GET /healthz/ready answers 200' },
  ];
  const code = run.exitCodes[container.name];
  if (run.at(container.name, 'start') !== undefined) {
    entries.push({ event: DemoEvent.COMMAND_STARTED, at: rel(run.at(container.name, 'start')), who: container.name, text: `command started: ${quoted(jobCommand(container))}` });
    entries.push({ event: DemoEvent.COMMAND_EXITED, at: rel(run.at(container.name, 'end')), who: container.name, text: `command exited (code ${code})` });
  }
  for (const r of run.records(PROXY).filter((x) => x.kind === 'req' && x.fields[2] === '/quitquitquit')) {
    entries.push({ event: DemoEvent.QUIT_SENT, at: rel(r.at), who: PROXY, text: `quit sent: ${r.fields[1]} :${r.fields[0]}/quitquitquit answered ${r.fields[3]}` });
  }
  const exit = run.records(PROXY).find((r) => r.kind === 'exit');
  if (exit) entries.push({ event: DemoEvent.PROXY_GONE, at: rel(exit.at), who: PROXY, text: `gone: exited ${run.exitCodes[PROXY]} after the ${exit.fields[0] === 'quit' ? 'quit' : exit.fields[0]}` });
  if (!wrapped) {
    const ended = rel(run.at(container.name, 'end'));
    entries.push({
      event: DemoEvent.CUT_OFF,
      at: ended === undefined ? undefined : ended + timing.cutOffMs,
      who: PROXY,
      text: run.exitCodes[PROXY] === 'running' ? CUT_OFF_RUNNING : CUT_OFF_GONE,
    });
  }
  entries.push(phaseEntry({ [container.name]: code, [PROXY]: run.exitCodes[PROXY] }));
  return byTime(entries);
}

// ---------------------------------------------------------------------------------------------

export type DemoRuntime = 'podman' | 'kubelet';

/** Both runs of the demo on one runtime: MeshJob's Job, then the plain Job. */
export async function demo(runtime: DemoRuntime, timing: DemoTiming = DEMO_TIMING): Promise<Timeline[]> {
  const pods = renderDemoPods();
  const run = runtime === 'podman' ? runOnPodman : runOnKubelet;
  const timelines: Timeline[] = [];
  for (const [title, pod] of [
    ['With MeshJob: examples/istio-job.ts', pods.meshJob],
    ['Without MeshJob: the same Job as a plain cdk8s-plus Job', pods.plain],
  ] as const) {
    const entries = await run(pod, timing);
    const phase = entries.find((e) => e.event === DemoEvent.POD_PHASE)!.text.split(' ')[0] as Timeline['phase'];
    timelines.push({ title, entries, phase });
  }
  return timelines;
}

/** A timeline as the demo prints it: one line per event, times in seconds since the pod started. */
export function formatTimeline(t: Timeline): string {
  const who = Math.max(...t.entries.map((e) => e.who.length));
  const lines = t.entries.map((e) => {
    const at = e.at === undefined ? ''.padStart(9) : `+${(e.at / 1000).toFixed(3)} s`.padStart(9);
    return `  ${at}  ${e.who.padEnd(who)}  ${e.text}`;
  });
  return [t.title, ...lines].join('\n');
}

/** Every process descended from `pid` (Linux /proc), children before their parents' parents. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(join('/proc', entry, 'stat'), 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parents) {
      if (parent === p) {
        walk(child);
        found.push(child);
      }
    }
  };
  walk(pid);
  return found;
}

function parseRuntime(argv: string[]): DemoRuntime | undefined {
  const i = argv.indexOf('--runtime');
  const value = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--runtime='))?.slice('--runtime='.length);
  if (value === undefined) return undefined;
  if (value !== 'podman' && value !== 'kubelet') throw new Error(`--runtime ${value}: use podman or kubelet`);
  return value;
}

async function main(): Promise<number> {
  const asked = parseRuntime(process.argv.slice(2));
  let runtime: DemoRuntime = asked ?? 'kubelet';
  if (asked !== 'kubelet') {
    const unavailable = podmanUnavailable();
    if (unavailable === undefined) runtime = 'podman';
    else if (asked === 'podman') throw new Error(unavailable);
    else console.log(`podman is not available here (${unavailable}): the pods run on the in-process kubelet.\n`);
  }
  const where = runtime === 'podman'
    ? 'on podman (test/support/podman.ts: local images, loopback-only pod)'
    : 'on the in-process kubelet (test/support/pod.ts: the containers as local processes)';
  console.log([
    `Each pod runs ${where},`,
    `beside a stand-in istio-proxy that turns ready ${DEMO_TIMING.proxyReadyAfterMs / 1000} s after it starts and exits on POST /quitquitquit.`,
    `The command runs ${DEMO_TIMING.commandMs / 1000} s; the plain Job is watched until ${DEMO_TIMING.cutOffMs / 1000} s after it ended (the cut-off).`,
    'Times are since the first container of the pod started.',
    '',
  ].join('\n'));
  let timelines: Timeline[];
  try {
    timelines = await demo(runtime);
  } finally {
    if (runtime === 'podman') await removeLeftovers();
  }
  console.log(timelines.map(formatTimeline).join('\n\n'));
  const [withMeshJob, without] = timelines;
  const asExpected = withMeshJob.phase === 'Succeeded' && without.phase === 'Running';
  if (!asExpected) console.log(`\nunexpected: with MeshJob the pod is ${withMeshJob.phase} (expected Succeeded), without it ${without.phase} (expected Running)`);
  return asExpected ? 0 : 1;
}

if (require.main === module) {
  // A hard bound, whatever happens: the demo never runs longer than this.
  // The pods' processes on the in-process kubelet are this process's children: they go too.
  const guard = setTimeout(() => {
    console.error('demo: still running after 90 s; giving up');
    for (const pid of descendants(process.pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    process.exit(1);
  }, 90_000);
  guard.unref();
  main().then((code) => process.exit(code), (e) => {
    console.error(`demo: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  });
}
