// Wrapper latency in real shells against the fake Istio admin server (test/support/fake-proxy.ts),
// run as the kubelet would (test/support/wrapper-harness.ts: env from wrapperEnv, command from
// wrapperCommand, kubelet expansion), with the settings a default MeshJob renders.
//
// - ready→start: the fake proxy turns ready at a recorded instant (a random 150-250 ms after it
//   starts, so the instant falls at a random phase of the 20 ms poll cycle); the wrapped command is
//   `busybox wget http://127.0.0.1:<marker>/start/<run>`, a static binary whose request reaches a
//   marker server about a millisecond after exec: command start = that request's arrival.
// - exit→quit: command exit = the marker's answer (wget exits right after reading it); quit = the
//   arrival of POST /quitquitquit at the fake proxy. The marker answers 300 ms after the request
//   arrives, so the command runs that long, as a Job's command runs longer than the wrapper takes
//   to start its quit client (src/runtime/wrapper.sh arm_quit).
// - one busybox wget: the same static binary spawned from this process, GET to the marker (which
//   then answers at once): spawn → request arrival, and spawn → exit. The cost of one process the
//   wrapper starts, measured beside the wrapper in the same run.
// Every instant is CLOCK_MONOTONIC in this process (FakeProxy records nowMs()).
import { spawn } from 'child_process';
import { readFileSync } from 'fs';
import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import { App, Chart, Testing } from 'cdk8s';
import { Mesh, MeshJob } from '../src';
import { median, nowMs, percentile, progress } from './stats';
import { CONTAINER } from './synth';
import { HttpMethod } from '../src/meshes/endpoint';
import { WrapperSettings } from '../src/runtime/settings';
import { QUIT_PATH, READY_PATH } from '../test/support/fake-proxy';
import { settingsOf } from '../test/support/render';
import {
  cleanup, missingPrograms, runWrapper, SHELL_SETUPS, ShellSetup, sleep, startProxy,
} from '../test/support/wrapper-harness';

const BUSYBOX = '/usr/bin/busybox';

/** The timing settings a default `MeshJob` (Mesh.istio(), SidecarLifecycle.wrap()) renders. */
export function defaultTimings(): { settings: Partial<WrapperSettings>; env: Record<string, string> } {
  const chart = new Chart(new App(), 'bench');
  new MeshJob(chart, 'defaults', { mesh: Mesh.istio(), containers: [CONTAINER] });
  const job = Testing.synth(chart).find((o) => o.kind === 'Job');
  const env = settingsOf(job.spec.template.spec.containers[0]);
  const num = (name: string): number => {
    const v = Number(env[name]);
    if (!Number.isFinite(v)) throw new Error(`default MeshJob renders no numeric ${name}`);
    return v;
  };
  const delays = (env.MESHJOB_QUIT_DELAYS ?? '').split(' ').filter(Boolean).map(Number);
  return {
    env,
    settings: {
      readyTimeoutSeconds: num('MESHJOB_READY_TIMEOUT'),
      readyPollSeconds: num('MESHJOB_READY_POLL'),
      requestTimeoutSeconds: num('MESHJOB_REQUEST_TIMEOUT'),
      startOnReadyTimeout: env.MESHJOB_ON_READY_TIMEOUT === 'start',
      quitAttempts: delays.length + 1,
      quitRetryDelaySeconds: delays[0] ?? 0,
      keepProxyOnFailure: env.MESHJOB_KEEP_PROXY_ON_FAILURE === 'true',
      ...(env.MESHJOB_SIDECAR_STOP_TIMEOUT === undefined ? {} : { sidecarStopTimeoutSeconds: num('MESHJOB_SIDECAR_STOP_TIMEOUT') }),
    },
  };
}

interface Mark {
  readonly at: number;
  answeredAt?: number;
}

/** How long the marker holds its answer to /start/<run>: how long the measured command runs. */
export const COMMAND_RUNS_MS = 300;

/** Records GET /start/<run> requests on 127.0.0.1 and answers 200 (/start after COMMAND_RUNS_MS). */
class MarkerServer {
  public readonly marks = new Map<string, Mark>();
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      const mark: Mark = { at: nowMs() };
      this.marks.set(req.url ?? '', mark);
      req.resume();
      setTimeout(() => {
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Connection': 'close' });
        res.end('ok\n', () => (mark.answeredAt = nowMs()));
      }, (req.url ?? '').startsWith('/start/') ? COMMAND_RUNS_MS : 0);
    });
    this.server.keepAliveTimeout = 100;
  }

  public async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    return this;
  }

  public url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  public async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A deterministic uniform [0, 1) sequence (Park-Miller), so every run of the benchmark draws the same delays. */
