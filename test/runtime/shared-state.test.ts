import { spawnSync } from 'child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'fs';
import { join } from 'path';
import { HttpMethod, QuitCall } from '../../src/meshes/endpoint';
import { FakeProxy } from '../support/fake-proxy';
import {
  cleanup, missingPrograms, runWrapper, sharedDir, SHELL_SETUPS, startProxy, tempDir, terminationLogOf, WrapperResult,
} from '../support/wrapper-harness';

// The shared directory is every wrapped container's, and so anyone's in the pod to write: another
// container plants symlinks and FIFOs where wrappers wrote (and read) their state. The harness runs
// both wrappers as one user; test/e2e/podman.test.ts does the same with two.

jest.setTimeout(20_000);
const post = (url: string): QuitCall => ({ method: HttpMethod.POST, url });
/** The names of the shared directory a wrapper once wrote and read: rc.NAME, done.NAME, the quit lock and its done marker. */
const OLD_NAMES = ['rc.a', 'rc.b', 'done.a', 'done.b', 'quit.lock', 'quit.done'];

const quitsOf = (p: FakeProxy) => p.quits.map((q) => q.status);

describe.each(SHELL_SETUPS)('the shared directory on $name', (setup) => {
  if (missingPrograms(setup).length > 0) {
    test.skip(`SKIPPED: this machine lacks ${missingPrograms(setup).join(', ')}`, () => undefined);
    return;
  }
  afterEach(cleanup);

  /** Two main containers, "a" ending first: their results. */
  async function twoContainers(proxy: FakeProxy, dir: string): Promise<[WrapperResult, WrapperResult]> {
    const settings = { dir, peers: ['a', 'b'], readyUrls: [proxy.readinessUrl], quit: [post(proxy.quitUrl)], quitAttempts: 2, requestTimeoutSeconds: 1 };
    const a = runWrapper({ setup, command: ['/bin/sh', '-c', 'exit 3'], settings: { ...settings, container: 'a' } }).result;
    const b = runWrapper({ setup, command: ['/bin/sleep', '0.3'], settings: { ...settings, container: 'b' } }).result;
    return Promise.all([a, b]);
  }

  test('never writes through a symlink another container planted in the shared directory, and reports it', async () => {
    const proxy = await startProxy();
    const dir = sharedDir();
    const victims = join(tempDir(), 'private');
    mkdirSync(victims);
    for (const name of OLD_NAMES) {
      writeFileSync(join(victims, name), `data of ${name}\n`);
      symlinkSync(join(victims, name), join(dir, name));
    }
    const [a, b] = await twoContainers(proxy, dir);

    expect([a.code, b.code]).toEqual([3, 0]);
    for (const name of OLD_NAMES) expect(readFileSync(join(victims, name), 'utf8')).toBe(`data of ${name}\n`);
    expect(quitsOf(proxy)).toEqual([200]);
    const tampered = `meshjob: state-tampered: found in the shared directory ${dir}, not made by a wrapper: ${[...OLD_NAMES].sort().join(' ')}`;
    expect(readFileSync(terminationLogOf({ dir, container: 'b' }), 'utf8')).toBe(`${tampered}\n`);
    expect(b.stderrLines).toEqual([tampered.replace('meshjob: state-tampered: ', 'meshjob[b]: ')]);
  });

  test('ends within its windows when another container planted FIFOs where wrappers wrote and read', async () => {
    const proxy = await startProxy();
    const dir = sharedDir();
    for (const name of OLD_NAMES) expect(spawnSync('/usr/bin/mkfifo', [join(dir, name)]).status).toBe(0);
    const [a, b] = await twoContainers(proxy, dir);

    expect([a.killedByHarness, b.killedByHarness]).toEqual([false, false]);
    expect([a.code, b.code]).toEqual([3, 0]);
    expect(quitsOf(proxy)).toEqual([200]);
    expect(b.stderrLines).toEqual([expect.stringContaining(`not made by a wrapper: ${[...OLD_NAMES].sort().join(' ')}`)]);
  });
});
