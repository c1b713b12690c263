import { spawn } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { expandKubelet } from './kubelet';
import { baseSettings, MINIMAL_PATH, ShellSetup, terminationLogOf } from './wrapper-harness';
import { wrapperCommand, WrapperSettings } from '../../src/runtime/settings';

// A cheap, many-times runner for the property tests: the wrapper started exactly as
// test/support/wrapper-harness.ts `runWrapper` starts it (same argv: [...wrapperCommand(shell),
// ...command, ...args], each element kubelet-expanded with the container's env; same process env:
// that env over MINIMAL_PATH), but without the harness's 2 s close grace and without its
// cleanup(), which SIGKILLs the process group of every pid it ever spawned, exited or not: over a
// thousand runs on a machine whose pid_max is 32768 a recycled pid could be someone else's group.
// Here a group is killed only while its leader has not exited. arg-fidelity.test.ts checks that
// this argv equals runWrapper's.

export interface LightRun {
  readonly argv: string[];
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** stdout as raw bytes. */
  readonly stdout: Buffer;
  readonly stderr: string;
}

export interface LightOptions {
  readonly setup: ShellSetup;
  readonly command: string[];
  readonly args?: string[];
  /** The container's own env (user variables), kubelet-visible. */
  readonly env?: Record<string, string>;
  readonly settings?: Partial<WrapperSettings>;
  /** Working directory of the wrapper (the image's WORKDIR). Default: a fresh temp dir. */
  readonly cwd?: string;
  /** SIGKILL the group after this long (default 10 s). */
  readonly deadlineMs?: number;
}

/** The argv and env the kubelet starts the wrapped container with. */
export function kubeletArgv(options: LightOptions, dir: string): { argv: string[]; env: Record<string, string> } {
  const merged = { ...baseSettings(options.setup, dir), ...options.settings, dir };
  const settings: WrapperSettings = { ...merged, terminationMessagePath: merged.terminationMessagePath ?? terminationLogOf(merged) };
  const containerEnv: Record<string, string> = { ...options.env };
  const argv = [...wrapperCommand(options.setup.shell, settings), ...options.command, ...(options.args ?? [])]
    .map((s) => expandKubelet(s, containerEnv));
  return { argv, env: { PATH: MINIMAL_PATH, ...containerEnv } };
}

/** Runs the wrapper once in a fresh shared dir (removed afterwards). */
export function runLight(options: LightOptions): Promise<LightRun> {
  const base = mkdtempSync(join(tmpdir(), 'meshjob-adv-'));
  const dir = join(base, 'shared');
  mkdirSync(dir);
  const cwd = options.cwd ?? base;
  const { argv, env } = kubeletArgv(options, dir);
  const [file, ...args] = argv;
  return new Promise<LightRun>((resolve, reject) => {
    const child = spawn(file, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    let exited = false;
    const deadline = setTimeout(() => {
      if (!exited && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, options.deadlineMs ?? 10_000);
    child.once('error', (e) => {
      clearTimeout(deadline);
      rmSync(base, { recursive: true, force: true });
      reject(e);
    });
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      rmSync(base, { recursive: true, force: true });
      resolve({ argv, code, signal, stdout: Buffer.concat(out), stderr: err });
    };
    child.once('exit', (code, signal) => {
      exited = true;
      // stdout/stderr close when every holder closes them; do not wait on a stray grandchild.
      setTimeout(() => finish(code, signal), 2000).unref();
    });
    child.once('close', finish);
  });
}

/** Runs `items` through `fn`, at most `limit` at a time, keeping order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
