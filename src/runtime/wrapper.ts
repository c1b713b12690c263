import { readFileSync } from 'fs';
import { join } from 'path';
import { HttpClient } from './wrapper-runtime';
import { QuitCall } from '../meshes/endpoint';

/**
 * Exit codes the wrapper uses for its own outcomes. Any other code is the command's own
 * (128+N when the command died of signal N).
 */
export class WrapperExitCode {
  /**
   * The proxy did not become ready within the ready timeout and the command was not started
   * (EX_TEMPFAIL in sysexits.h: a fresh pod may succeed).
   */
  public static readonly PROXY_NOT_READY = 75;

  /** The wrapper was started without a command to run (EX_USAGE in sysexits.h). */
  public static readonly USAGE = 64;

  private constructor() {}
}

/** Where the shared emptyDir is mounted in every container MeshJob touches. */
export const WRAPPER_MOUNT_PATH = '/meshjob';
/** The shared emptyDir's volume name. */
export const WRAPPER_VOLUME_NAME = 'meshjob';
/** Where the busybox runtime's binary lives in the shared volume. */
export const WRAPPER_BUSYBOX_PATH = `${WRAPPER_MOUNT_PATH}/busybox`;
/** `$0` of the wrapper shell, as `ps` shows it. */
export const WRAPPER_ARGV0 = 'meshjob';
/** Prefix of every environment variable the wrapper reads. */
export const WRAPPER_ENV_PREFIX = 'MESHJOB_';

/**
 * How often a wrapped sidecar looks for the main containers' done files: it runs for the whole
 * Job, so a slower pace than readiness polling keeps its cost negligible (4 forks a second).
 */
export const SIDECAR_POLL_SECONDS = 0.25;

/** Everything one wrapped container's wrapper is told. @internal */
export interface WrapperSettings {
  readonly container: string;
  /** `main` runs the job's command; `sidecar` runs until every main container has ended. */
  readonly role?: 'main' | 'sidecar';
  /** Every main container of the pod: the last to finish stops the proxy. */
  readonly peers: string[];
  /** Done-file sidecars the last main container waits for before it stops the proxy. */
  readonly sidecars?: string[];
  /** How long a sidecar gets between SIGTERM and SIGKILL (and the main container waits for it). */
  readonly sidecarStopTimeoutSeconds: number;
  readonly httpClient: HttpClient;
  /** Path of the busybox binary; absent when the image's own tools are used. */
  readonly busybox?: string;
  /** GET URLs that must answer 2xx, in turn, before the command starts. */
  readonly readyUrls?: string[];
  readonly readyTimeoutSeconds: number;
  readonly readyPollSeconds: number;
  readonly requestTimeoutSeconds: number;
  readonly startOnReadyTimeout: boolean;
  readonly quit: QuitCall[];
  readonly quitAttempts: number;
  readonly quitRetryDelaySeconds: number;
  readonly keepProxyOnFailure: boolean;
  readonly dir: string;
}

let cachedScript: string | undefined;

/**
 * The wrapper script as it is rendered into a pod: src/runtime/wrapper.sh without comment lines,
 * indentation or blank lines.
 */
export function wrapperScript(): string {
  if (cachedScript === undefined) {
    const source = readFileSync(join(__dirname, 'wrapper.sh'), 'utf-8');
    cachedScript = source
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .join('\n') + '\n';
  }
  return cachedScript;
}

/**
 * Escapes a string for a container's `command` or `args`, where the kubelet replaces `$(NAME)`
 * with the variable's value and `$$` with `$` (kubernetes third_party/forked/golang/expansion).
 */
export function escapeKubeletExpansion(value: string): string {
  return value.replace(/\$(?=[$(])/g, '$$$$');
}

/**
 * Keeps the kubelet from expanding the wrapper's own variables in a user's command or args: every
 * `$(MESHJOB_...)` reference becomes `$$(MESHJOB_...)`, which the kubelet turns back into the
 * literal `$(MESHJOB_...)` that the unwrapped container would have received (no such variable
 * there). `$$` pairs are kept as they are, as the kubelet reads them.
 */
export function protectWrapperVariables(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '$' && value[i + 1] === '$') {
      out += '$$';
      i++;
    } else if (value[i] === '$' && value[i + 1] === '(') {
      const close = value.indexOf(')', i + 2);
      out += close > 0 && value.slice(i + 2, close).startsWith(WRAPPER_ENV_PREFIX) ? '$$' : '$';
    } else {
      out += value[i];
    }
  }
  return out;
}

/**
 * The `command` of a wrapped container, before its original command and args.
 *
 * @param shell how to start a POSIX shell, e.g. ["/meshjob/busybox", "sh"] or ["/bin/sh"]
 * @internal
 */
export function wrapperCommand(shell: string[]): string[] {
  cachedEscapedScript ??= escapeKubeletExpansion(wrapperScript());
  return [...shell, '-c', cachedEscapedScript, WRAPPER_ARGV0];
}

let cachedEscapedScript: string | undefined;

function seconds(value: number): string {
  return String(Number(value.toFixed(3)));
}

/** The environment one wrapper runs with. @internal */
export function wrapperEnv(s: WrapperSettings): Array<{ name: string; value: string }> {
  const env: Array<[string, string]> = [
    ['CONTAINER', s.container],
    ['ROLE', s.role ?? 'main'],
    ['PEERS', s.peers.join(' ')],
    ['SIDECARS', (s.sidecars ?? []).join(' ')],
    ['SIDECAR_STOP_TIMEOUT', seconds(s.sidecarStopTimeoutSeconds)],
    ['SIDECAR_POLL', seconds(SIDECAR_POLL_SECONDS)],
    ['DIR', s.dir],
    ['BUSYBOX', s.busybox ?? ''],
    ['HTTP_CLIENT', s.httpClient],
    ['READY_URL', (s.readyUrls ?? []).join(' ')],
    ['READY_TIMEOUT', seconds(s.readyTimeoutSeconds)],
    ['READY_POLL', seconds(s.readyPollSeconds)],
    ['REQUEST_TIMEOUT', seconds(s.requestTimeoutSeconds)],
    ['ON_READY_TIMEOUT', s.startOnReadyTimeout ? 'start' : 'fail'],
    ['QUIT', s.quit.map((q) => `${q.method}|${q.url}`).join(' ')],
    ['QUIT_ATTEMPTS', String(s.quitAttempts)],
    ['QUIT_RETRY_DELAY', seconds(s.quitRetryDelaySeconds)],
    ['KEEP_PROXY_ON_FAILURE', String(s.keepProxyOnFailure)],
    ['EXIT_PROXY_NOT_READY', String(WrapperExitCode.PROXY_NOT_READY)],
    ['EXIT_USAGE', String(WrapperExitCode.USAGE)],
  ];
  return env.map(([name, value]) => ({ name: WRAPPER_ENV_PREFIX + name, value }));
}
