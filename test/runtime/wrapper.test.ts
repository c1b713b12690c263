import { spawnSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { HttpMethod, QuitCall } from '../../src/meshes/endpoint';
import { WrapperExitCode } from '../../src/runtime/exit-codes';
import { escapeKubeletExpansion } from '../../src/runtime/kubelet';
import { ARMED_QUIT_RENEW_SECONDS } from '../../src/runtime/quit-timing';
import { WrapperSettings } from '../../src/runtime/settings';
import { testCases } from '../adversarial/arbitraries';
import { FakeProxy, READY_PATH } from '../support/fake-proxy';
import {
  allowedCpus, Child, childPids, cleanup, IGNORES_SIGINT_SH, liveProcessesOfGroup, missingPrograms, PERL, processRunning, runWrapper, sharedDir,
  SHELL_SETUPS, startProxy, TASKSET, tempDir, terminationLogOf, until, WrapperResult,
} from '../support/wrapper-harness';

// Real shells, real HTTP clients, a fake Istio pilot-agent: the wrapper script end to end.
// Ordering is asserted causally (the proxy's records and the child fixture's timestamps share
// CLOCK_MONOTONIC), never as wall-clock durations.

jest.setTimeout(20_000);
// The race test: peers that ended before the two racing ones, and how long the cut waits after
// the first record (in extra reads of the shared dir), one round each. Environment overrides are
// for measuring the test's power against a wrapper without its lock.
const EARLY = Number(process.env.MJT_EARLY ?? testCases('QUIT_RACE_PEERS', { fast: 8, long: 32 }));
const CUT_POLLS = (process.env.MJT_CUTS ?? '0,1,0,1').split(',').map(Number).slice(0, testCases('QUIT_RACE_ROUNDS', { fast: 2, long: 4 }));
/** The race test's bound, from its work: each round starts EARLY + 2 wrappers; 1 s for each is ample on two loaded cores. */
const QUIT_RACE_TIMEOUT_MS = CUT_POLLS.length * (EARLY + 2) * 1000 + 10_000;
const CUT_PL = join(__dirname, '..', 'support', 'fixtures', 'cut.pl');
const IGNORES_SIGRTMAX_PL = join(__dirname, '..', 'support', 'fixtures', 'ignores-sigrtmax.pl');

/**
 * The notice dash and busybox ash print on stderr when `wait` reaps a job killed by a signal
 * ("Terminated", "Killed", "Segmentation fault"): shell behaviour, not a wrapper message.
 */
const SHELL_JOB_NOTICE = /^(Terminated|Killed|Segmentation fault|Aborted|Hangup|Quit|User defined signal 1)( \(core dumped\))?$/;

/**
 * What a test compares: exit code, death signal and stderr lines (shown together on failure), less
 * the shell's job notices.
 */
function outcome(r: WrapperResult): { code: number | null; signal: string | null; stderr: string[] } {
  return { code: r.code, signal: r.signal, stderr: r.stderrLines.filter((l) => !SHELL_JOB_NOTICE.test(l)) };
}

const post = (url: string): QuitCall => ({ method: HttpMethod.POST, url });

/** The command line of a process, NUL-separated as /proc shows it ('' once it is gone). */
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** Arguments a shell, a kubelet or a careless wrapper would mangle. */
function trickyArguments(): string[] {
  const args = [
    '', 'two words', '  leading and trailing  ', "it's", 'say "hi"', '\'"\'"', '$HOME', '$', '$(id)', '$$', '$$(id)',
    '${PATH}', '$((1+1))', '`id`', 'back\\slash', '\\', '\\n', '*', '?', '[a-z]*', '*.json', '~', '-c', '--', '-',
    '--flag=value', '-e', 'line1\nline2', '\n', '\ttab\t', '', ';', '&&', '|', '>out', '<in', '#comment', '!', '%s %d',
    '😀', '漢字かな', 'e\u0301\u0327', '👩‍💻', 'x'.repeat(5 * 1024) + '€'.repeat(2560) + 'y'.repeat(5 * 1024), 'MESHJOB_DIR=/x',
    '$(MESHJOB_DIR)',
  ];
  for (let i = args.length; i < 149; i++) args.push(`arg ${i}`);
  args.push('');
  return args;
}

describe.each(SHELL_SETUPS)('wrapper on $name', (setup) => {
  const missing = missingPrograms(setup);
  if (missing.length > 0) {
    test.skip(`SKIPPED: this machine lacks ${missing.join(', ')}`, () => undefined);
    return;
  }

  afterEach(cleanup);

  describe('startup', () => {
    test('starts the command only after the proxy answers ready', async () => {
      const proxy = await startProxy({ readyAfterMs: 'never' });
      const child = new Child(tempDir());
      // Ready once the wrapper has been told "not ready" twice, however slow the machine: the
      // wrapper's own readyTimeout is out of the way (an hour), so no margin of time decides.
      const run = runWrapper({
        setup, env: child.env(), settings: { readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)], readyTimeoutSeconds: 3600 },
      });
      await until(() => proxy.requestsTo(READY_PATH).filter((p) => p.status === 503).length >= 2, 'two polls answered 503');
      proxy.becomeReady();
      const r = await run.result;

      expect(outcome(r)).toEqual({ code: 0, signal: null, stderr: [] });
      const started = child.report()!.startedAt;
      expect(proxy.readyAt).toBeDefined();
      expect(started).toBeGreaterThan(proxy.readyAt!);
      const polls = proxy.requestsTo(READY_PATH);
      expect(polls.filter((p) => p.status === 503).length).toBeGreaterThan(0);
      const firstReady = polls.find((p) => p.status === 200);
      expect(firstReady).toBeDefined();
      expect(firstReady!.answeredAt!).toBeLessThan(started);
    });

    test('starts the command only after every readiness URL answers ready', async () => {
      const proxy = await startProxy({ readyAfterMs: 150 });
      const other = await startProxy({ readyAfterMs: 400 });
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup,
        env: child.env(),
        settings: { readyUrls: [proxy.readinessUrl, other.readinessUrl], quit: [post(proxy.quitUrl)] },
      }).result;

      expect(outcome(r)).toEqual({ code: 0, signal: null, stderr: [] });
      const started = child.report()!.startedAt;
      for (const p of [proxy, other]) {
        const firstReady = p.requestsTo(READY_PATH).find((q) => q.status === 200);
        expect(firstReady).toBeDefined();
        expect(firstReady!.answeredAt!).toBeLessThan(started);
      }
      expect(started).toBeGreaterThan(Math.max(proxy.readyAt!, other.readyAt!));
    });

    test('starts the command at once without a readiness URL, and still quits', async () => {
      const proxy = await startProxy({ readyAfterMs: 'never' });
      const child = new Child(tempDir());
      const r = await runWrapper({ setup, env: child.env(), settings: { quit: [post(proxy.quitUrl)] } }).result;

      expect(outcome(r)).toEqual({ code: 0, signal: null, stderr: [] });
      expect(child.hasStarted).toBe(true);
      expect(proxy.requestsTo(READY_PATH)).toHaveLength(0);
      expect(proxy.quits.map((q) => [q.method, q.status])).toEqual([['POST', 200]]);
    });

    test('fails with exit 75 and one stderr line when the proxy is never ready, without running the command, and still quits', async () => {
      const proxy = await startProxy({ readyAfterMs: 'never' });
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup,
        env: child.env(),
        settings: { readyUrls: [proxy.readinessUrl], readyTimeoutSeconds: 1, quit: [post(proxy.quitUrl)] },
      }).result;

      expect(r.code).toBe(WrapperExitCode.PROXY_NOT_READY);
      expect(r.stderrLines).toHaveLength(1);
      expect(r.stderrLines[0]).toMatch(/not ready/);
      expect(r.stderrLines[0]).toContain(proxy.readinessUrl);
      expect(child.hasStarted).toBe(false);
      expect(proxy.quits.map((q) => [q.method, q.status])).toEqual([['POST', 200]]);
      expect(proxy.quits[0].at).toBeGreaterThan(proxy.requestsTo(READY_PATH).slice(-1)[0].at);
    });

    test('with startOnReadyTimeout runs the command anyway after the ready timeout, with one stderr line', async () => {
      const proxy = await startProxy({ readyAfterMs: 'never' });
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup,
        env: child.env({ exit: 3 }),
        settings: {
          readyUrls: [proxy.readinessUrl], readyTimeoutSeconds: 1, startOnReadyTimeout: true, quit: [post(proxy.quitUrl)],
        },
      }).result;

      expect(r.code).toBe(3);
      expect(r.stderrLines).toHaveLength(1);
      expect(r.stderrLines[0]).toMatch(/not ready/);
      const polls = proxy.requestsTo(READY_PATH);
      expect(polls.length).toBeGreaterThan(1);
      expect(polls.every((p) => p.status === 503)).toBe(true);
      expect(child.report()!.startedAt).toBeGreaterThan(polls[polls.length - 1].answeredAt!);
      expect(proxy.quits).toHaveLength(1);
    });

    test('fails with exit 64 and one stderr line when started with no command', async () => {
      const proxy = await startProxy();
      const r = await runWrapper({
        setup, command: [], settings: { readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)] },
      }).result;

      expect(r.code).toBe(WrapperExitCode.USAGE);
      expect(r.stderrLines).toHaveLength(1);
      expect(r.stderrLines[0]).toMatch(/no command/);
    });

    test('fails with exit 143 without running the command when SIGTERM comes before the proxy is ready, and still quits', async () => {
      const proxy = await startProxy({ readyAfterMs: 'never' });
      const child = new Child(tempDir());
      const polled = (): Promise<void> => until(() => proxy.requestsTo(READY_PATH).length > 0, 'the wrapper polls readiness');
      const r = await runWrapper({
        setup,
        env: child.env(),
        signals: [{ signal: 'SIGTERM', at: polled }],
        settings: { readyUrls: [proxy.readinessUrl], readyTimeoutSeconds: 10, quit: [post(proxy.quitUrl)] },
      }).result;

      expect(r.code).toBe(143);
      expect(r.stderrLines).toHaveLength(1);
      expect(r.stderrLines[0]).toMatch(/SIGTERM/);
      expect(child.hasStarted).toBe(false);
      expect(proxy.quits).toHaveLength(1);
    });
  });

  describe('settings', () => {
    // What reaches the wrapper when nothing checked a setting before it (the plan refuses each at synth).
    test.each([
      ['readyTimeout 93000000000000000 is not a number of seconds from 0 to 86400', { readyTimeoutSeconds: 9.3e16 }],
      ['requestTimeout 1e+21 is not a number of seconds from 0 to 3600', { requestTimeoutSeconds: 1e21 }],
      ['readyPollInterval -1 is not a number of seconds from 0 to 60', { readyPollSeconds: -1 }],
      ['quitRetryDelay NaN is not a number of seconds from 0 to 60', { quitRetryDelaySeconds: NaN }],
      ['quitAttempts 101 is not a number of attempts from 0 to 100', { quitAttempts: 101 }],
    ] as Array<[string, Partial<WrapperSettings>]>)('fails with exit 64 and one line, running nothing, when %s', async (reason, settings) => {
      const proxy = await startProxy();
      const child = new Child(tempDir());
      const dir = sharedDir();
      const r = await runWrapper({
        setup, env: child.env(), settings: { dir, readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)], ...settings },
      }).result;

      const line = `${reason}: exiting 64 without running the command`;
      expect(outcome(r)).toEqual({ code: WrapperExitCode.USAGE, signal: null, stderr: [`meshjob[main]: ${line}`] });
      expect(readFileSync(terminationLogOf({ dir, container: 'main' }), 'utf8')).toBe(`meshjob: bad-setting: ${line}\n`);
      expect(child.hasStarted).toBe(false);
      expect(proxy.requests).toEqual([]);
    });
  });

  describe('the command', () => {
    test.each([0, 1, 7, 255])('exits with the command\'s exit code %i', async (code) => {
      const proxy = await startProxy({ closeAfterQuit: true });
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup, env: child.env({ exit: code }), settings: { readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)] },
      }).result;

      expect(outcome(r)).toEqual({ code, signal: null, stderr: [] });
      expect(proxy.quits).toHaveLength(1);
    });

    test.each([
      ['SIGKILL', 137],
      ['SIGSEGV', 139],
      ['SIGTERM', 143],
    ] as Array<[NodeJS.Signals, number]>)('exits 128+N when the command dies of %s', async (signal, code) => {
      const proxy = await startProxy();
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup, env: child.env({ kill: signal }), settings: { readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)] },
      }).result;

      expect(outcome(r)).toEqual({ code, signal: null, stderr: [] });
      expect(child.report()!.endedAt).toBeDefined();
      expect(proxy.quits).toHaveLength(1);
    });

    test('passes every argument of the command array unchanged', async () => {
      const child = new Child(tempDir());
      const args = trickyArguments();
      const r = await runWrapper({
        setup, env: child.env(), command: [...Child.command, ...args].map(escapeKubeletExpansion),
      }).result;

      expect(outcome(r)).toEqual({ code: 0, signal: null, stderr: [] });
      expect(child.report()!.argv).toEqual(args);
    });

    test('passes every one of the container\'s args unchanged', async () => {
      const child = new Child(tempDir());
      const args = trickyArguments();
      const r = await runWrapper({ setup, env: child.env(), args: args.map(escapeKubeletExpansion) }).result;

      expect(outcome(r)).toEqual({ code: 0, signal: null, stderr: [] });
      expect(child.report()!.argv).toEqual(args);
    });

    test('passes its stdin to the command', async () => {
      const child = new Child(tempDir());
      const text = 'first line\nsecond $line `id`\n\tlast, no newline 😀';
      const r = await runWrapper({ setup, env: child.env({ echoStdin: true }), stdin: text }).result;

      expect(outcome(r)).toEqual({ code: 0, signal: null, stderr: [] });
      expect(child.report()!.stdin).toBe(text);
      expect(r.stdout).toBe(text);
    });
  });

  describe('signals', () => {
    test('forwards SIGTERM to the command, stops the proxy after it ended and exits 143', async () => {
      const proxy = await startProxy({ closeAfterQuit: true });
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup,
        env: child.env({ trap: ['SIGTERM'], sleepMs: 60_000 }),
        settings: { readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)] },
        signals: [{ signal: 'SIGTERM', at: () => child.started() }],
      }).result;

      expect(outcome(r)).toEqual({ code: 143, signal: null, stderr: [] });
      const marker = child.marker();
      expect(marker?.signal).toBe('SIGTERM');
      expect(proxy.quits.map((q) => [q.method, q.status])).toEqual([['POST', 200]]);
      expect(proxy.quits[0].at).toBeGreaterThan(marker!.at);
    });

    test('SIGINT reaches a command without a SIGINT handler (it dies of SIGINT: exit 130)', async () => {
      const proxy = await startProxy();
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup,
        env: child.env({ sleepMs: 60_000 }),
        settings: { readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)] },
        signals: [{ signal: 'SIGINT', at: () => child.started() }],
      }).result;

      expect(outcome(r)).toEqual({ code: 130, signal: null, stderr: [] });
      expect(child.report()!.endedAt).toBeUndefined();
      expect(proxy.quits).toHaveLength(1);
    });

    test('SIGINT reaches a command\'s SIGINT handler as SIGINT', async () => {
      const proxy = await startProxy();
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup,
        env: child.env({ trap: ['SIGINT', 'SIGTERM'], sleepMs: 60_000 }),
        settings: { readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)] },
        signals: [{ signal: 'SIGINT', at: () => child.started() }],
      }).result;

      expect(outcome(r)).toEqual({ code: 130, signal: null, stderr: [] });
      expect(child.marker()?.signal).toBe('SIGINT');
      expect(proxy.quits).toHaveLength(1);
      expect(proxy.quits[0].at).toBeGreaterThan(child.marker()!.at);
    });

    test('SIGINT becomes SIGTERM for a command that ignores SIGINT', async () => {
      const proxy = await startProxy();
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup,
        command: ['/usr/bin/dash', IGNORES_SIGINT_SH],
        env: child.env(),
        settings: { readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)] },
        signals: [{ signal: 'SIGINT', at: () => child.started() }],
      }).result;

      expect(outcome(r)).toEqual({ code: 143, signal: null, stderr: [] });
      expect(readFileSync(child.markerPath, 'utf8').trim()).toBe('SIGTERM');
      expect(proxy.quits).toHaveLength(1);
    });
    test('SIGINT reaches as SIGINT a command that ignores only SIGRTMAX (the top bit of its ignored-signal mask)', async () => {
      const proxy = await startProxy();
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup,
        command: [PERL, IGNORES_SIGRTMAX_PL],
        env: child.env(),
        settings: { readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)] },
        signals: [{ signal: 'SIGINT', at: () => child.started() }],
      }).result;

      expect(readFileSync(child.markerPath, 'utf8').trim()).toBe('SIGINT');
      expect(outcome(r)).toEqual({ code: 130, signal: null, stderr: [] });
    });
    test.each([
      ['SIGHUP', 129],
      ['SIGQUIT', 131],
      ['SIGUSR1', 138],
    ] as Array<[NodeJS.Signals, number]>)('passes %s on to the command as itself', async (signal, code) => {
      const proxy = await startProxy();
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup,
        env: child.env({ trap: [signal], sleepMs: 60_000 }),
        settings: { readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)] },
        signals: [{ signal, at: () => child.started() }],
      }).result;

      expect(outcome(r)).toEqual({ code, signal: null, stderr: [] });
      expect(child.marker()?.signal).toBe(signal);
      expect(proxy.quits).toHaveLength(1);
    });

    test('SIGQUIT becomes SIGTERM for a command that ignores SIGQUIT (as background jobs of sh do)', async () => {
      const run = runWrapper({ setup, command: ['/usr/bin/sleep', '60'] });
      await until(() => childPids(run.pid).some((pid) => cmdline(pid) === '/usr/bin/sleep\u000060\u0000'), 'the command started');
      run.kill('SIGQUIT');
      expect(outcome(await run.result)).toEqual({ code: 143, signal: null, stderr: [] });
    });

    test('fails with exit 129 without running the command when SIGHUP comes before the proxy is ready', async () => {
      const proxy = await startProxy({ readyAfterMs: 'never' });
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup,
        env: child.env(),
        signals: [{ signal: 'SIGHUP', at: () => until(() => proxy.requestsTo(READY_PATH).length > 0, 'the wrapper polls readiness') }],
        settings: { readyUrls: [proxy.readinessUrl], readyTimeoutSeconds: 10, quit: [post(proxy.quitUrl)] },
      }).result;

      expect(outcome(r)).toEqual({ code: 129, signal: null, stderr: ['meshjob[main]: got SIGHUP before the command started: not running it'] });
      expect(child.hasStarted).toBe(false);
      expect(proxy.quits).toHaveLength(1);
    });
  });

  describe('quit requests', () => {
    // The armed quit's subshell ignores SIGTERM, and so did the renewal's sleep it started: the
    // trap's kill then ended nothing, and a go handled just before the subshell's `wait` came up
    // to one renewal late (seen in CI: a command that cannot start, its quit 10 s late), and a
    // copy of the shell outlived the wrapper by that much. The copies the wrapper kills as it
    // exits may take a moment to end on a busy machine: they must be gone well within a renewal.
    test('leaves no copy of its shell and no renewal of the armed quit running once it exits', async () => {
      const proxy = await startProxy({});
      const child = new Child(tempDir());
      const run = runWrapper({ setup, env: child.env({ exit: 0 }), settings: { readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)] } });
      const r = await run.result;
      expect(outcome(r)).toEqual({ code: 0, signal: null, stderr: [] });
      expect(proxy.quits.map((q) => q.status)).toEqual([200]);
      const shell = setup.shell.join(' ');
      const left = () => liveProcessesOfGroup(run.pid).filter((argv) => argv.slice(0, setup.shell.length).join(' ') === shell
        || argv.slice(-2).join(' ') === `sleep ${ARMED_QUIT_RENEW_SECONDS}`);
      await until(() => left().length === 0, 'the copies of its shell have ended', (ARMED_QUIT_RENEW_SECONDS * 1000) / 2).catch(() => undefined);
      expect(left()).toEqual([]);
    });

    test('retries a quit answered 500 twice, then 200: three POSTs, the command\'s exit code', async () => {
      const proxy = await startProxy({ quitStatuses: [500, 500, 200] });
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup,
        env: child.env({ exit: 3 }),
        settings: { readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)], quitAttempts: 5 },
      }).result;

      expect(outcome(r)).toEqual({ code: 3, signal: null, stderr: [] });
      expect(proxy.quits.map((q) => [q.method, q.status])).toEqual([['POST', 500], ['POST', 500], ['POST', 200]]);
    });

    test('fails to stop the proxy on a 4xx quit answer: not retried, one stderr line, the command\'s exit code', async () => {
      const proxy = await startProxy({ quitStatuses: [403, 200] });
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup,
        env: child.env({ exit: 0 }),
        settings: { readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)], quitAttempts: 5 },
      }).result;

      expect(r.code).toBe(0);
      expect(r.stderrLines).toHaveLength(1);
      expect(r.stderrLines[0]).toContain('403');
      expect(proxy.quits.map((q) => q.status)).toEqual([403]);
    });

    test('is bounded when the proxy is gone at quit time (connection refused) and ends with the command\'s exit code', async () => {
      const gone = await FakeProxy.gonePort();
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup,
        env: child.env({ exit: 4 }),
        settings: {
          quit: [post(`http://127.0.0.1:${gone}/quitquitquit`)], quitAttempts: 4, quitRetryDelaySeconds: 0.05,
        },
      }).result;

      expect(r.killedByHarness).toBe(false);
      expect(r.code).toBe(4);
      expect(r.stderrLines.length).toBeLessThanOrEqual(1);
    });

    test('is bounded by requestTimeoutSeconds when a quit request hangs, and ends with the command\'s exit code', async () => {
      const proxy = await startProxy({ quitHangs: true });
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup,
        env: child.env({ exit: 6 }),
        settings: {
          readyUrls: [proxy.readinessUrl],
          quit: [post(proxy.quitUrl)],
          requestTimeoutSeconds: 1,
          quitAttempts: 3,
          quitRetryDelaySeconds: 0.05,
        },
      }).result;

      expect(r.killedByHarness).toBe(false);
      expect(r.code).toBe(6);
      expect(r.stderrLines.length).toBeLessThanOrEqual(1);
      // It gave up on requests the proxy never answered: the timeout, not an answer, ended them.
      expect(proxy.quits.length).toBeGreaterThanOrEqual(1);
      expect(proxy.quits.length).toBeLessThanOrEqual(3);
      expect(proxy.quits.every((q) => q.status === undefined)).toBe(true);
    });

    test('sends each extra quit request once, with its own method (Cloud SQL Auth Proxy: GET /quitquitquit)', async () => {
      const proxy = await startProxy();
      const sqlProxy = await startProxy({ quitMethods: 'any' });
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup,
        env: child.env(),
        settings: {
          readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl), { method: HttpMethod.GET, url: sqlProxy.quitUrl }],
        },
      }).result;

      expect(outcome(r)).toEqual({ code: 0, signal: null, stderr: [] });
      expect(proxy.quits.map((q) => [q.method, q.status])).toEqual([['POST', 200]]);
      expect(sqlProxy.quits.map((q) => [q.method, q.status])).toEqual([['GET', 200]]);
    });

    test('with keepProxyOnFailure leaves the proxy running after a failing command, with one stderr line', async () => {
      const proxy = await startProxy();
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup,
        env: child.env({ exit: 2 }),
        settings: { readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)], keepProxyOnFailure: true },
      }).result;

      expect(r.code).toBe(2);
      expect(r.stderrLines).toHaveLength(1);
      expect(r.stderrLines[0]).toMatch(/keep/);
      expect(proxy.quits).toHaveLength(0);
    });

    test('with keepProxyOnFailure still stops the proxy after a succeeding command', async () => {
      const proxy = await startProxy();
      const child = new Child(tempDir());
      const r = await runWrapper({
        setup,
        env: child.env({ exit: 0 }),
        settings: { readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)], keepProxyOnFailure: true },
      }).result;

      expect(outcome(r)).toEqual({ code: 0, signal: null, stderr: [] });
      expect(proxy.quits.map((q) => q.status)).toEqual([200]);
    });
  });

  describe('several wrapped containers in one pod', () => {
    test('sends exactly one quit, after the last command ended', async () => {
      const proxy = await startProxy();
      const dir = sharedDir();
      const peers = ['a', 'b', 'c'];
      const runLengths = [150, 600, 350];
      const children = peers.map((name) => new Child(tempDir(), name));
      const runs = peers.map((container, i) => runWrapper({
        setup,
        env: children[i].env({ sleepMs: runLengths[i], exit: i }),
        settings: { container, peers, dir, readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)] },
      }));
      const results = await Promise.all(runs.map((run) => run.result));

      expect(results.map(outcome)).toEqual([0, 1, 2].map((code) => ({ code, signal: null, stderr: [] })));
      expect(proxy.quits).toHaveLength(1);
      const lastEnd = Math.max(...children.map((c) => c.report()!.endedAt!));
      expect(proxy.quits[0].at).toBeGreaterThan(lastEnd);
    });

    const COMMAND = ['/usr/bin/sleep', '3600'];
    /** The wrapper's child running COMMAND (not one of its wget, curl or sleep helpers). */
    const commandPid = (wrapper: number): number | undefined => childPids(wrapper).find((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === COMMAND.join('\0') + '\0';
      } catch {
        return false;
      }
    });

    // Four rounds of 34 wrappers each: the slowest test here, bounded by its own timeout.
    test('sends exactly one quit when the last two commands end at the same instant', async () => {
      // Two wrappers, frozen (SIGSTOP, as a container's CPU quota throttles it) while their
      // commands are killed at the same instant. Then the first is thawed and frozen again just
      // after it starts recording its end in the shared dir, and the other finishes meanwhile:
      // the interleaving in which both could believe they are last. EARLY peers that ended before
      // come first in the peers list, so that checking them keeps the first wrapper busy long
      // enough to be cut there. Without the wrapper's lock, a round sends two quits more often than
      // not; four rounds make missing that very unlikely.
      // The first wrapper and the cutter on CPUs of their own, when there are two.
      const cpus = existsSync(TASKSET) ? allowedCpus() : [];
      const pin = cpus.length >= 2;
      for (const extraPolls of CUT_POLLS) {
        const proxy = await startProxy();
        const dir = sharedDir();
        const early = Array.from({ length: EARLY }, (_, i) => `early-${i}`);
        const peers = [...early, 'a', 'b'];
        const settings = (container: string): Partial<WrapperSettings> =>
          ({ container, peers, dir, readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)] });
        const earlyResults = await Promise.all(early.map((container) =>
          runWrapper({ setup, command: ['/usr/bin/true'], settings: settings(container) }).result));
        const a = runWrapper({ setup, command: [...COMMAND], settings: settings('a'), cpu: pin ? cpus[1] : undefined });
        const b = runWrapper({ setup, command: [...COMMAND], settings: settings('b') });
        const commands: Array<number | undefined> = [];
        await until(() => [a, b].every((run, i) => (commands[i] = commandPid(run.pid)) !== undefined), 'both commands started');
        a.kill('SIGSTOP');
        b.kill('SIGSTOP');
        commands.forEach((pid) => process.kill(pid!, 'SIGKILL'));
        await until(() => !commands.some((pid) => processRunning(pid!)), 'both commands ended');
        const cut = [PERL, CUT_PL, String(a.pid), dir, String(extraPolls)];
        const cutter = spawnSync(pin ? TASKSET : cut[0], pin ? ['-c', String(cpus[0]), ...cut] : cut.slice(1), { encoding: 'utf8' });
        expect({ status: cutter.status, stderr: cutter.stderr }).toEqual({ status: 0, stderr: '' });
        b.kill('SIGCONT');
        const rb = await b.result;
        a.kill('SIGCONT');
        const ra = await a.result;

        expect([...earlyResults, ra, rb].map(outcome)).toEqual([
          ...early.map(() => ({ code: 0, signal: null, stderr: [] })),
          { code: 137, signal: null, stderr: [] },
          { code: 137, signal: null, stderr: [] },
        ]);
        expect(proxy.quits).toHaveLength(1);
        await proxy.close();
      }
    }, QUIT_RACE_TIMEOUT_MS);
  });
});
