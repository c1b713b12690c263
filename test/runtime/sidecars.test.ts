import { spawn } from 'child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { HttpMethod, KILL_BY_NAME, QuitCall } from '../../src/meshes/endpoint';
import { WrapperSettings } from '../../src/runtime/settings';
import {
  Child, cleanup, missingPrograms, processRunning, runWrapper, sharedDir, SHELL_SETUPS, startProxy, tempDir, until,
} from '../support/wrapper-harness';

// The job's own sidecars and the other quit steps, run for real: a main wrapper and a sidecar
// wrapper share one directory, as two containers share the pod's emptyDir.

jest.setTimeout(20_000);
const post = (url: string): QuitCall => ({ method: HttpMethod.POST, url });
const SHELL_JOB_NOTICE = /^(Terminated|Killed)$/;
const messages = (lines: string[]) => lines.filter((l) => !SHELL_JOB_NOTICE.test(l));

describe.each(SHELL_SETUPS)('sidecars and quit steps on $name', (setup) => {
  if (missingPrograms(setup).length > 0) {
    test.skip(`SKIPPED: this machine lacks ${missingPrograms(setup).join(', ')}`, () => undefined);
    return;
  }
  afterEach(cleanup);

  /** A main container and a done-file sidecar in one pod. */
  async function pod(sidecarCommand: string[] | undefined, sidecarEnv: Record<string, string>, extra: Partial<WrapperSettings> = {}) {
    const proxy = await startProxy();
    const dir = sharedDir();
    const main = new Child(tempDir(), 'main');
    const common = { dir, peers: ['main'], readyUrls: [proxy.readinessUrl], sidecarStopTimeoutSeconds: 1, ...extra };
    const sidecar = runWrapper({
      setup,
      command: sidecarCommand,
      env: sidecarEnv,
      settings: { ...common, container: 'logs', role: 'sidecar', startOnReadyTimeout: true },
    });
    const mainRun = runWrapper({
      setup,
      env: main.env({ sleepMs: 800, exit: 3 }),
      settings: { ...common, container: 'main', role: 'main', sidecars: ['logs'], quit: [post(proxy.quitUrl)] },
    });
    const [mainResult, sidecarResult] = await Promise.all([mainRun.result, sidecar.result]);
    return { proxy, main, mainResult, sidecarResult };
  }

  test('stops a done-file sidecar with SIGTERM once the main container has ended, and the sidecar exits 0', async () => {
    const logs = new Child(tempDir(), 'logs');
    const { main, mainResult, sidecarResult } = await pod(undefined, logs.env({ sleepMs: 30_000, trap: ['SIGTERM'] }));

    expect({ code: mainResult.code, stderr: messages(mainResult.stderrLines) }).toEqual({ code: 3, stderr: [] });
    expect({ code: sidecarResult.code, stderr: messages(sidecarResult.stderrLines) }).toEqual({ code: 0, stderr: [] });
    expect(logs.marker()?.signal).toBe('SIGTERM');
    expect(logs.marker()!.at).toBeGreaterThan(main.report()!.endedAt!);
  });

  test('stops the mesh proxy only after the done-file sidecar has ended', async () => {
    // A sidecar that flushes for 300 ms after SIGTERM, then records when it ends (CLOCK_MONOTONIC,
    // the fake proxy's clock).
    const dir = tempDir();
    const script = join(dir, 'flusher.js');
    const endedAt = join(dir, 'ended');
    writeFileSync(script, `process.on('SIGTERM', () => setTimeout(() => {
      require('fs').writeFileSync(${JSON.stringify(endedAt)}, String(Number(process.hrtime.bigint()) / 1e6));
      process.exit(0);
    }, 300));
    setInterval(() => undefined, 1000);`);
    const { proxy } = await pod([process.execPath, script], {});

    expect(proxy.quits).toHaveLength(1);
    expect(proxy.quits[0].at).toBeGreaterThan(Number(readFileSync(endedAt, 'utf8')));
  });

  test('kills a sidecar that ignores SIGTERM after the stop timeout, still exits 0 and still stops the proxy', async () => {
    const script = join(tempDir(), 'stubborn.sh');
    writeFileSync(script, "trap '' TERM\nwhile :; do sleep 0.05; done\n");
    const { proxy, mainResult, sidecarResult } = await pod(['/bin/sh', script], {});

    expect(mainResult.code).toBe(3);
    expect(sidecarResult.code).toBe(0);
    expect(messages(sidecarResult.stderrLines)).toEqual(['meshjob[logs]: sidecar did not stop within 1s of SIGTERM: killing it']);
    expect(proxy.quits).toHaveLength(1);
  });

  test('a sidecar that ends on its own before the main container exits 0 and never hides the main exit code', async () => {
    const logs = new Child(tempDir(), 'logs');
    const { mainResult, sidecarResult } = await pod(undefined, logs.env({ exit: 9 }));

    expect(mainResult.code).toBe(3);
    expect(sidecarResult.code).toBe(0);
    expect(messages(sidecarResult.stderrLines)).toEqual(['meshjob[logs]: sidecar ended on its own with exit code 9 before the main containers']);
  });

  test('sends the quit steps in order: the job\'s sidecars before the mesh proxy', async () => {
    const proxy = await startProxy();
    const sqlProxy = await startProxy({ quitMethods: 'any' });
    const child = new Child(tempDir());
    const run = runWrapper({
      setup,
      env: child.env({ exit: 0 }),
      settings: {
        readyUrls: [proxy.readinessUrl, sqlProxy.readinessUrl],
        quit: [{ method: HttpMethod.GET, url: sqlProxy.quitUrl }, post(proxy.quitUrl)],
      },
    });
    expect((await run.result).code).toBe(0);
    expect(sqlProxy.quits.map((q) => q.method)).toEqual(['GET']);
    expect(proxy.quits.map((q) => q.method)).toEqual(['POST']);
    expect(sqlProxy.quits[0].at).toBeLessThan(proxy.quits[0].at);
  });

  test('stops a process by name (Istio before 1.3: pilot-agent) with SIGTERM', async () => {
    const bin = join(tempDir(), 'pilot-agent');
    copyFileSync('/usr/bin/sleep', bin);
    const agent = spawn(bin, ['30'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => agent.once('exit', (_code, signal) => resolve(signal)));
    try {
      await until(() => processRunning(agent.pid!), 'pilot-agent runs');
      const child = new Child(tempDir());
      const run = runWrapper({ setup, env: child.env({ exit: 4 }), settings: { quit: [{ method: KILL_BY_NAME, url: 'pilot-agent' }] } });

      expect((await run.result).code).toBe(4);
      expect(await exited).toBe('SIGTERM');
    } finally {
      agent.kill('SIGKILL');
    }
  });

  test('says so, once, when there is no process of that name to stop', async () => {
    const child = new Child(tempDir());
    const run = runWrapper({ setup, env: child.env({ exit: 0 }), settings: { quit: [{ method: KILL_BY_NAME, url: 'no-such-agent' }] } });
    const result = await run.result;

    expect(result.code).toBe(0);
    expect(messages(result.stderrLines)).toEqual(['meshjob[main]: no process named no-such-agent to stop: is shareProcessNamespace on?']);
  });

  test('runs the command from PATH, never as one of the wrapper\'s functions or a shell builtin', async () => {
    // "echo" is a builtin of both shells (which turns "\\n" into a newline) and "say" is a function of the
    // wrapper: with exec, the image's programs run instead.
    const bin = tempDir();
    writeFileSync(join(bin, 'say'), '#!/bin/sh\necho "program say: $*"\n', { mode: 0o755 });
    const echo = await runWrapper({ setup, command: ['echo'], args: ['a\\nb'] }).result;
    const say = await runWrapper({ setup, command: ['say'], args: ['hi'], env: { PATH: `${bin}:/usr/bin:/bin` } }).result;

    expect({ code: echo.code, stdout: echo.stdout }).toEqual({ code: 0, stdout: 'a\\nb\n' });
    expect({ code: say.code, stdout: say.stdout }).toEqual({ code: 0, stdout: 'program say: hi\n' });
  });
});