function prng(seed: number): () => number {
  const m = 2147483647;
  let a = (seed % (m - 1)) + 1;
  return () => {
    a = (a * 48271) % m;
    return (a - 1) / (m - 1);
  };
}

export interface LatencySample {
  /** proxy ready → command's first request arrives. */
  readonly readyToStart: number;
  /** proxy ready → the wrapper's first poll answered 200. */
  readonly readyToOkPoll: number;
  /** that 200 answer → command's first request (fork, exec, connect). */
  readonly okPollToStart: number;
  /** command exit (marker answered) → POST /quitquitquit arrives. */
  readonly exitToQuit: number;
  /** command exit → the wrapper process has exited (seen by node). */
  readonly exitToWrapperExit: number;
  readonly polls: number;
}

/** One busybox wget spawned from this process. */
export interface WgetSample {
  /** spawn → the request's arrival. */
  readonly toRequest: number;
  /** spawn → the process has exited (seen by node). */
  readonly toExit: number;
}

export interface SetupLatency {
  readonly setup: string;
  readonly skipped?: string;
  readonly samples: LatencySample[];
  readonly failures: string[];
  /** VmHWM (KiB) of the wrapper shell process, one per memory run. */
  readonly vmHwmKiB: number[];
  /** RssAnon (KiB) of the wrapper shell at the last read before it exited. */
  readonly rssAnonKiB: number[];
}

export interface WrapperBench {
  readonly runs: number;
  readonly memoryRuns: number;
  readonly settings: Partial<WrapperSettings>;
  readonly setups: SetupLatency[];
  /** One busybox wget's cost, spawned between the wrapper runs of the same benchmark. */
  readonly wget: WgetSample[];
}

/** Spawns one busybox wget to the marker: its cost as one process the wrapper starts. */
async function wgetRun(marker: MarkerServer, id: string): Promise<WgetSample> {
  const path = `/wget/${id}`;
  const started = nowMs();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(BUSYBOX, ['wget', '-q', '-O', '/dev/null', marker.url(path)], { stdio: 'ignore' });
    child.on('exit', (c) => resolve(c));
  });
  const exited = nowMs();
  const mark = marker.marks.get(path);
  if (code !== 0 || !mark) throw new Error(`busybox wget exited ${code}${mark ? '' : ' and never reached the marker'}`);
  return { toRequest: mark.at - started, toExit: exited - started };
}

