import { spawn } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { expandKubelet, settingsIndex, PodMetadata } from './kubelet';
import { BUSYBOX, emptyDirs, localizeWrapped, runMeshJobInit, writeDownwardApiVolumes } from './pod';

// A rendered pod run as a kubelet would (as test/e2e/rendered-pod.test.ts does, generalised):
// MeshJob's init container copies busybox into the emptyDir, then every container starts at once
// with its rendered command and args, each element kubelet-expanded with its rendered env (whose
// values are kubelet-expanded in order first, as the kubelet does). Test-only substitutions, and
// nothing else: the emptyDirs' mount path becomes a temp dir (in the wrapper's settings argument
// values and the busybox path only, never in user strings), the image's /bin/busybox Debian's
// static busybox, an image shell path a host shell, and the given loopback host:port pairs
// another port (e.g. Istio's 15021 and 15020 to a fake proxy).

export const HOST_BUSYBOX = BUSYBOX;

export interface PodRunOptions {
  /** The rendered pod spec. */
  readonly pod: any;
  /** "localhost:15021" -> "127.0.0.1:34567", applied to the wrapper's MESHJOB_* values. */
  readonly ports?: Record<string, string>;
  /** Working directory of every container (the image's WORKDIR). */
  readonly cwd: string;
  /** The host shell that stands in for WrapperRuntime.imageShell's shell path. */
  readonly imageShell?: string;
  /** PATH of every container: '/nonexistent' for FROM scratch, a minimal PATH for imageShell. */
  readonly path: string;
  /** Every container's process group is SIGKILLed after this long. */
  readonly deadlineMs?: number;
  /**
   * What a downward API volume shows: the pod as the API server stored it, injection's marks
   * included (test/support/injection.ts `admitted`).
   */
  readonly metadata: PodMetadata;
}

export interface ContainerRun {
  readonly name: string;
  readonly wrapped: boolean;
  readonly argv: string[];
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly killedByDeadline: boolean;
}

/** The kubelet's env for a container: each value expanded with the variables defined before it. */
export function kubeletEnv(env: Array<{ name: string; value?: string }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) out[e.name] = expandKubelet(e.value ?? '', out);
  return out;
}

/** Runs the pod's init container (MeshJob's only) and then all its containers; returns when all ended. */
export async function runPod(o: PodRunOptions): Promise<ContainerRun[]> {
  const root = mkdtempSync(join(tmpdir(), 'meshjob-pod-'));
  const volume = emptyDirs(root);
  try {
    writeDownwardApiVolumes(o.pod, o.metadata, volume);
    runMeshJobInit(o.pod, volume, o.cwd);
    return await Promise.all((o.pod.containers as any[]).map((c) => runContainer(c, o, volume)));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function runContainer(c: any, o: PodRunOptions, volume: string): Promise<ContainerRun> {
  const env = kubeletEnv(c.env ?? []);
  const wrapped = settingsIndex(c.command ?? []) >= 0;
  const expanded: string[] = [...(c.command ?? []), ...(c.args ?? [])].map((s: string) => expandKubelet(s, env));
  // The termination message file the kubelet mounts at terminationMessagePath: a file per container here.
  const argv = localizeWrapped(expanded, volume, join(volume, `termination-log.${c.name}`), o.ports ?? {});
  if (wrapped && argv[0] === expanded[0] && o.imageShell) argv[0] = o.imageShell;
  const [file, ...args] = argv;
  return new Promise((resolve) => {
    const p = spawn(file, args, { env: { PATH: o.path, ...env }, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    let err = '';
    let exited = false;
    let killedByDeadline = false;
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const deadline = setTimeout(() => {
      if (exited || p.pid === undefined) return;
      killedByDeadline = true;
      try {
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, o.deadlineMs ?? 15_000);
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      resolve({ name: c.name, wrapped, argv, code, signal, stdout: Buffer.concat(out), stderr: err, killedByDeadline });
    };
    p.once('error', (e) => {
      err += String(e);
      finish(127, null);
    });
    p.once('exit', (code, signal) => {
      exited = true;
      setTimeout(() => finish(code, signal), 2000).unref();
    });
    p.once('close', finish);
  });
}
