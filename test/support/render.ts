import { App, Chart, Testing } from 'cdk8s';
import { podMetadataOf, podSpecOf, validateAll } from './schema';
import { MeshJob, MeshJobProps } from '../../src';
import { HttpMethod, QuitCall } from '../../src/meshes/endpoint';
import { readWrapperCommand, WrapperSettings } from '../../src/runtime/settings';
import { HttpClient } from '../../src/runtime/wrapper-runtime';

/** A chart to build in, named like a user's. */
export function newChart(): Chart {
  return new Chart(Testing.app(), 'reports');
}

/** Renders one MeshJob, validates the manifests against the schema and returns the Job/CronJob. */
export function renderMeshJob(props: MeshJobProps): { manifest: any; pod: any; podMetadata: any; meshJob: MeshJob } {
  const chart = newChart();
  const meshJob = new MeshJob(chart, 'nightly', props);
  const manifests = validateAll(Testing.synth(chart));
  const manifest = manifests.find((m) => m.kind === 'Job' || m.kind === 'CronJob');
  return { manifest, pod: podSpecOf(manifest), podMetadata: podMetadataOf(manifest), meshJob };
}

/** A container's environment as a plain map. */
export function envOf(container: any): Record<string, string> {
  return Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value]));
}

/** Synthesizes a chart in a fresh app, for examples. */
export function synthChart(make: (app: App) => Chart): any[] {
  return validateAll(Testing.synth(make(Testing.app())));
}

/**
 * A wrapped container's wrapper settings (the MESHJOB_* shell assignments passed as the argument
 * after `$0`), kubelet-unescaped, as a plain map.
 */
export function settingsOf(container: any): Record<string, string> {
  const command: string[] = container.command ?? [];
  const at = command.indexOf('meshjob', command.indexOf('-c'));
  if (at < 0) return {};
  const text = command[at + 1].replace(/\$\$/g, '$');
  const settings: Record<string, string> = {};
  const word = /(MESHJOB_\w+)=((?:'[^']*'|\\'|[^\s'\\])*)/g;
  for (const m of text.matchAll(word)) {
    settings[m[1]] = m[2].replace(/'([^']*)'|\\(')/g, (_all, quoted, escaped) => quoted ?? escaped);
  }
  return settings;
}

/** `$0` and the original command of a wrapped container, the settings argument between them left out. */
export function wrappedCommandOf(container: any): string[] {
  const command: string[] = container.command;
  const at = command.indexOf('meshjob', command.indexOf('-c'));
  return [command[at], ...command.slice(at + 2)];
}

/**
 * The WrapperSettings a wrapped container's rendered command was made from, read back from its
 * settings argument (readWrapperCommand), with the shell it runs on; undefined for an unwrapped one.
 */
export function wrapperSettingsOf(container: any): { shell: string[]; settings: WrapperSettings; command: string[] } | undefined {
  const read = readWrapperCommand(container.command);
  if (!read) return undefined;
  const s = read.settings;
  const list = (v: string | undefined) => (v ?? '').split(' ').filter(Boolean);
  const calls = (v: string | undefined): QuitCall[] => list(v).map((q) => ({ method: q.slice(0, q.indexOf('|')) as HttpMethod, url: q.slice(q.indexOf('|') + 1) }));
  const delays = list(s.QUIT_DELAYS).map(Number);
  const settings: WrapperSettings = {
    container: s.CONTAINER,
    role: s.ROLE === 'sidecar' ? 'sidecar' : 'main',
    peers: list(s.PEERS).length > 0 ? list(s.PEERS) : [s.CONTAINER],
    sidecars: list(s.SIDECARS),
    sidecarStopTimeoutSeconds: Number(s.SIDECAR_STOP_TIMEOUT ?? 1),
    httpClient: container.command.join(' ').includes('exec curl') ? HttpClient.CURL : HttpClient.WGET,
    busybox: s.BUSYBOX || undefined,
    readyUrls: list(s.READY_URL),
    proxyReadyUrls: list(s.PROXY_READY),
    readyTimeoutSeconds: Number(s.READY_TIMEOUT),
    readyPollSeconds: Number(s.READY_POLL),
    requestTimeoutSeconds: Number(s.REQUEST_TIMEOUT),
    startOnReadyTimeout: s.ON_READY_TIMEOUT === 'start',
    quit: calls(s.QUIT),
    proxyQuit: calls(s.PROXY_QUIT),
    quitAttempts: delays.length + 1,
    quitRetryDelaySeconds: delays[0] ?? 0,
    terminationMessagePath: s.TERMINATION_LOG,
    keepProxyOnFailure: s.KEEP_PROXY_ON_FAILURE === 'true',
    dir: s.DIR,
    ...podSettings(s),
  };
  const c = container.command.indexOf('-c');
  return { shell: container.command.slice(0, c), settings, command: read.command };
}

/** The pod-metadata settings (POD_DIR and what follows it), read back; none without POD_DIR. */
function podSettings(s: Record<string, string>): Partial<WrapperSettings> {
  if (!s.POD_DIR) return {};
  const pairs = (v: string | undefined) => {
    const words = (v ?? '').split(' ').filter(Boolean);
    return words.filter((_w, i) => i % 2 === 0).map((w, i) => [w, words[2 * i + 1]] as const);
  };
  const [file, mark] = (s.MARKER ?? '').split(' ');
  const eq = (mark ?? '').indexOf('=');
  const [native, nativeContainer] = (s.NATIVE ?? '').split(' ');
  return {
    podInfoDir: s.POD_DIR,
    injectionMarker: file ? { file: file as 'annotations' | 'labels', key: eq < 0 ? mark : mark.slice(0, eq), value: eq < 0 ? undefined : JSON.parse(mark.slice(eq + 1)) } : undefined,
    startWithoutProxy: s.ON_NOT_INJECTED === 'start',
    nativeProxy: native ? { annotation: native, container: nativeContainer } : undefined,
    portAnnotations: pairs(s.PORTS).map(([port, annotation]) => ({ port: Number(port), annotation })),
    pathAnnotations: pairs(s.PATHS).map(([path, annotation]) => ({ path, annotation })),
  };
}
