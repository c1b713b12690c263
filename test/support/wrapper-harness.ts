import { ChildProcess, spawn } from 'child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { delimiter, join } from 'path';
import { FakeProxy, FakeProxyOptions, nowMs } from './fake-proxy';
import { expandKubelet, LABELS_AND_ANNOTATIONS, PodMetadata, writeDownwardApi } from './kubelet';
import { wrapperCommand, WrapperSettings } from '../../src/runtime/settings';
import { HttpClient } from '../../src/runtime/wrapper-runtime';

/** The PATH a minimal container image has. */
export const MINIMAL_PATH = '/usr/local/bin:/usr/bin:/bin';

/** How the wrapper's shell and HTTP client are provided: one per production runtime form. */
export interface ShellSetup {
  readonly name: string;
  /** What `wrapperCommand` is given. */
  readonly shell: string[];
  /** `WrapperSettings.busybox`. */
  readonly busybox?: string;
  readonly httpClient: HttpClient;
  /** Programs the setup needs: absolute paths, or names looked up on MINIMAL_PATH. */
  readonly needs: string[];
}

export const SHELL_SETUPS: ShellSetup[] = [
  {
    name: 'dash + busybox wget',
    shell: ['/usr/bin/dash'],
    busybox: '/usr/bin/busybox',
    httpClient: HttpClient.WGET,
    needs: ['/usr/bin/dash', '/usr/bin/busybox'],
  },
  {
    // The production "busybox runtime": busybox copied into the shared volume runs the script.
    name: 'busybox sh',
    shell: ['/usr/bin/busybox', 'sh'],
    busybox: '/usr/bin/busybox',
    httpClient: HttpClient.WGET,
    needs: ['/usr/bin/busybox'],
  },
  {
    // The production "image shell" runtime with curl: the image's own tools on PATH.
    name: 'dash + curl',
    shell: ['/usr/bin/dash'],
    httpClient: HttpClient.CURL,
    needs: ['/usr/bin/dash', 'curl', 'sleep'],
  },
];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The programs of `setup.needs` this machine lacks (empty when the setup can run). */
export function missingPrograms(setup: ShellSetup): string[] {
  return setup.needs.filter((p) =>
    p.startsWith('/') ? !executable(p) : !MINIMAL_PATH.split(delimiter).some((d) => executable(join(d, p))),
  );
}

// ---------------------------------------------------------------------------------------------
// Resources of the running test, released by cleanup() (call it in afterEach).

const liveProcesses = new Set<ChildProcess>();
const liveProxies = new Set<FakeProxy>();
const tempDirs = new Set<string>();

/** A fresh temporary directory, removed by cleanup(). */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshjob-wrapper-'));
  tempDirs.add(dir);
  return dir;
}

/** A started FakeProxy, closed by cleanup(). */
export async function startProxy(options: FakeProxyOptions = {}): Promise<FakeProxy> {
  const proxy = new FakeProxy(options);
  liveProxies.add(proxy);
  return proxy.start();
}

/** SIGKILLs the process group `pid` leads (the wrapper and its command), or else the process. */
function killGroup(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
      return;
    } catch {
      // not a group leader, or gone
    }
  }
}

