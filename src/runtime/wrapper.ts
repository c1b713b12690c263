import { readFileSync } from 'fs';
import { join } from 'path';
import { WRAPPER_ARGV0, WRAPPER_ENV_PREFIX } from './layout';
import { HttpClient } from './wrapper-runtime';
import { KILL_BY_NAME, QuitCall } from '../meshes/endpoint';

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

/**
 * The reasons wrapper.sh writes to the termination message (`report REASON ...`), as
 * `meshjob: <reason>: <details>`; `meshjob diagnose` reads them back. @internal
 */
export enum WrapperReason {
  /** The proxy was not ready in time; the command did not run (exit 75). */
  PROXY_NOT_READY = 'proxy-not-ready',
  /** The wrapper got no command (exit 64). */
  NO_COMMAND = 'no-command',
  /** A quit request was refused or unanswered; the proxy may still run. */
  QUIT_FAILED = 'quit-failed',
  /** The command failed and the proxy was left running, as asked (keepProxyOnFailure). */
  PROXY_KEPT = 'proxy-kept',
  /** The image has no HTTP client the wrapper can run (WrapperRuntime.imageShell); exit 64. */
  NO_HTTP_CLIENT = 'no-http-client',
}

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
  /** Attempts of each quit request (a 4xx ends them; after a SIGTERM there is one). */
  readonly quitAttempts: number;
  /** The first pause between two attempts; each next pause doubles, up to QUIT_RETRY_DELAY_CAP_SECONDS. */
  readonly quitRetryDelaySeconds: number;
  /** Where the wrapper writes its one-line reason, unless the command wrote one (the kubelet's default path when absent). */
  readonly terminationMessagePath?: string;
  readonly keepProxyOnFailure: boolean;
  readonly dir: string;
}

/**
 * The optional sections of wrapper.sh ("#@ NAME" ... "#@ end"): a pod's wrappers carry only the
 * sections its settings use. @internal
 */
export type WrapperFeature = 'wget' | 'curl' | 'peers' | 'single' | 'sidecars' | 'sidecar-role' | 'kill';

/** The sections one wrapper uses. @internal */
export function wrapperFeatures(s: WrapperSettings): WrapperFeature[] {
  const sidecarRole = s.role === 'sidecar';
  const peers = sidecarRole || s.peers.length > 1 || (s.sidecars ?? []).length > 0;
  const features: WrapperFeature[] = [s.httpClient === HttpClient.CURL ? 'curl' : 'wget', peers ? 'peers' : 'single'];
  if ((s.sidecars ?? []).length > 0) features.push('sidecars');
  if (sidecarRole) features.push('sidecar-role');
  if (s.quit.some((q) => q.method === KILL_BY_NAME)) features.push('kill');
  return features;
}

let source: string | undefined;
const rendered = new Map<string, string>();

/**
 * The wrapper script as it is rendered into a pod: src/runtime/wrapper.sh with only the sections
 * of `features`, without comment lines, indentation or blank lines, on one line. @internal
 */
export function wrapperScript(features: WrapperFeature[]): string {
  const key = featureKey(features);
  let script = rendered.get(key);
  if (script === undefined) {
    source ??= readFileSync(join(__dirname, 'wrapper.sh'), 'utf-8');
    const lines: string[] = [];
    let keep = true;
    for (const raw of source.split('\n')) {
      const line = raw.trim();
      const section = /^#@ (\S+)$/.exec(line);
      if (section) {
        keep = section[1] === 'end' || features.includes(section[1] as WrapperFeature);
        continue;
      }
      if (keep && line !== '' && !line.startsWith('#')) lines.push(line);
    }
    // The wrapper's own exit codes are facts of this module (WrapperExitCode), written in.
    script = joinLines(lines).replace(/@EXIT_USAGE@/g, String(WrapperExitCode.USAGE))
      .replace(/@EXIT_PROXY_NOT_READY@/g, String(WrapperExitCode.PROXY_NOT_READY));
    rendered.set(key, script);
  }
  return script;
}

/** The cache key of a set of sections, as snapshot lines name it: "single,wget". */
function featureKey(features: WrapperFeature[]): string {
  return [...features].sort().join(',');
}

const escaped = new Map<string, string>();

/** wrapperScript(features) escaped for the kubelet, as a container's `command` holds it; rendered once per set of sections. */
function escapedWrapperScript(features: WrapperFeature[]): string {
  const key = featureKey(features);
  let script = escaped.get(key);
  if (script === undefined) {
    script = escapeKubeletExpansion(wrapperScript(features));
    escaped.set(key, script);
  }
  return script;
}

