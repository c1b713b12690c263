import { escapeKubeletExpansion, DEFAULT_TERMINATION_MESSAGE_PATH } from './kubelet';
import { WRAPPER_ARGV0, WRAPPER_ENV_PREFIX } from './layout';
import { quitDelays, quitWindowSeconds } from './quit-timing';
import { escapedWrapperScript, featureKey, WrapperFeature } from './script';
import { readShellWords, shellWord } from './shell';
import { HttpClient } from './wrapper-runtime';
import { HttpMethod, KILL_BY_NAME, QuitCall } from '../meshes/endpoint';

// The wrapper's argv: `<shell> -c <script> meshjob <settings> <command...>`. This module builds it
// and reads it back (meshjob diagnose), so its layout is known in one place.

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
  /**
   * The mesh proxy's readiness URLs, waited for before `readyUrls`; not waited for when the pod
   * shows the proxy was not injected. Absent: the proxy's readiness is among `readyUrls` (or none).
   */
  readonly proxyReadyUrls?: string[];
  /**
   * The mesh proxy's quit steps, sent after `quit`; skipped (with one stderr line) when the pod
   * shows the proxy was not injected or is a native sidecar. Absent: the proxy's quit is in `quit`.
   */
  readonly proxyQuit?: QuitCall[];
  /**
   * Where the pod's own metadata is mounted (a downward API volume with files `annotations` and/or
   * `labels`, read-only). Absent: the wrapper reads no pod metadata.
   */
  readonly podInfoDir?: string;
  /**
   * What the mesh's injection writes into the pod (`podInfoDir` only): without it the proxy will
   * not come, and the wrapper fails at once with WrapperExitCode.PROXY_NOT_INJECTED. `value`
   * absent: the key alone is the mark. Absent: the proxy is in the pod spec (nothing to check).
   */
  readonly injectionMarker?: PodMark;
  /** With no injection mark, run the command without waiting for the proxy or stopping it, instead of failing. */
  readonly startWithoutProxy?: boolean;
  /** The proxy is a native sidecar, not stopped by the wrapper, when `annotation`'s JSON lists `container` under initContainers. */
  readonly nativeProxy?: { readonly annotation: string; readonly container: string };
  /** In readiness and quit URLs, `:port/` becomes the port `annotation` names, when it names one. */
  readonly portAnnotations?: Array<{ readonly port: number; readonly annotation: string }>;
  /** In readiness and quit URLs, `path` becomes the URL path `annotation` names, when it names one. */
  readonly pathAnnotations?: Array<{ readonly path: string; readonly annotation: string }>;
}

/** A label or annotation the pod carries, in the downward API file of its kind. @internal */
export interface PodMark {
  readonly file: 'annotations' | 'labels';
  readonly key: string;
  readonly value?: string;
}

/** The sections one wrapper uses. @internal */
export function wrapperFeatures(s: WrapperSettings): WrapperFeature[] {
  const sidecarRole = s.role === 'sidecar';
  const peers = sidecarRole || s.peers.length > 1 || (s.sidecars ?? []).length > 0;
  const steps = quitSteps(s);
  const features: WrapperFeature[] = [s.httpClient === HttpClient.CURL ? 'curl' : 'wget', peers ? 'peers' : 'single'];
  if ((s.sidecars ?? []).length > 0) features.push('sidecars');
  if (sidecarRole) features.push('sidecar-role');
  if (steps.some((q) => q.method === KILL_BY_NAME)) features.push('kill');
  if (s.podInfoDir !== undefined) features.push('pod');
  if (!sidecarRole && steps.some((q) => q.method === HttpMethod.POST)) features.push('armed');
  return features;
}

function quitSteps(s: WrapperSettings): QuitCall[] {
  return [...s.quit, ...(s.proxyQuit ?? [])];
}

function seconds(value: number): string {
  return String(Number(value.toFixed(3)));
}

