import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { CHAOS_QUIT_PATH, CHAOS_READY_PATH, ChaosOptions, ChaosProxy, Ending } from './chaos-proxy';
import { HttpMethod, QuitCall } from '../../src/meshes/endpoint';
import { WrapperExitCode } from '../../src/runtime/exit-codes';
import { WrapperSettings } from '../../src/runtime/settings';
import { FakeProxy } from '../support/fake-proxy';
import {
  Child, ChildBehaviour, cleanup, missingPrograms, processRunning, runWrapper, SHELL_SETUPS, ShellSetup, SignalAt, sleep, tempDir, until,
  WrapperResult,
} from '../support/wrapper-harness';

// The fault matrix: each row is a fault, executed for real (real shells, real wget/curl, a
// misbehaving proxy on 127.0.0.1), with the outcome written down before the run: the wrapper's
// exit code (or death signal), its stderr lines, whether the command ran, how every quit request
// ended (an HTTP status, 'reset' by the proxy, 'abandoned' by the wrapper's request timeout), and
// for readiness the sequence of distinct endings. Time is bounded by each row's jest timeout,
// never asserted as a duration.
//
// Faults already covered in test/runtime/wrapper.test.ts are not repeated here (docs/guarantees.md
// lists them): proxy answering 503 forever (exit 75), quit 500/500/200 retried, quit 403 not
// retried, quit refused at quit time (bounded), quit hanging (bounded), the command dying of
// SIGKILL/SIGSEGV/SIGTERM (128+N), SIGTERM while polling readiness, SIGTERM while the command runs.

const SHELL_JOB_NOTICE = /^(Terminated|Killed|Segmentation fault|Aborted)( \(core dumped\))?$/;
const post = (url: string): QuitCall => ({ method: HttpMethod.POST, url });

/** What a row asserts, all at once. */
interface Outcome {
  /** Exit code, or null when the wrapper died of a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** stderr lines, less the shell's job notices, with every port shown as <port> (a row may match a line by pattern). */
  readonly stderr: unknown[];
  readonly commandRan: boolean;
  /** The distinct endings of the readiness requests, in order ("abandoned → 200"), or "none". */
  readonly readiness: string;
  /** How each quit request ended, in order. */
  readonly quits: Ending[];
  /** Extra facts a row checks (e.g. how many SIGTERMs the command got). */
  readonly extra?: Record<string, unknown>;
}

interface RowContext {
  readonly setup: ShellSetup;
  /** The proxy, or undefined when the row has none (nothing listens at `gone`). */
  readonly proxy?: ChaosProxy;
  /** A loopback port where nothing listens. */
  readonly gone: number;
  readonly child: Child;
  readonly dir: string;
}

interface Row {
  readonly fault: string;
  /** The proxy's behaviour, or 'absent' for none at all. */
  readonly proxy: ChaosOptions | 'absent';
  readonly settings: (ctx: RowContext) => Partial<WrapperSettings>;
  readonly child?: ChildBehaviour;
  /** The container's command instead of the child fixture. */
  readonly command?: (ctx: RowContext) => string[];
  /** Runs the wrapper and acts on it; default: runWrapper with the child fixture. */
  readonly run?: (ctx: RowContext, settings: Partial<WrapperSettings>) => Promise<{ result: WrapperResult; extra?: Record<string, unknown> }>;
  readonly signals?: (ctx: RowContext) => SignalAt[];
  /** Done while the command runs (e.g. the proxy goes away). */
  readonly whileRunning?: (ctx: RowContext) => Promise<void>;
  readonly expected: Outcome;
  /** The row's time bound (jest timeout). */
  readonly boundMs: number;
}

const line = (text: string): string => `meshjob[main]: ${text}`;
const QUIT_URL = 'http://127.0.0.1:<port>/quitquitquit';
const READY_URL = 'http://127.0.0.1:<port>/healthz/ready';