/** Kills every process group still running, closes every proxy, removes every temp dir. */
export async function cleanup(): Promise<void> {
  const exits: Array<Promise<void>> = [];
  for (const p of liveProcesses) {
    if (p.pid !== undefined) killGroup(p.pid);
    if (p.exitCode === null && p.signalCode === null) {
      exits.push(new Promise((resolve) => p.once('exit', () => resolve())));
    }
  }
  await Promise.all(exits);
  for (const p of liveProcesses) {
    p.stdin?.destroy();
    p.stdout?.destroy();
    p.stderr?.destroy();
  }
  liveProcesses.clear();
  await Promise.all([...liveProxies].map((p) => p.close()));
  liveProxies.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

// ---------------------------------------------------------------------------------------------
// The child fixture: the "original command" the wrapper runs.

export const CHILD_JS = join(__dirname, 'fixtures', 'child.js');
export const IGNORES_SIGINT_SH = join(__dirname, 'fixtures', 'ignores-sigint.sh');

export interface ChildBehaviour {
  /** Exit code (default 0). */
  readonly exit?: number;
  /** Die of this signal instead of exiting. */
  readonly kill?: NodeJS.Signals;
  /** Run this long (default 0). */
  readonly sleepMs?: number;
  /** End at this nowMs() instant instead. */
  readonly exitAt?: number;
  /** Handle these signals: write the marker, then die of the signal. */
  readonly trap?: NodeJS.Signals[];
  /** Copy stdin to stdout and into the report. */
  readonly echoStdin?: boolean;
}

export interface ChildReport {
  readonly pid: number;
  readonly argv: string[];
  readonly startedAt: number;
  /** Set just before the child exits (or kills itself). */
  readonly endedAt?: number;
  readonly stdin?: string;
}

export interface ChildMarker {
  readonly signal: string;
  readonly at: number;
}

/** One child fixture's files and environment. */
export class Child {
  /** The container `command` that runs the fixture. */
  public static readonly command = [process.execPath, CHILD_JS];

  public readonly reportPath: string;
  public readonly markerPath: string;

  constructor(dir: string, name = 'child') {
    this.reportPath = join(dir, `${name}.report.json`);
    this.markerPath = join(dir, `${name}.marker.json`);
  }

  /** The container env that makes the fixture behave as asked. */
  public env(b: ChildBehaviour = {}): Record<string, string> {
    const env: Record<string, string> = { MJT_REPORT: this.reportPath, MJT_MARKER: this.markerPath };
    if (b.exit !== undefined) env.MJT_EXIT = String(b.exit);
    if (b.kill !== undefined) env.MJT_KILL = b.kill;
    if (b.sleepMs !== undefined) env.MJT_SLEEP_MS = String(b.sleepMs);
    if (b.exitAt !== undefined) env.MJT_EXIT_AT = String(b.exitAt);
    if (b.trap !== undefined) env.MJT_TRAP = b.trap.join(',');
    if (b.echoStdin) env.MJT_STDIN = '1';
    return env;
  }

  /** Whether the fixture has started (its report exists). */
  public get hasStarted(): boolean {
    return existsSync(this.reportPath);
  }

  /** The fixture's report, or undefined when it never started. */
  public report(): ChildReport | undefined {
    return this.hasStarted ? JSON.parse(readFileSync(this.reportPath, 'utf8')) : undefined;
  }

  /** The signal marker, or undefined when no trapped signal came. */
  public marker(): ChildMarker | undefined {
    return existsSync(this.markerPath) ? JSON.parse(readFileSync(this.markerPath, 'utf8')) : undefined;
  }

  /** Resolves once the fixture has ended: its process is gone or a zombie. */
  public async ended(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pid = this.report()?.pid;
      if (pid !== undefined && this.report()?.endedAt !== undefined && !processRunning(pid)) return;
      if (Date.now() > deadline) throw new Error(`child fixture did not end: ${this.reportPath}`);
      await sleep(5);
    }
  }

  /** Resolves once the fixture has started. */
  public async started(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.hasStarted) {
      if (Date.now() > deadline) throw new Error(`child fixture did not start: no ${this.reportPath}`);
      await sleep(5);
    }
  }
}

/** Whether a process exists and is not a zombie. */
export function processRunning(pid: number): boolean {
  const stat = statOf(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** A process's state and process group (Linux /proc/PID/stat: after the command name in parentheses, state, ppid, pgrp); undefined once it is gone. */
function statOf(pid: number | string): { state: string; pgrp: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state, pgrp: Number(pgrp) };
  } catch {
    return undefined;
  }
}

/** The child processes of a process (Linux /proc). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The CPUs this process may run on (Linux /proc Cpus_allowed_list, e.g. "0-3,8"). */
export function allowedCpus(): number[] {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('Cpus_allowed_list:'));
  return (line?.split(':')[1].trim() ?? '').split(',').filter(Boolean).flatMap((range) => {
    const [first, last = first] = range.split('-').map(Number);
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  });
}

/** Resolves once `condition()` holds (polled every 5 ms); rejects after timeoutMs. */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// Running the wrapper as the kubelet would.

/** Settings every test starts from: one container, no proxy, short delays. */
/**
 * The container's termination message file, beside the shared dir (never the host's
 * /dev/termination-log): what the kubelet mounts at terminationMessagePath.
 */
export function terminationLogOf(s: { dir: string; container: string }): string {
  return join(s.dir, '..', `termination-log.${s.container}`);
}

export function baseSettings(setup: ShellSetup, dir: string): WrapperSettings {
  return {
    container: 'main',
    peers: ['main'],
    sidecarStopTimeoutSeconds: 5,
    httpClient: setup.httpClient,
    busybox: setup.busybox,
    readyTimeoutSeconds: 5,
    readyPollSeconds: 0.02,
    requestTimeoutSeconds: 2,
    startOnReadyTimeout: false,
    quit: [],
    quitAttempts: 3,
    quitRetryDelaySeconds: 0.05,
    keepProxyOnFailure: false,
    dir,
  };
}

export interface SignalAt {
  readonly signal: NodeJS.Signals;
  /** Milliseconds after the wrapper was spawned, or a condition to wait for (e.g. child.started()). */
  readonly at: number | (() => Promise<unknown>);
}