/** The settings one wrapper runs with, as name/value pairs (names without the prefix). @internal */
export function wrapperSettings(s: WrapperSettings, features = wrapperFeatures(s)): Array<[string, string]> {
  const sidecars = s.sidecars ?? [];
  // Only a wrapper with peers waits on a held quit lock (computed only then: it is not free).
  const window = () => quitWindowSeconds({
    ...s,
    quitSteps: quitSteps(s).length,
    sidecarStopTimeoutSeconds: sidecars.length > 0 ? s.sidecarStopTimeoutSeconds : undefined,
  });
  const steps = (calls: QuitCall[] | undefined) => (calls ?? []).map((q) => `${q.method}|${q.url}`).join(' ');
  const settings: Array<[string, string]> = [
    ['CONTAINER', s.container],
    ['DIR', s.dir],
    ['BUSYBOX', s.busybox ?? ''],
    ['PROXY_READY', (s.proxyReadyUrls ?? []).join(' ')],
    ['READY_URL', (s.readyUrls ?? []).join(' ')],
    ['READY_TIMEOUT', seconds(s.readyTimeoutSeconds)],
    ['READY_POLL', seconds(s.readyPollSeconds)],
    ['REQUEST_TIMEOUT', seconds(s.requestTimeoutSeconds)],
    ['ON_READY_TIMEOUT', s.startOnReadyTimeout ? 'start' : 'fail'],
    ['QUIT', steps(s.quit)],
    ['PROXY_QUIT', steps(s.proxyQuit)],
    ['QUIT_DELAYS', quitDelays(s).map(seconds).join(' ')],
    ['TERMINATION_LOG', s.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH],
    ['KEEP_PROXY_ON_FAILURE', String(s.keepProxyOnFailure)],
  ];
  if (features.includes('peers')) settings.push(['PEERS', s.peers.join(' ')], ['QUIT_WINDOW', String(window())]);
  if (features.includes('sidecar-role')) {
    settings.push(['ROLE', 'sidecar'], ['SIDECAR_POLL', seconds(SIDECAR_POLL_SECONDS)]);
  }
  if (features.includes('sidecars') || features.includes('sidecar-role')) {
    settings.push(['SIDECARS', sidecars.join(' ')], ['SIDECAR_STOP_TIMEOUT', seconds(s.sidecarStopTimeoutSeconds)]);
  }
  if (features.includes('pod')) {
    const m = s.injectionMarker;
    settings.push(
      ['POD_DIR', s.podInfoDir ?? ''],
      // The mark as the downward API file writes it: `key`, or `key="value"` (Go's %q; the plan's values need no escapes).
      ['MARKER', m ? `${m.file} ${m.key}${m.value === undefined ? '' : `="${m.value}"`}` : ''],
      ['ON_NOT_INJECTED', s.startWithoutProxy ? 'start' : 'fail'],
      ['NATIVE', s.nativeProxy ? `${s.nativeProxy.annotation} ${s.nativeProxy.container}` : ''],
      ['PORTS', (s.portAnnotations ?? []).map((p) => `${p.port} ${p.annotation}`).join(' ')],
      ['PATHS', (s.pathAnnotations ?? []).map((p) => `${p.path} ${p.annotation}`).join(' ')],
    );
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

/** A wrapped container's command read back: its settings (names without the prefix) and the command it runs. @internal */
export interface WrappedCommand {
  readonly settings: Record<string, string>;
  /** The original command, as the kubelet hands it to the wrapper (still kubelet-escaped as rendered). */
  readonly command: string[];
}

/**
 * Reads a container's rendered `command` (after the kubelet's `$$` escaping is undone, as the pod
 * shows it, or as rendered: `$$` then stands in the values) as the wrapper's argv; undefined when
 * it is not one. @internal
 */
export function readWrapperCommand(command: readonly string[] | undefined): WrappedCommand | undefined {
  const c = (command ?? []).indexOf('-c');
  if (c < 0 || command![c + 2] !== WRAPPER_ARGV0 || command!.length <= c + 3) return undefined;
  const words = readShellWords(command![c + 3].replace(/\$\$/g, '$'));
  if (!words) return undefined;
  const settings: Record<string, string> = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (!word.startsWith(WRAPPER_ENV_PREFIX) || eq < 0) return undefined;
    settings[word.slice(WRAPPER_ENV_PREFIX.length, eq)] = word.slice(eq + 1);
  }
  return { settings, command: command!.slice(c + 4) };
}

/**
 * Every script a pod can carry, kubelet-escaped as in a container's `command`, by the sections it
 * has (e.g. "single,wget"): the sets wrapperFeatures() yields over every setting it reads. @internal
 */
export function renderedWrapperScripts(): Map<string, string> {
  const scripts = new Map<string, string>();
  for (const settings of featureSpace()) {
    const features = wrapperFeatures(settings);
    scripts.set(featureKey(features), escapedWrapperScript(features));
  }
  return scripts;
}

/**
 * One WrapperSettings per combination of the values wrapperFeatures() reads (client, role, one or
 * several peers, done-file sidecars or none, a kill step or none, a POST step or none, pod
 * metadata or none). @internal
 */
export function featureSpace(): WrapperSettings[] {
  const base: WrapperSettings = {
    container: 'a',
    peers: ['a'],
    httpClient: HttpClient.WGET,
    sidecarStopTimeoutSeconds: 1,
    readyTimeoutSeconds: 1,
    readyPollSeconds: 1,
    requestTimeoutSeconds: 1,
    startOnReadyTimeout: false,
    quit: [],
    quitAttempts: 1,
    quitRetryDelaySeconds: 1,
    keepProxyOnFailure: false,
    dir: '/',
  };
  const kill: QuitCall = { method: KILL_BY_NAME, url: 'p' };
  const post: QuitCall = { method: HttpMethod.POST, url: 'http://localhost:1/' };
  const space: WrapperSettings[] = [];
  for (const httpClient of [HttpClient.WGET, HttpClient.CURL]) {
    for (const role of ['main', 'sidecar'] as const) {
      for (const peers of [['a'], ['a', 'b']]) {
        for (const sidecars of [[], ['s']]) {
          for (const quit of [[], [kill], [post], [kill, post]]) {
            for (const podInfoDir of [undefined, '/p']) {
              space.push({ ...base, httpClient, role, peers, sidecars, quit, podInfoDir });
            }
          }
        }
      }
    }
  }
  return space;
}
