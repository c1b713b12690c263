import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'fs';
import { constants as osConstants } from 'os';
import { join } from 'path';
import { Cron, Testing } from 'cdk8s';
import { Mesh, MeshJob, MeshJobProps } from '../../src';
import { FakeProxy } from '../support/fake-proxy';
import { admitted, istioInjected } from '../support/injection';
import { expandKubelet } from '../support/kubelet';
import { BUSYBOX, kubeletFor } from '../support/pod';
import { newChart } from '../support/render';
import { podMetadataOf, podSpecOf, validateAll } from '../support/schema';
import { Child, cleanup, startProxy, tempDir } from '../support/wrapper-harness';

// The rendered manifests, run as a kubelet would beside a fake Istio proxy: the init container
// copies busybox into the emptyDir, then every container runs its rendered command and args
// (kubelet-expanded with its rendered env) with no shell or tools on PATH, as in a FROM scratch
// image. Test-only substitutions, and nothing else: the emptyDir's mount path becomes a temp dir,
// Istio's ports 15021/15020 the fake proxy's port, the image's /bin/busybox Debian's static
// busybox, and the image's entrypoint `/report` the child fixture.

jest.setTimeout(30_000);
afterEach(cleanup);

const ARGS = ['--since', '24h', '', 'two words', "it's \"quoted\"", '$HOME', '$(HOME)', '$$', '`id`', 'a\nb', '✓ ünï', '-c', '--'];
const istioPorts = (proxy: FakeProxy) => ({ 'localhost:15021': proxy.port, 'localhost:15020': proxy.port });
/** A rendered pod as the API server stores it once Istio's injector added its proxy. */
const istioPod = (manifest: any) => Object.assign(podSpecOf(manifest), { stored: admitted(podMetadataOf(manifest), istioInjected()) });

const scratchApp = (name: string) => ({ name, image: `registry.example.com/${name}:1.4`, command: ['/report'], args: ARGS });

describe.each([
  ['Job', {}],
  ['CronJob', { schedule: Cron.daily() }],
])('a FROM scratch Istio %s, rendered and run as a kubelet would', (kind, extra: Partial<MeshJobProps>) => {
  function render(containers: any[]) {
    const chart = newChart();
    new MeshJob(chart, 'nightly', { mesh: Mesh.istio(), containers, ...extra });
    return istioPod(validateAll(Testing.synth(chart)).find((m) => m.kind === kind));
  }

  test('copies a runnable busybox into the emptyDir, then starts each command only after the proxy is ready, with every argument unchanged', async () => {
    const pod = render([scratchApp('report'), scratchApp('audit')]);
    const proxy = await startProxy({ readyAfterMs: 300 });
    const kubelet = kubeletFor(pod, istioPorts(proxy), pod.stored);
    const children = pod.containers.map((c: any) => new Child(tempDir(), c.name));
    const codes = await Promise.all(pod.containers.map((c: any, i: number) =>
      kubelet.run(c, children[i].env({ sleepMs: 100 * (i + 1), exit: i === 0 ? 0 : 7 }))));

    expect(codes).toEqual([0, 7]);
    // Exactly what the kubelet hands the command of the same container unwrapped ("$$" is the
    // kubelet's escape for "$"; "$(HOME)" names no variable of the container and stays).
    const unwrapped = ARGS.map((a) => expandKubelet(a, {}));
    expect(unwrapped).toContain('$');
    for (const child of children) {
      expect(child.report()!.argv).toEqual(unwrapped);
      expect(child.report()!.startedAt).toBeGreaterThan(proxy.readyAt!);
    }
    expect(proxy.quits).toHaveLength(1);
    expect(proxy.quits[0].method).toBe('POST');
    expect(proxy.quits[0].at).toBeGreaterThan(Math.max(...children.map((c: Child) => c.report()!.endedAt!)));
  });

  test('the init container leaves an executable busybox where the wrapped command expects it', () => {
    const pod = render([scratchApp('report')]);
    // The init container mounts the binary's emptyDir at /meshjob/bin; the wrapped container mounts
    // the same volume there, read-only, and runs the copy.
    const initMount = pod.initContainers[0].volumeMounts[0];
    const appMount = pod.containers[0].volumeMounts.find((m: any) => m.name === initMount.name);
    expect(appMount).toEqual({ name: initMount.name, mountPath: initMount.mountPath, readOnly: true });
    const dir = join(tempDir(), 'volume');
    mkdirSync(dir);
    const [file, ...args] = pod.initContainers[0].command.map((s: string) => s.replace(/^\/bin\/busybox$/, BUSYBOX).split(initMount.mountPath).join(dir));
    expect(spawnSync(file, args).status).toBe(0);
    expect(pod.containers[0].command[0]).toBe(`${appMount.mountPath}/busybox`);
    expect(existsSync(join(dir, 'busybox'))).toBe(true);
    // Executable: it runs.
    expect(spawnSync(join(dir, 'busybox'), ['true']).status).toBe(0);
  });

  test('ends with the command\'s exit code when it dies of a signal', async () => {
    const pod = render([scratchApp('report')]);
    const proxy = await startProxy();
    const child = new Child(tempDir(), 'report');
    expect(await kubeletFor(pod, istioPorts(proxy), pod.stored).run(pod.containers[0], child.env({ kill: 'SIGSEGV' }))).toBe(139);
    expect(proxy.quits).toHaveLength(1);
  });
});