/** A line after which the next one follows with a space, not ";": it opens a compound or continues a list. */
const CONTINUES = /(?:\bthen|\bdo|\belse|\bin|\{|;;|&|\|)$/;

/**
 * The script's lines as one line: each statement ends with ";" unless the line opens a compound
 * command or continues a list. In a pod spec every line of a multi-line string costs its YAML
 * indentation, which was a fifth of what the wrapper added to a Job.
 */
function joinLines(lines: string[]): string {
  return lines.map((line, i) => (i === lines.length - 1 ? line : CONTINUES.test(line) ? `${line} ` : `${line};`)).join('') + '\n';
}

/**
 * Every script a pod can carry, kubelet-escaped as in a container's `command`, by the sections it
 * has (e.g. "single,wget"): one per combination of WrapperFeature that wrapperFeatures() yields. @internal
 */
export function renderedWrapperScripts(): Map<string, string> {
  const scripts = new Map<string, string>();
  for (const client of ['wget', 'curl'] as const) {
    for (const coordination of ['single', 'peers'] as const) {
      const optional: WrapperFeature[][] = coordination === 'single' ? [[], ['kill']] : [[], ['sidecars'], ['sidecar-role'], ['kill'], ['sidecars', 'kill']];
      for (const extra of optional) {
        const features: WrapperFeature[] = [client, coordination, ...extra];
        scripts.set(featureKey(features), escapedWrapperScript(features));
      }
    }
  }
  return scripts;
}

/**
 * Escapes a string for a container's `command` or `args`, where the kubelet replaces `$(NAME)`
 * with the variable's value and `$$` with `$` (kubernetes third_party/forked/golang/expansion).
 */
export function escapeKubeletExpansion(value: string): string {
  return value.replace(/\$(?=[$(])/g, '$$$$');
}

/** A value as one single-quoted shell word. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_./:@%+,=-]*$/.test(value) && value !== '' ? value : `'${value.replace(/'/g, '\'\\\'\'')}'`;
}

function seconds(value: number): string {
  return String(Number(value.toFixed(3)));
}

/** The kubelet's default `terminationMessagePath` (core/v1 Container). */
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';

/** The longest pause between two attempts of a quit request, unless the first pause is longer. */
export const QUIT_RETRY_DELAY_CAP_SECONDS = 2;

/** The pauses between the attempts of one quit request: from quitRetryDelaySeconds, doubling, capped. @internal */
export function quitDelays(s: WrapperSettings): number[] {
  const cap = Math.max(QUIT_RETRY_DELAY_CAP_SECONDS, s.quitRetryDelaySeconds);
  return Array.from({ length: s.quitAttempts - 1 }, (_, i) => Math.min(cap, s.quitRetryDelaySeconds * 2 ** i));
}

/**
 * The longest the last main container can take to stop the sidecars: waiting for the done-file
 * sidecars, then every quit step with every attempt unanswered; in whole seconds. @internal
 */
export function quitWindowSeconds(s: WrapperSettings): number {
  const perStep = quitDelays(s).reduce((a, d) => a + d, 0) + s.quitAttempts * s.requestTimeoutSeconds;
  const sidecars = (s.sidecars ?? []).length > 0 ? s.sidecarStopTimeoutSeconds + 1 : 0;
  return Math.ceil(sidecars + Math.max(1, s.quit.length) * perStep) + 1;
}

/** The settings one wrapper runs with, as name/value pairs (names without the prefix). @internal */
export function wrapperSettings(s: WrapperSettings, features = wrapperFeatures(s)): Array<[string, string]> {
  const settings: Array<[string, string]> = [
    ['CONTAINER', s.container],
    ['DIR', s.dir],
    ['BUSYBOX', s.busybox ?? ''],
    ['READY_URL', (s.readyUrls ?? []).join(' ')],
    ['READY_TIMEOUT', seconds(s.readyTimeoutSeconds)],
    ['READY_POLL', seconds(s.readyPollSeconds)],
    ['REQUEST_TIMEOUT', seconds(s.requestTimeoutSeconds)],
    ['ON_READY_TIMEOUT', s.startOnReadyTimeout ? 'start' : 'fail'],
    ['QUIT', s.quit.map((q) => `${q.method}|${q.url}`).join(' ')],
    ['QUIT_DELAYS', quitDelays(s).map(seconds).join(' ')],
    ['QUIT_WINDOW', String(quitWindowSeconds(s))],
    ['TERMINATION_LOG', s.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH],
    ['KEEP_PROXY_ON_FAILURE', String(s.keepProxyOnFailure)],
  ];
  if (features.includes('peers')) settings.push(['PEERS', s.peers.join(' ')]);
  if (features.includes('sidecar-role')) {
    settings.push(['ROLE', 'sidecar'], ['SIDECAR_POLL', seconds(SIDECAR_POLL_SECONDS)]);
  }
  if (features.includes('sidecars') || features.includes('sidecar-role')) {
    settings.push(['SIDECARS', (s.sidecars ?? []).join(' ')], ['SIDECAR_STOP_TIMEOUT', seconds(s.sidecarStopTimeoutSeconds)]);
  }
  return settings;
}

/**
 * The `command` of a wrapped container, before its original command and args: the shell, the
 * script with only the sections the settings use, `$0`, and the settings as one argument of
 * shell assignments (never environment variables, so the command's environment stays its own).
 *
 * @param shell how to start a POSIX shell, e.g. ["/meshjob/bin/busybox", "sh"] or ["/bin/sh"]
 * @internal
 */
export function wrapperCommand(shell: string[], s: WrapperSettings): string[] {
  const features = wrapperFeatures(s);
  const settings = wrapperSettings(s, features).map(([name, value]) => `${WRAPPER_ENV_PREFIX}${name}=${shellWord(value)}`).join(' ');
  return [...shell, '-c', escapedWrapperScript(features), WRAPPER_ARGV0, escapeKubeletExpansion(settings)];
}
