import { spawn, spawnSync } from 'child_process';
import { mkdirSync } from 'fs';
import { join } from 'path';
import { DownwardApiItem, expandKubelet, PodMetadata, settingsIndex, writeDownwardApi } from './kubelet';
import { CHILD_JS, tempDir } from './wrapper-harness';

/** Debian's static busybox, standing in for the busybox image's /bin/busybox. */
export const BUSYBOX = '/usr/bin/busybox';

/** Where MeshJob mounts its emptyDirs (run/ and bin/) in every container. */
const MOUNT = '/meshjob';

/** A temp dir standing for MeshJob's emptyDirs, with their run/ and bin/ as the kubelet makes them. */
export function emptyDirs(root: string): string {
  const volume = join(root, 'emptyDir');
  mkdirSync(join(volume, 'run'), { recursive: true });
  mkdirSync(join(volume, 'bin'));
  return volume;
}

/** A path under MeshJob's mount, moved into `volume`; any other string unchanged. */
export function mountIn(volume: string, s: string): string {
  return s === MOUNT || s.startsWith(`${MOUNT}/`) ? volume + s.slice(MOUNT.length) : s;
}

/**
 * Writes every downward API volume of a rendered pod where its containers mount it (a mount path
 * under MeshJob's, moved into `volume`), showing `metadata`: the pod as the API server stored it,
 * injection's marks included (test/support/injection.ts admitted()).
 */
export function writeDownwardApiVolumes(pod: any, metadata: PodMetadata, volume: string): void {
  for (const v of pod.volumes ?? []) {
    if (!v.downwardAPI) continue;
    const paths = new Set<string>();
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      for (const m of c.volumeMounts ?? []) if (m.name === v.name) paths.add(m.mountPath);
    }
    for (const path of paths) {
      const dir = mountIn(volume, path);
      if (dir === path) throw new Error(`downward API volume ${v.name} is mounted at ${path}, outside ${MOUNT}: the harness cannot place it`);
      mkdirSync(dir, { recursive: true });
      writeDownwardApi(dir, metadata, v.downwardAPI.items as DownwardApiItem[]);
    }
  }
}

/**
 * Runs MeshJob's own init containers of a rendered pod (not native sidecars, not the user's), the
 * image's /bin/busybox being Debian's static busybox and the mount a temp dir; throws if one fails.
 */
export function runMeshJobInit(pod: any, volume: string, cwd?: string): void {
  for (const init of pod.initContainers ?? []) {
    if (init.restartPolicy === 'Always' || init.name !== 'meshjob-busybox') continue;
    const [file, ...args] = init.command.map((s: string) => mountIn(volume, s === '/bin/busybox' ? BUSYBOX : s));
    const r = spawnSync(file, args, { env: { PATH: '/nonexistent' }, cwd });
    if (r.status !== 0) throw new Error(`init container ${init.name} failed: ${r.stderr}`);
  }
}

/**
 * A wrapped container's kubelet-expanded argv with the test-only substitutions: its settings
 * argument's paths in `volume` (the termination message file as `terminationLog`), each `from`
 * of `ports` replaced by its `to`, and the shell at argv[0] moved into `volume`. Other arguments
 * (the user's) are never touched.
 */
export function localizeWrapped(argv: string[], volume: string, terminationLog: string, ports: Record<string, string>): string[] {
  const settings = settingsIndex(argv);
  if (settings < 0) return argv;
  let value = argv[settings].split(MOUNT).join(volume).split('/dev/termination-log').join(terminationLog);
  for (const [from, to] of Object.entries(ports)) value = value.split(from).join(to);
  return argv.map((s, i) => (i === settings ? value : i === 0 ? mountIn(volume, s) : s));
}

/** Runs a rendered pod's containers as a kubelet would. */
export interface Kubelet {
  /** The stderr lines of every container run so far (what `kubectl logs` would show). */
  readonly stderr: string[];
  /** The directory standing for MeshJob's emptyDirs (its run/ is the wrapper's shared directory). */
  readonly volume: string;
  /**
   * Runs one container's rendered command and args with its rendered env; resolves to its exit
   * code. `started` gets the container's process (its PID 1), as the runtime would signal it.
   */
  run(container: any, extraEnv: Record<string, string>, started?: (pid: number) => void): Promise<number | null>;
}

/**
 * A kubelet for a rendered pod spec, with the test-only substitutions and nothing else: the
 * emptyDir's mount path becomes a temp dir, each `host:port` of `ports` (as the manifest writes it,
 * e.g. "localhost:15021") becomes 127.0.0.1 and a fake's port, the image's /bin/busybox Debian's
 * static busybox, and the image's entrypoint `/report` the child fixture. No shell or tools on
 * PATH, as in a FROM scratch image. Runs the init containers at once, in order. A downward API
 * volume shows `metadata`, the pod as the API server stored it: say what admission did, with
 * test/support/injection.ts (`admitted(template, istioInjected())`, or `undefined` for a pod the
 * mesh left alone).
 */
export function kubeletFor(pod: any, ports: Record<string, number>, metadata: PodMetadata): Kubelet {
  // One temp dir stands for MeshJob's emptyDirs, and one file for every container's termination message.
  const volume = emptyDirs(tempDir());
  writeDownwardApiVolumes(pod, metadata, volume);
  const localPorts = Object.fromEntries(Object.entries(ports).map(([from, to]) => [from, `127.0.0.1:${to}`]));
  runMeshJobInit(pod, volume);
  const stderr: string[] = [];
  return {
    stderr,
    volume,
    run(container, extraEnv, started) {
      const env: Record<string, string> = { PATH: '/nonexistent', ...extraEnv };
      for (const e of container.env ?? []) env[e.name] = e.value;
      const expanded = [...container.command, ...(container.args ?? [])].map((s: string) => expandKubelet(s, env));
      const argv = localizeWrapped(expanded, volume, join(volume, 'termination-log'), localPorts)
        .flatMap((s: string) => (s === '/report' ? [process.execPath, CHILD_JS] : [s]));
      const [file, ...args] = argv;
      const p = spawn(file, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      if (p.pid !== undefined) started?.(p.pid);
      let err = '';
      p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      return new Promise((resolve) => p.once('close', (code) => {
        stderr.push(...err.split('\n').filter((l) => l !== ''));
        resolve(code);
      }));
    },
  };
}
