import { spawn, spawnSync } from 'child_process';
import { mkdirSync } from 'fs';
import { join } from 'path';
import { expandKubelet, settingsIndex } from './kubelet';
import { CHILD_JS, tempDir } from './wrapper-harness';

/** Debian's static busybox, standing in for the busybox image's /bin/busybox. */
export const BUSYBOX = '/usr/bin/busybox';

/** Runs a rendered pod's containers as a kubelet would. */
export interface Kubelet {
  /** The stderr lines of every container run so far (what `kubectl logs` would show). */
  readonly stderr: string[];
  /** Runs one container's rendered command and args with its rendered env; resolves to its exit code. */
  run(container: any, extraEnv: Record<string, string>): Promise<number | null>;
}

/**
 * A kubelet for a rendered pod spec, with the test-only substitutions and nothing else: the
 * emptyDir's mount path becomes a temp dir, each `host:port` of `ports` (as the manifest writes it,
 * e.g. "localhost:15021") becomes 127.0.0.1 and a fake's port, the image's /bin/busybox Debian's
 * static busybox, and the image's entrypoint `/report` the child fixture. No shell or tools on
 * PATH, as in a FROM scratch image. Runs the init containers at once, in order.
 */
export function kubeletFor(pod: any, ports: Record<string, number>): Kubelet {
  // MeshJob's emptyDirs are mounted under /meshjob (run/ and bin/): one temp dir stands for all.
  const volumeDir = join(tempDir(), 'emptyDir');
  mkdirSync(join(volumeDir, 'run'), { recursive: true });
  mkdirSync(join(volumeDir, 'bin'));
  // The termination message file the kubelet mounts in each container: one temp file for all here.
  const mount = (s: string) => s.split('/meshjob').join(volumeDir).split('/dev/termination-log').join(join(volumeDir, 'termination-log'));
  const localize = (s: string) => Object.entries(ports).reduce((acc, [from, to]) => acc.split(from).join(`127.0.0.1:${to}`), s);
  for (const init of pod.initContainers ?? []) {
    if (init.restartPolicy === 'Always') continue; // a native sidecar: not ours to run here
    const [file, ...args] = init.command.map((s: string) => mount(s.replace(/^\/bin\/busybox$/, BUSYBOX)));
    const r = spawnSync(file, args, { env: { PATH: '/nonexistent' } });
    if (r.status !== 0) throw new Error(`init container ${init.name} failed: ${r.stderr}`);
  }
  const stderr: string[] = [];
  return {
    stderr,
    run(container, extraEnv) {
      const env: Record<string, string> = { PATH: '/nonexistent', ...extraEnv };
      for (const e of container.env ?? []) env[e.name] = e.value;
      const settings = settingsIndex(container.command);
      const argv = [...container.command, ...(container.args ?? [])]
        .map((s: string) => expandKubelet(s, env))
        .flatMap((s: string, i: number) => (i === 0 || i === settings ? [mount(localize(s))] : s === '/report' ? [process.execPath, CHILD_JS] : [s]));
      const [file, ...args] = argv;
      const p = spawn(file, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      return new Promise((resolve) => p.once('close', (code) => {
        stderr.push(...err.split('\n').filter((l) => l !== ''));
        resolve(code);
      }));
    },
  };
}