describe('a rendered Istio Job whose other container tampers with the shared directory, run as a kubelet would', () => {
  const OLD_NAMES = ['rc.a', 'rc.b', 'done.a', 'done.b', 'quit.lock', 'quit.done'];
  function render(containers: any[]) {
    const chart = newChart();
    new MeshJob(chart, 'nightly', { mesh: Mesh.istio(), containers });
    return istioPod(validateAll(Testing.synth(chart)).find((m) => m.kind === 'Job'));
  }

  test('changes no file through the symlinks planted in its emptyDir, blocks on none of the FIFOs, and quits once', async () => {
    const pod = render([scratchApp('a'), scratchApp('b')]);
    const proxy = await startProxy();
    const kubelet = kubeletFor(pod, istioPorts(proxy), pod.stored);
    const victims = join(tempDir(), 'private');
    mkdirSync(victims);
    OLD_NAMES.forEach((name, i) => {
      if (i % 2 === 0) {
        writeFileSync(join(victims, name), 'precious\n');
        symlinkSync(join(victims, name), join(kubelet.volume, 'run', name));
      } else {
        expect(spawnSync('/usr/bin/mkfifo', [join(kubelet.volume, 'run', name)]).status).toBe(0);
      }
    });
    const [a, b] = [new Child(tempDir(), 'a'), new Child(tempDir(), 'b')];
    const codes = await Promise.all([kubelet.run(pod.containers[0], a.env({ exit: 3 })), kubelet.run(pod.containers[1], b.env({ sleepMs: 300 }))]);

    expect(codes).toEqual([3, 0]);
    for (const name of OLD_NAMES.filter((_n, i) => i % 2 === 0)) expect(readFileSync(join(victims, name), 'utf8')).toBe('precious\n');
    expect(proxy.quits.map((q) => q.status)).toEqual([200]);
    expect(kubelet.stderr).toEqual([expect.stringContaining(`not made by a wrapper: ${[...OLD_NAMES].sort().join(' ')}`)]);
  });

  test.each(['SIGQUIT', 'SIGHUP', 'SIGUSR1'] as NodeJS.Signals[])('passes %s, sent to the container, on to its command', async (signal) => {
    const pod = render([scratchApp('report')]);
    const proxy = await startProxy();
    const child = new Child(tempDir(), 'report');
    let pid = 0;
    const kubelet = kubeletFor(pod, istioPorts(proxy), pod.stored);
    const code = kubelet.run(pod.containers[0], child.env({ trap: [signal], sleepMs: 60_000 }), (p) => (pid = p));
    await child.started();
    process.kill(pid, signal);

    expect(await code).toBe(128 + osConstants.signals[signal]);
    expect(child.marker()?.signal).toBe(signal);
    expect(proxy.quits).toHaveLength(1);
  });
});
