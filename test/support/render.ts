import { App, Chart, Testing } from 'cdk8s';
import { podMetadataOf, podSpecOf, validateAll } from './schema';
import { MeshJob, MeshJobProps } from '../../src';
import { HttpMethod, QuitCall } from '../../src/meshes/endpoint';
import { readWrapperCommand, wrapperCommand, WrapperSettings } from '../../src/runtime/settings';
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
  };
  const c = container.command.indexOf('-c');
  return { shell: container.command.slice(0, c), settings, command: read.command };
}

/** Where the pod's metadata is mounted in wrapped containers, in what follows. */
export const POD_INFO_DIR = '/meshjob/pod';

/**
 * A rendered wrapped pod as it will be once the plan mounts the pod's metadata (volume
 * `meshjob-pod`, downward API items `annotations` and `labels`, read-only at POD_INFO_DIR in every
 * wrapped container): each wrapped command re-rendered with `podInfo` settings, the mesh proxy's
 * readiness URL and quit step (`proxy`: what the mesh renders) moved to proxyReadyUrls and proxyQuit.
 * A stand-in for the plan's rendering, so that the wrapper and the harnesses can be run with it.
 */
export function withPodInfo(pod: any, proxy: { readyUrl?: string; quit: QuitCall[] }, podInfo: Partial<WrapperSettings>): any {
  const out = JSON.parse(JSON.stringify(pod));
  out.volumes = [...(out.volumes ?? []), {
    name: 'meshjob-pod',
    downwardAPI: { items: [{ path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } }, { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] },
  }];
  for (const c of out.containers) {
    const read = wrapperSettingsOf(c);
    if (!read) continue;
    const s = read.settings;
    const isProxyQuit = (q: QuitCall) => proxy.quit.some((p) => p.method === q.method && p.url === q.url);
    const settings: WrapperSettings = {
      ...s,
      readyUrls: (s.readyUrls ?? []).filter((u) => u !== proxy.readyUrl),
      proxyReadyUrls: proxy.readyUrl && (s.readyUrls ?? []).includes(proxy.readyUrl) ? [proxy.readyUrl] : [],
      quit: s.quit.filter((q) => !isProxyQuit(q)),
      proxyQuit: s.quit.filter(isProxyQuit),
      podInfoDir: POD_INFO_DIR,
      ...podInfo,
    };
    c.command = [...wrapperCommand(read.shell, settings), ...read.command];
    c.volumeMounts = [...(c.volumeMounts ?? []), { name: 'meshjob-pod', mountPath: POD_INFO_DIR, readOnly: true }];
  }
  return out;
}