export interface RunOptions {
  readonly setup: ShellSetup;
  /** Overrides of baseSettings(); `dir` defaults to a fresh temp dir. */
  readonly settings?: Partial<WrapperSettings>;
  /**
   * The container's own `command` (what the wrapper's command array is followed by).
   * Default: the child fixture. Like everything in `command` and `args`, kubelet-expanded.
   */
  readonly command?: string[];
  /** The container's `args`. */
  readonly args?: string[];
  /** The container's other env vars (e.g. the child fixture's). */
  readonly env?: Record<string, string>;
  /** Written to the wrapper's stdin, which is then closed (default: closed at once). */
  readonly stdin?: string;
  readonly signals?: SignalAt[];
  /** Pin the wrapper (and so its command) to this CPU, as a static CPU manager policy does. */
  readonly cpu?: number;
  /** The wrapper's process group is SIGKILLed after this long (default 15 s). */
  readonly deadlineMs?: number;
  /**
   * The pod's metadata as a downward API volume shows it (files `annotations` and `labels`, written
   * as the kubelet writes them), at `settings.podInfoDir` or else a fresh directory it then names.
   */
  readonly podInfo?: PodMetadata;
}

export interface WrapperResult {
  /** Exit code; null when it died of a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Non-empty stderr lines. */
  readonly stderrLines: string[];
  readonly spawnedAt: number;
  readonly exitedAt: number;
  /** The harness's deadline killed it. */
  readonly killedByHarness: boolean;
}

export interface WrapperRun {
  readonly pid: number;
  /** The argv it was spawned with (after kubelet expansion). */
  readonly argv: string[];
  readonly result: Promise<WrapperResult>;
  /** Sends a signal to the wrapper process only, as the container runtime does. */
  kill(signal: NodeJS.Signals): void;
}

/**
 * The live processes (not zombies) of process group `pgid`, each as its argv: what a wrapper spawned
 * with runWrapper (a group of its own) left running.
 */
export function liveProcessesOfGroup(pgid: number): string[][] {
  const out: string[][] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statOf(entry);
    if (stat?.pgrp !== pgid || stat.state === 'Z') continue;
    try {
      out.push(readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').slice(0, -1));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Debian's essential perl-base and util-linux. */
export const PERL = '/usr/bin/perl';
export const TASKSET = '/usr/bin/taskset';

/**
 * Spawns the wrapper the way the kubelet starts a wrapped container: `command` is
 * [...wrapperCommand(shell, settings), ...container command], `args` the container's args; every element is
 * kubelet-expanded with the container's env; the process env is that env over a minimal PATH.
 */
export function runWrapper(options: RunOptions): WrapperRun {
  const merged = { ...baseSettings(options.setup, options.settings?.dir ?? sharedDir()), ...options.settings };
  let podInfoDir = merged.podInfoDir;
  if (options.podInfo) {
    podInfoDir ??= join(tempDir(), 'pod');
    mkdirSync(podInfoDir, { recursive: true });
    writeDownwardApi(podInfoDir, options.podInfo, LABELS_AND_ANNOTATIONS);
  }
  const settings: WrapperSettings = { ...merged, podInfoDir, terminationMessagePath: merged.terminationMessagePath ?? terminationLogOf(merged) };
  const containerEnv: Record<string, string> = { ...options.env };
  const specCommand = [...wrapperCommand(options.setup.shell, settings), ...(options.command ?? Child.command)];
  const argv = [...specCommand, ...(options.args ?? [])].map((s) => expandKubelet(s, containerEnv));

  const spawnedAt = nowMs();
  const env = { PATH: MINIMAL_PATH, ...containerEnv };
  // A session and process group of its own, so that cleanup() can kill it with its command;
  // when pinned, through taskset, which execs it with the same argv and env.
  const pin = options.cpu === undefined ? [] : [TASKSET, '-c', String(options.cpu)];
  const [file, ...args] = [...pin, ...argv];
  const child = spawn(file, args, { env, stdio: 'pipe', detached: true });
  child.on('error', () => undefined); // a failed spawn is reported just below
  liveProcesses.add(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${file}`);

  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.stdin ?? '');

  let killedByHarness = false;
  const deadline = setTimeout(() => {
    killedByHarness = true;
    killGroup(pid);
  }, options.deadlineMs ?? 15_000);

  const kill = (signal: NodeJS.Signals): void => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, signal);
  };
  for (const s of options.signals ?? []) {
    const when = typeof s.at === 'number' ? sleep(s.at) : s.at();
    void when.then(() => kill(s.signal), () => undefined);
  }

  const result = new Promise<WrapperResult>((resolve) => {
    child.once('exit', (code, signal) => {
      const exitedAt = nowMs();
      clearTimeout(deadline);
      // stdout/stderr end when every holder closes them; do not wait on a stray grandchild.
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(grace);
        resolve({
          code,
          signal,
          stdout,
          stderr,
          stderrLines: stderr.split('\n').filter((l) => l.trim() !== ''),
          spawnedAt,
          exitedAt,
          killedByHarness,
        });
      };
      const grace = setTimeout(finish, 2000);
      if (child.stdout.readableEnded && child.stderr.readableEnded) finish();
      else child.once('close', finish);
    });
  });

  return { pid, argv, kill, result };
}

/** A fresh shared dir (the emptyDir every wrapped container of a pod mounts). */
export function sharedDir(): string {
  const dir = join(tempDir(), 'shared');
  mkdirSync(dir);
  return dir;
}