/**
 * A command that traps SIGTERM, records each one and keeps running; with MJT_EXIT_AFTER_TERM=N it
 * exits 7 about N×50 ms after the first SIGTERM, else only SIGKILL ends it (the kubelet's, after
 * terminationGracePeriodSeconds).
 */
const IGNORES_TERM_SH = `trap 'echo TERM >> "$MJT_MARKER"' TERM
echo started > "$MJT_REPORT"
i=0
while :; do
  sleep 0.05
  if [ -n "$MJT_EXIT_AFTER_TERM" ] && [ -s "$MJT_MARKER" ]; then
    i=$((i + 1))
    [ "$i" -ge "$MJT_EXIT_AFTER_TERM" ] && exit 7
  fi
done
`;

/** Runs the SIGTERM-ignoring command, sends SIGTERM once it runs, then SIGKILLs the group after `graceMs` as the kubelet would. */
async function ignoringTerm(ctx: RowContext, settings: Partial<WrapperSettings>, exitAfterTerm?: number, graceMs = 800) {
  const script = join(ctx.dir, 'ignores-term.sh');
  writeFileSync(script, IGNORES_TERM_SH);
  const env: Record<string, string> = { MJT_REPORT: ctx.child.reportPath, MJT_MARKER: ctx.child.markerPath };
  if (exitAfterTerm !== undefined) env.MJT_EXIT_AFTER_TERM = String(exitAfterTerm);
  const run = runWrapper({ setup: ctx.setup, command: [...ctx.setup.shell, script], env, settings, deadlineMs: 30_000 });
  await ctx.child.started();
  run.kill('SIGTERM');
  const terms = (): number => {
    try {
      return readFileSync(ctx.child.markerPath, 'utf8').split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  await until(() => terms() > 0, 'the command got SIGTERM');
  // The grace period: whatever the wrapper does on its own, it does now.
  let exited = false;
  void run.result.then(() => (exited = true));
  await sleep(graceMs);
  const exitedOnItsOwn = exited;
  const aliveAtGraceEnd = processRunning(run.pid);
  if (aliveAtGraceEnd) process.kill(-run.pid, 'SIGKILL');
  const result = await run.result;
  return { result, extra: { termsForwarded: terms(), wrapperAliveAtGraceEnd: aliveAtGraceEnd, exitedOnItsOwn } };
}

const ROWS: Row[] = [
  {
    fault: 'proxy absent entirely: nothing listens at the readiness or the quit URL',
    proxy: 'absent',
    settings: ({ gone }) => ({
      readyUrls: [`http://127.0.0.1:${gone}/healthz/ready`], readyTimeoutSeconds: 1, quit: [post(`http://127.0.0.1:${gone}/quitquitquit`)],
    }),
    expected: {
      code: WrapperExitCode.PROXY_NOT_READY,
      signal: null,
      stderr: [
        line(`not ready at ${READY_URL} after 1s: exiting 75 without running the command`),
        line(`POST ${QUIT_URL}: refused (attempts: 3): the sidecar may still be running`),
      ],
      commandRan: false,
      readiness: 'none',
      quits: [],
    },
    boundMs: 10_000,
  },
  {
    fault: 'readiness answers always slower than the per-request timeout',
    proxy: { ready: [{ delayMs: 5000, status: 200 }] },
    settings: ({ proxy }) => ({ readyUrls: [proxy!.readinessUrl], requestTimeoutSeconds: 1, readyTimeoutSeconds: 2, quit: [post(proxy!.quitUrl)] }),
    expected: {
      code: WrapperExitCode.PROXY_NOT_READY,
      signal: null,
      stderr: [line(`not ready at ${READY_URL} after 2s: exiting 75 without running the command`)],
      commandRan: false,
      readiness: 'abandoned',
      quits: [200],
    },
    boundMs: 12_000,
  },
  {
    fault: 'readiness answers slower than the per-request timeout twice, then at once',
    proxy: { ready: [{ delayMs: 5000, status: 200 }, { delayMs: 5000, status: 200 }, 200] },
    settings: ({ proxy }) => ({ readyUrls: [proxy!.readinessUrl], requestTimeoutSeconds: 1, readyTimeoutSeconds: 20, quit: [post(proxy!.quitUrl)] }),
    child: { exit: 0 },
    expected: {
      code: 0,
      signal: null,
      stderr: [],
      commandRan: true,
      readiness: 'abandoned → 200',
      quits: [200],
      extra: { startedAfterFirstReady: true, slowRequestsGivenUp: 2 },
    },
    boundMs: 12_000,
  },
  {
    fault: 'proxy ready, then gone (server closed) while the command runs, before the quit',
    proxy: {},
    settings: ({ proxy }) => ({ readyUrls: [proxy!.readinessUrl], quit: [post(proxy!.quitUrl)], quitAttempts: 3 }),
    child: { exit: 5, sleepMs: 400 },
    whileRunning: async ({ proxy, child }) => {
      await child.started();
      await proxy!.close();
    },
    // Refused every time: never answered, so every attempt is made, then one line.
    expected: { code: 5, signal: null, stderr: [line(`POST ${QUIT_URL}: refused (attempts: 3): the sidecar may still be running`)], commandRan: true, readiness: '200', quits: [] },
    boundMs: 10_000,
  },
  {
    fault: 'quit answering 500 every time',
    proxy: { quit: [500] },
    settings: ({ proxy }) => ({ readyUrls: [proxy!.readinessUrl], quit: [post(proxy!.quitUrl)], quitAttempts: 3 }),
    child: { exit: 3 },
    expected: {
      code: 3,
      signal: null,
      stderr: [line(`POST ${QUIT_URL}: answered 500 (attempts: 3): the sidecar may still be running`)],
      commandRan: true,
      readiness: '200',
      quits: [500, 500, 500],
    },
    boundMs: 10_000,
  },
  {
    fault: 'quit answering 404 (e.g. Linkerd without proxy-admin-shutdown)',
    proxy: { quit: [404, 200] },
    settings: ({ proxy }) => ({ readyUrls: [proxy!.readinessUrl], quit: [post(proxy!.quitUrl)], quitAttempts: 3 }),
    child: { exit: 0 },
    expected: {
      code: 0,
      signal: null,
      stderr: [line(`POST ${QUIT_URL} answered 404: not retried; the sidecar may still be running`)],
      commandRan: true,
      readiness: '200',
      quits: [404],
    },
    boundMs: 10_000,
  },
  {
    fault: 'quit answering 405 (GET to a POST-only endpoint)',
    proxy: { quitMethods: ['POST'] },
    settings: ({ proxy }) => ({ readyUrls: [proxy!.readinessUrl], quit: [{ method: HttpMethod.GET, url: proxy!.quitUrl }], quitAttempts: 3 }),
    child: { exit: 1 },
    expected: {
      code: 1,
      signal: null,
      stderr: [line(`GET ${QUIT_URL} answered 405: not retried; the sidecar may still be running`)],
      commandRan: true,
      readiness: '200',
      quits: [405],
    },
    boundMs: 10_000,
  },
  {
    fault: 'quit connection reset every time (socket destroyed, no answer)',
    proxy: { quit: ['reset'] },
    settings: ({ proxy }) => ({ readyUrls: [proxy!.readinessUrl], quit: [post(proxy!.quitUrl)], quitAttempts: 5 }),
    child: { exit: 2 },
    // Never answered: every attempt is made, then one line; the exit code stays the command's.
    expected: {
      code: 2, signal: null, stderr: [line(`POST ${QUIT_URL}: got no answer (attempts: 5): the sidecar may still be running`)], commandRan: true, readiness: '200', quits: ['reset', 'reset', 'reset', 'reset', 'reset'],
    },
    boundMs: 10_000,
  },
  {
    fault: 'quit connection reset once, then answered 200',
    proxy: { quit: ['reset', 200] },
    settings: ({ proxy }) => ({ readyUrls: [proxy!.readinessUrl], quit: [post(proxy!.quitUrl)], quitAttempts: 5 }),
    child: { exit: 0 },
    expected: { code: 0, signal: null, stderr: [], commandRan: true, readiness: '200', quits: ['reset', 200] },
    boundMs: 10_000,
  },
  {
    fault: 'the command does not exist (a typo in `command`)',
    proxy: {},
    settings: ({ proxy }) => ({ readyUrls: [proxy!.readinessUrl], quit: [post(proxy!.quitUrl)] }),
    command: () => ['/nonexistent/report', '--since', '24h'],
    // The shell's own message, then the usual end: 127, and the proxy is still stopped.
    expected: {
      code: 127, signal: null, stderr: [expect.stringMatching(/^meshjob: .*\/nonexistent\/report: not found$/)], commandRan: false, readiness: '200', quits: [200],
    },
    boundMs: 10_000,
  },
  {
    fault: 'the command is not executable',
    proxy: {},
    settings: ({ proxy }) => ({ readyUrls: [proxy!.readinessUrl], quit: [post(proxy!.quitUrl)] }),
    command: ({ dir }) => {
      const file = join(dir, 'report');
      writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
      return [file];
    },
    expected: {
      code: 126, signal: null, stderr: [expect.stringMatching(/^meshjob: .*\/report: Permission denied$/)], commandRan: false, readiness: '200', quits: [200],
    },
    boundMs: 10_000,
  },
  {
    fault: 'SIGTERM while a readiness request hangs (before the command starts)',
    proxy: { ready: ['hang'] },
    settings: ({ proxy }) => ({ readyUrls: [proxy!.readinessUrl], requestTimeoutSeconds: 1, readyTimeoutSeconds: 20, quit: [post(proxy!.quitUrl)] }),
    signals: ({ proxy }) => [{ signal: 'SIGTERM', at: () => proxy!.arrival(CHAOS_READY_PATH) }],
    expected: {
      code: 143,
      signal: null,
      stderr: [line('got SIGTERM before the command started: not running it')],
      commandRan: false,
      readiness: 'abandoned',
      quits: [200],
    },
    boundMs: 10_000,
  },
  {
    fault: 'SIGTERM during the quit (quit answered after 700 ms)',
    proxy: { quit: [{ delayMs: 700, status: 200 }] },
    settings: ({ proxy }) => ({ readyUrls: [proxy!.readinessUrl], requestTimeoutSeconds: 3, quit: [post(proxy!.quitUrl)] }),
    child: { exit: 4 },
    signals: ({ proxy }) => [{ signal: 'SIGTERM', at: () => proxy!.arrival(CHAOS_QUIT_PATH) }],
    // The command has ended: its exit code stands, and the quit is completed, not abandoned.
    expected: { code: 4, signal: null, stderr: [], commandRan: true, readiness: '200', quits: [200] },
    boundMs: 10_000,
  },
  {
    // The pod is being deleted, its proxy too: one attempt, no retries (../shared/MESH-CONTRACTS.md, Pod deletion).
    fault: 'SIGTERM during a quit that hangs',
    proxy: { quit: ['hang'] },
    settings: ({ proxy }) => ({ readyUrls: [proxy!.readinessUrl], requestTimeoutSeconds: 1, quit: [post(proxy!.quitUrl)], quitAttempts: 3 }),
    child: { exit: 0 },
    signals: ({ proxy }) => [{ signal: 'SIGTERM', at: () => proxy!.arrival(CHAOS_QUIT_PATH) }],
    expected: { code: 0, signal: null, stderr: [line(`POST ${QUIT_URL}: got no answer (attempts: 1): the sidecar may still be running`)], commandRan: true, readiness: '200', quits: ['abandoned'] },
    boundMs: 12_000,
  },
  {
    fault: 'the command ignores SIGTERM until the grace period ends (then SIGKILL to the group, as the kubelet)',
    proxy: {},
    settings: ({ proxy }) => ({ readyUrls: [proxy!.readinessUrl], quit: [post(proxy!.quitUrl)] }),
    run: (ctx, settings) => ignoringTerm(ctx, settings),
    // Forwarded exactly once; the wrapper waits for its command (it does not exit or quit on its own).
    expected: {
      code: null,
      signal: 'SIGKILL',
      stderr: [],
      commandRan: true,
      readiness: '200',
      quits: [],
      extra: { termsForwarded: 1, wrapperAliveAtGraceEnd: true, exitedOnItsOwn: false },
    },
    boundMs: 10_000,
  },
  {
    fault: 'the command ignores SIGTERM, then exits 7 on its own within the grace period',
    proxy: {},
    settings: ({ proxy }) => ({ readyUrls: [proxy!.readinessUrl], quit: [post(proxy!.quitUrl)] }),
    run: (ctx, settings) => ignoringTerm(ctx, settings, 4, 2000),
    // The command's own exit code (not 143), the proxy stopped after it: no hang of its own.
    expected: {
      code: 7,
      signal: null,
      stderr: [],
      commandRan: true,
      readiness: '200',
      quits: [200],
      extra: { termsForwarded: 1, wrapperAliveAtGraceEnd: false, exitedOnItsOwn: true },
    },
    boundMs: 10_000,
  },
];

/** "503", "abandoned → 200": the distinct successive endings. */
function shape(endings: Ending[]): string {
  const out: Ending[] = [];
  for (const e of endings) if (out[out.length - 1] !== e) out.push(e);
  return out.length === 0 ? 'none' : out.join(' → ');
}

describe.each(SHELL_SETUPS)('fault matrix on $name', (setup) => {
  const missing = missingPrograms(setup);
  if (missing.length > 0) {
    test.skip(`SKIPPED: this machine lacks ${missing.join(', ')}`, () => undefined);
    return;
  }
  const proxies: ChaosProxy[] = [];
  afterEach(async () => {
    await cleanup();
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  for (const row of ROWS) {
    test(row.fault, () => runRow(row), row.boundMs);
  }

  async function runRow(row: Row): Promise<void> {
    const proxy = row.proxy === 'absent' ? undefined : await new ChaosProxy(row.proxy).start();
    if (proxy) proxies.push(proxy);
    const dir = tempDir();
    const ctx: RowContext = { setup, proxy, gone: await FakeProxy.gonePort(), child: new Child(dir), dir };
    const settings = row.settings(ctx);

    let result: WrapperResult;
    let extra: Record<string, unknown> | undefined;
    if (row.run) {
      ({ result, extra } = await row.run(ctx, settings));
    } else {
      const run = runWrapper({
        setup,
        command: row.command?.(ctx),
        env: ctx.child.env(row.child ?? { exit: 0 }),
        settings,
        signals: row.signals?.(ctx),
        deadlineMs: row.boundMs + 5000,
      });
      await row.whileRunning?.(ctx);
      result = await run.result;
    }
    // The proxy's view of requests the wrapper gave up on arrives with the socket's close.
    await until(() => !(proxy?.requests ?? []).some((r) => r.ending === 'pending'), 'the proxy saw every request end', 2000)
      .catch(() => undefined);

    if (row.expected.extra && 'startedAfterFirstReady' in row.expected.extra) {
      const started = ctx.child.report()?.startedAt;
      const firstReady = proxy!.requestsTo(CHAOS_READY_PATH).find((r) => r.ending === 200);
      extra = {
        startedAfterFirstReady: started !== undefined && firstReady?.endedAt !== undefined && started > firstReady.endedAt,
        slowRequestsGivenUp: proxy!.readyEndings.filter((e) => e === 'abandoned').length,
      };
    }
    const observed: Outcome = {
      code: result.code,
      signal: result.signal,
      stderr: result.stderrLines.filter((l) => !SHELL_JOB_NOTICE.test(l)).map((l) => l.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')),
      commandRan: ctx.child.hasStarted,
      readiness: shape(proxy?.readyEndings ?? []),
      quits: proxy?.quitEndings ?? [],
      ...(extra ? { extra } : {}),
    };
    expect(observed).toEqual(row.expected);
    expect(result.killedByHarness).toBe(false);
  }
});
