import { spawnSync } from 'child_process';
import fc from 'fast-check';
import { KILL_BY_NAME, HttpMethod, QuitCall } from '../../src/meshes/endpoint';
import { featureKey } from '../../src/runtime/script';
import { readWrapperCommand, renderedWrapperScripts, wrapperCommand, wrapperFeatures, wrapperSettings, WrapperSettings } from '../../src/runtime/settings';
import { HttpClient } from '../../src/runtime/wrapper-runtime';
import { expandKubelet } from '../support/kubelet';

const BASE: WrapperSettings = {
  container: 'main',
  peers: ['main'],
  httpClient: HttpClient.WGET,
  sidecarStopTimeoutSeconds: 30,
  readyTimeoutSeconds: 120,
  readyPollSeconds: 0.02,
  requestTimeoutSeconds: 2,
  startOnReadyTimeout: false,
  quitAttempts: 10,
  quitRetryDelaySeconds: 0.2,
  keepProxyOnFailure: false,
  dir: '/meshjob/run',
  quit: [{ method: HttpMethod.POST, url: 'http://localhost:15020/quitquitquit' }],
};

const settingsArb = fc.record({
  httpClient: fc.constantFrom(HttpClient.WGET, HttpClient.CURL),
  role: fc.constantFrom('main' as const, 'sidecar' as const),
  peers: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), { minLength: 1, maxLength: 3 }),
  sidecars: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), { maxLength: 2 }),
  quit: fc.array(fc.constantFrom<QuitCall>(
    { method: HttpMethod.POST, url: 'http://localhost:15020/quitquitquit' },
    { method: HttpMethod.GET, url: 'http://127.0.0.1:9091/quitquitquit' },
    { method: KILL_BY_NAME, url: 'pilot-agent' },
  ), { maxLength: 3 }),
  terminationMessagePath: fc.stringOf(fc.constantFrom('a', ' ', "'", '\\', '$', '(', ')', '$$', '\n', 'é'), { maxLength: 12 }),
}).map((s) => ({ ...BASE, ...s, container: s.peers[0] }));

describe('the wrapper argv', () => {
  test('reads back every setting it was rendered with, whatever the values hold', () => {
    fc.assert(fc.property(settingsArb, fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }), (s, command) => {
      // As the pod spec shows it (kubelet-escaped): the settings the shell gets once the kubelet expanded them.
      const rendered = [...wrapperCommand(['/bin/sh'], s), ...command];
      const read = readWrapperCommand(rendered);
      expect(read?.settings).toEqual(Object.fromEntries(wrapperSettings(s)));
      expect(read?.command).toEqual(command);
      expect(expandKubelet(rendered[4], {})).toBe(rendered[4].replace(/\$\$/g, '$'));
    }));
  });

  test('reads a value quoted with \'\\\'\' as the shell does', () => {
    const argv = wrapperCommand(['/bin/sh'], { ...BASE, terminationMessagePath: "/logs/it's here" });
    expect(readWrapperCommand(argv)?.settings.TERMINATION_LOG).toBe("/logs/it's here");
  });

  test('is not read from a command that is not the wrapper', () => {
    expect(readWrapperCommand(['/bin/sh', '-c', 'echo hi', 'meshjob'])).toBeUndefined();
    expect(readWrapperCommand(['/bin/sh', '-c', 'echo hi', 'other', 'MESHJOB_X=1'])).toBeUndefined();
    expect(readWrapperCommand(['/bin/sh', '-c', 'echo hi', 'meshjob', "MESHJOB_X='open"])).toBeUndefined();
    expect(readWrapperCommand(undefined)).toBeUndefined();
  });
});

describe('the rendered scripts', () => {
  test('every one has every @NAME@ of wrapper.sh written in', () => {
    for (const [key, script] of renderedWrapperScripts()) expect({ key, left: script.match(/@[A-Z_]+@/g) }).toEqual({ key, left: null });
  });

  test('every one parses in dash, busybox sh and bash', () => {
    for (const [key, escaped] of renderedWrapperScripts()) {
      const script = expandKubelet(escaped, {});
      for (const shell of [['/usr/bin/dash'], ['/usr/bin/busybox', 'sh'], ['/bin/bash']]) {
        const r = spawnSync(shell[0], [...shell.slice(1), '-n', '-c', script], { encoding: 'utf8' });
        expect({ key, shell: shell.join(' '), status: r.status, stderr: r.stderr }).toEqual({ key, shell: shell.join(' '), status: 0, stderr: '' });
      }
    }
  });

  test('hold a script for every set of sections a wrapper can use', () => {
    const scripts = renderedWrapperScripts();
    fc.assert(fc.property(settingsArb, (s) => {
      expect(scripts.has(featureKey(wrapperFeatures(s)))).toBe(true);
    }));
  });
});
