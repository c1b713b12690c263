import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { HttpMethod, QuitCall } from '../../src/meshes/endpoint';
import { WrapperExitCode } from '../../src/runtime/exit-codes';
import { HttpClient } from '../../src/runtime/wrapper-runtime';
import { FakeProxy, QUIT_PATH } from '../support/fake-proxy';
import { expandKubelet } from '../support/kubelet';
import {
  cleanup, missingPrograms, runWrapper, sharedDir, SHELL_SETUPS, sleep, startProxy, tempDir, terminationLogOf,
} from '../support/wrapper-harness';

// The wrapper in what production pods meet: a corporate proxy in the env, a mesh proxy that
// restarts as the job ends, a shared directory someone else wrote to, the termination message.

jest.setTimeout(30_000);

const post = (url: string): QuitCall => ({ method: HttpMethod.POST, url });
const ENV = '/usr/bin/env';
const quits = (p: FakeProxy) => p.requests.filter((r) => r.path === QUIT_PATH);

describe.each(SHELL_SETUPS)('the wrapper in the field, on $name', (setup) => {
  const missing = missingPrograms(setup);
  if (missing.length > 0) {
    test.skip(`SKIPPED: this machine lacks ${missing.join(', ')}`, () => undefined);
    return;
  }
  afterEach(cleanup);

  test('reaches the mesh proxy directly when the container sets http_proxy and friends, and the command still gets them', async () => {
    const proxy = await startProxy();
    const corporate = `http://127.0.0.1:${await FakeProxy.gonePort()}`;
    const env = { http_proxy: corporate, HTTP_PROXY: corporate, https_proxy: corporate, HTTPS_PROXY: corporate, ALL_PROXY: corporate, no_proxy: 'localhost' };
    const r = await runWrapper({
      setup,
      env,
      command: [ENV],
      settings: { readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)], readyTimeoutSeconds: 3 },
    }).result;
    expect(r.code).toBe(0);
    expect(quits(proxy).map((q) => q.status)).toEqual([200]);
    const seen = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(seen).toMatchObject(env);
  });

  test('hands the command exactly its container\'s environment: no MESHJOB_* variable', async () => {
    const r = await runWrapper({ setup, env: { APP: 'x' }, command: [ENV], settings: { quit: [] } }).result;
    expect(r.code).toBe(0);
    const names = r.stdout.trim().split('\n').map((l) => l.slice(0, l.indexOf('=')));
    expect(names.filter((n) => n.startsWith('MESHJOB'))).toEqual([]);
    expect(names).toContain('APP');
  });

  test('stops a proxy that refuses connections for 1.5 s as the job ends, then answers', async () => {
    const port = await FakeProxy.gonePort();
    const run = runWrapper({
      setup,
      command: ['/bin/true'],
      settings: { quit: [post(`http://127.0.0.1:${port}${QUIT_PATH}`)], quitAttempts: 10, quitRetryDelaySeconds: 0.2 },
    });
    await sleep(1500);
    const restarted = await startProxy({ port });
    const r = await run.result;
    expect({ code: r.code, stderr: r.stderrLines }).toEqual({ code: 0, stderr: [] });
    expect(quits(restarted).map((q) => q.status)).toEqual([200]);
  });

  test('says "refused" when the quit endpoint never accepts a connection, and keeps the command\'s code', async () => {
    const port = await FakeProxy.gonePort();
    const url = `http://127.0.0.1:${port}${QUIT_PATH}`;
    const dir = sharedDir();
    const r = await runWrapper({ setup, command: ['/bin/false'], settings: { dir, quit: [post(url)], quitAttempts: 2, quitRetryDelaySeconds: 0.05 } }).result;
    expect(r.code).toBe(1);
    expect(r.stderrLines).toEqual([`meshjob[main]: POST ${url}: refused (attempts: 2): the sidecar may still be running`]);
    expect(readFileSync(terminationLogOf({ dir, container: 'main' }), 'utf8'))
      .toBe(`meshjob: quit-failed: POST ${url}: refused (attempts: 2): the sidecar may still be running\n`);
  });

  test('tries a quit once after SIGTERM: the pod is being deleted, its proxy too', async () => {
    const proxy = await startProxy({ quitStatuses: [503] });
    const r = await runWrapper({
      setup,
      command: ['/bin/sleep', '10'],
      settings: { readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)], quitAttempts: 10, quitRetryDelaySeconds: 0.2 },
      signals: [{ signal: 'SIGTERM', at: async () => { while (proxy.requests.length === 0) await sleep(5); await sleep(100); } }],
    }).result;
    expect(r.code).toBe(143);
    expect(quits(proxy)).toHaveLength(1);
  });

  test('writes its reason to the termination message when the proxy is never ready', async () => {
    const proxy = await startProxy({ readyAfterMs: 'never' });
    const dir = sharedDir();
    const r = await runWrapper({
      setup, command: ['/bin/true'], settings: { dir, readyUrls: [proxy.readinessUrl], readyTimeoutSeconds: 1, quit: [post(proxy.quitUrl)] },
    }).result;
    expect(r.code).toBe(WrapperExitCode.PROXY_NOT_READY);
    expect(readFileSync(terminationLogOf({ dir, container: 'main' }), 'utf8')).toBe(
      `meshjob: proxy-not-ready: not ready at ${proxy.readinessUrl} after 1s: exiting 75 without running the command\n`,
    );
  });

  test('never overwrites the command\'s own termination message', async () => {
    const proxy = await startProxy({ quitStatuses: [404] });
    const dir = sharedDir();
    const log = join(tempDir(), 'termination-log');
    const r = await runWrapper({
      setup,
      command: ['/bin/sh', '-c', `echo "migration 42 failed" > ${log}; exit 3`],
      settings: { dir, readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)], terminationMessagePath: log },
    }).result;
    expect(r.code).toBe(3);
    expect(readFileSync(log, 'utf8')).toBe('migration 42 failed\n');
  });

  test('still stops the proxy, once, when a quit lock was left in the shared directory by someone else', async () => {
    const proxy = await startProxy();
    const dir = sharedDir();
    writeFileSync(join(dir, 'quit.lock'), '');
    const settings = { dir, peers: ['a', 'b'], readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)], quitAttempts: 1, requestTimeoutSeconds: 1 };
    const [a, b] = await Promise.all([
      runWrapper({ setup, command: ['/bin/true'], settings: { ...settings, container: 'a' } }).result,
      runWrapper({ setup, command: ['/bin/sleep', '0.2'], settings: { ...settings, container: 'b' } }).result,
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    // b ends after a has left: b is the last, alone, and needs no lock; the lock a wrapper never
    // makes (wrappers make a directory) is reported.
    expect(quits(proxy).map((q) => q.status)).toEqual([200]);
    expect([...a.stderrLines, ...b.stderrLines]).toEqual([`meshjob[b]: found in the shared directory ${dir}, not made by a wrapper: quit.lock`]);
  });

  test('sends the quits within the quit window when a forged done file and a stale lock make it wait', async () => {
    const proxy = await startProxy();
    const dir = sharedDir();
    // "x" looks ended but never says whether it was last: "a" must take the lock, which is held.
    writeFileSync(join(dir, 'done.x.0.forged'), '');
    mkdirSync(join(dir, 'quit.lock'));
    const r = await runWrapper({
      setup,
      command: ['/bin/true'],
      settings: { dir, container: 'a', peers: ['a', 'x'], readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)], quitAttempts: 1, requestTimeoutSeconds: 1 },
    }).result;
    expect(r.code).toBe(0);
    expect(quits(proxy).map((q) => q.status)).toEqual([200]);
    expect(r.stderrLines).toEqual([expect.stringMatching(/^meshjob\[a\]: the quit lock is held but no quit was sent within \d+s: sending the quits$/)]);
  });

  // dash + busybox wget only: busybox sh runs its own wget and timeout applets without PATH, and
  // the curl setup finds curl.
  const noClientTest = setup.busybox !== undefined && setup.shell[0] === '/usr/bin/dash' ? test : test.skip;
  noClientTest('fails at once with exit 64 when the image has no HTTP client, instead of waiting out readyTimeout', async () => {
    const proxy = await startProxy();
    const dir = sharedDir();
    const r = await runWrapper({
      setup,
      env: { PATH: '/nonexistent' },
      command: ['/bin/true'],
      settings: { dir, busybox: undefined, httpClient: HttpClient.WGET, readyUrls: [proxy.readinessUrl], readyTimeoutSeconds: 30 },
    }).result;
    expect(r.code).toBe(WrapperExitCode.USAGE);
    expect(r.stderrLines).toEqual([expect.stringMatching(/^meshjob\[main\]: cannot run the HTTP client \(wget or curl\)/)]);
    expect(readFileSync(terminationLogOf({ dir, container: 'main' }), 'utf8')).toMatch(/^meshjob: no-http-client: /);
  });

  test('hands the command a nested "$(MESHJOB_A$(FOO)" exactly as the kubelet hands it unwrapped', async () => {
    const env = { FOO: 'foo', MESHJOB_A: 'never' };
    const args = ['$(MESHJOB_A$(FOO)', '$(MESHJOB_CONTAINER)', 'x$(FOO)y'];
    const r = await runWrapper({ setup, env: { FOO: 'foo' }, command: ['/usr/bin/printf', '%s\\0'], args, settings: { quit: [] } }).result;
    expect(r.code).toBe(0);
    // What an unwrapped container gets: its own env decides, and no MESHJOB_* variable is in it.
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(args.map((a) => expandKubelet(a, { FOO: env.FOO })));
    expect(r.stdout.split('\0')[1]).toBe('$(MESHJOB_CONTAINER)');
  });
});