async function latencyRun(
  setup: ShellSetup, settings: Partial<WrapperSettings>, marker: MarkerServer, id: string, readyAfterMs: number,
): Promise<LatencySample> {
  const proxy = await startProxy({ readyAfterMs });
  const startPath = `/start/${id}`;
  try {
    const run = runWrapper({
      setup,
      settings: { ...settings, readyUrls: [proxy.readinessUrl], quit: [{ method: HttpMethod.POST, url: proxy.quitUrl }] },
      command: [BUSYBOX, 'wget', '-q', '-O', '/dev/null', marker.url(startPath)],
    });
    const r = await run.result;
    const start = marker.marks.get(startPath);
    const quit = proxy.quits[0];
    const polls = proxy.requestsTo(READY_PATH);
    const okPoll = polls.find((p) => p.status === 200);
    if (r.code !== 0 || r.killedByHarness) throw new Error(`wrapper exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
    if (!start || start.answeredAt === undefined) throw new Error('the command never reached the marker server');
    if (proxy.readyAt === undefined || !okPoll || okPoll.answeredAt === undefined) throw new Error('no ready poll answered 200');
    if (start.at < proxy.readyAt) throw new Error('the command started before the proxy was ready');
    if (!quit || quit.method !== 'POST' || quit.path !== QUIT_PATH || proxy.quits.length !== 1) throw new Error(`expected one POST ${QUIT_PATH}, got ${proxy.quits.length}`);
    return {
      readyToStart: start.at - proxy.readyAt,
      readyToOkPoll: okPoll.at - proxy.readyAt,
      okPollToStart: start.at - okPoll.answeredAt,
      exitToQuit: quit.at - start.answeredAt,
      exitToWrapperExit: r.exitedAt - start.answeredAt,
      polls: polls.length,
    };
  } finally {
    await cleanup();
  }
}

function status(pid: number): Record<string, number> | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const out: Record<string, number> = {};
    for (const m of text.matchAll(/^(VmHWM|VmRSS|RssAnon):\s+(\d+) kB$/gm)) out[m[1]] = Number(m[2]);
    return out.VmHWM === undefined ? undefined : out; // a zombie has no memory lines
  } catch {
    return undefined;
  }
}

/**
 * Peak RSS of the wrapper shell process: /proc/<pid>/status of the process the harness spawned
 * (the shell itself; its forks for `$(...)`, `timeout` and wget are other processes), read every
 * millisecond while it runs; VmHWM only grows, so the last read before the process exits is its
 * peak to within that millisecond.
 */
async function memoryRun(setup: ShellSetup, settings: Partial<WrapperSettings>): Promise<{ vmHwm: number; rssAnon: number }> {
  const proxy = await startProxy({ readyAfterMs: 100 });
  try {
    const run = runWrapper({
      setup,
      settings: { ...settings, readyUrls: [proxy.readinessUrl], quit: [{ method: HttpMethod.POST, url: proxy.quitUrl }] },
      command: [BUSYBOX, 'sleep', '0.1'],
    });
    let last: Record<string, number> | undefined;
    let exited = false;
    const result = run.result.then((r) => {
      exited = true;
      return r;
    });
    while (!exited) {
      last = status(run.pid) ?? last;
      await sleep(1);
    }
    const r = await result;
    if (r.code !== 0 || proxy.quits.length !== 1) throw new Error(`memory run: wrapper exited ${r.code ?? r.signal}, ${proxy.quits.length} quits`);
    if (!last) throw new Error('memory run: never read the wrapper\'s /proc status');
    return { vmHwm: last.VmHWM, rssAnon: last.RssAnon ?? NaN };
  } finally {
    await cleanup();
  }
}

export async function benchWrapper(runs: number, memoryRuns: number): Promise<WrapperBench> {
  const { settings } = defaultTimings();
  const marker = await new MarkerServer().start();
  const random = prng(20240601);
  const setups: SetupLatency[] = [];
  const wget: WgetSample[] = [];
  try {
    for (const [index, setup] of SHELL_SETUPS.entries()) {
      // The measured command is busybox wget, whatever the setup.
      const missing = [...new Set(missingPrograms({ ...setup, needs: [...setup.needs, BUSYBOX] }))];
      if (missing.length > 0) {
        setups.push({ setup: setup.name, skipped: `this machine lacks ${missing.join(', ')}`, samples: [], failures: [], vmHwmKiB: [], rssAnonKiB: [] });
        continue;
      }
      const samples: LatencySample[] = [];
      const failures: string[] = [];
      // One discarded run: page cache and the harness warm.
      await latencyRun(setup, settings, marker, `${index}/warm`, 150).catch(() => undefined);
      for (let i = 0; i < runs; i++) {
        try {
          samples.push(await latencyRun(setup, settings, marker, `${index}/${i}`, 150 + 100 * random()));
          // One busybox wget after each wrapper run: measured under the same conditions.
          wget.push(await wgetRun(marker, `${index}/${i}`));
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
      const vmHwmKiB: number[] = [];
      const rssAnonKiB: number[] = [];
      for (let i = 0; i < memoryRuns; i++) {
        try {
          const m = await memoryRun(setup, settings);
          vmHwmKiB.push(m.vmHwm);
          rssAnonKiB.push(m.rssAnon);
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
      progress(`wrapper on ${setup.name}: ${samples.length} runs, ready→start median ${median(samples.map((s) => s.readyToStart)).toFixed(1)} ms ` +
        `p95 ${percentile(samples.map((s) => s.readyToStart), 95).toFixed(1)} ms, exit→quit median ${median(samples.map((s) => s.exitToQuit)).toFixed(1)} ms, ` +
        `VmHWM ${median(vmHwmKiB)} KiB, ${failures.length} failures`);
      setups.push({ setup: setup.name, samples, failures, vmHwmKiB, rssAnonKiB });
    }
  } finally {
    await marker.close();
    await cleanup();
  }
  return { runs, memoryRuns, settings, setups, wget };
}
