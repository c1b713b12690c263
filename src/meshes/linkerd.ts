import { loopbackUrl, HttpMethod } from './endpoint';
import { injectionSwitch, MeshContract, SidecarInjection } from './mesh-contract';
import { atLeast, parseVersion, Version, VERSION_FORMS } from '../versions';

// Linkerd's pod-level contract. Sources:
// - linkerd/linkerd2-proxy linkerd/app/admin/src/server.rs: GET :4191/ready answers 200 "ready"
//   or 503 "not ready"; POST :4191/shutdown answers 200 "shutdown", 405 for other methods, 403
//   from non-loopback, 404 "shutdown endpoint is not enabled" unless enabled;
// - linkerd/linkerd2 pkg/k8s/labels.go, pkg/inject/inject.go: annotation
//   config.linkerd.io/proxy-admin-shutdown=enabled turns the endpoint on; off by default since
//   edge-24.6.2 / 2.16 (earlier proxies always served it);
// - charts/partials/templates/_proxy.tpl: config.linkerd.io/proxy-await (default enabled) adds a
//   postStart `linkerd-await` that holds the application until the proxy is ready.

/** The proxy's admin port. */
export const LINKERD_ADMIN_PORT = 4191;
/** Containers the injector adds (pkg/inject (proxy, init and network-validator containers)). */
/** The proxy container the injector adds. */
export const LINKERD_PROXY_CONTAINER = 'linkerd-proxy';
export const LINKERD_INJECTED_CONTAINERS = [LINKERD_PROXY_CONTAINER, 'linkerd-init', 'linkerd-network-validator'];
/** The annotation that turns injection on or off. */
export const LINKERD_INJECT_ANNOTATION = 'linkerd.io/inject';
/** The annotation that enables POST /shutdown. */
export const LINKERD_ADMIN_SHUTDOWN_ANNOTATION = 'config.linkerd.io/proxy-admin-shutdown';
/** The annotation that holds the application until the proxy is ready. */
export const LINKERD_PROXY_AWAIT_ANNOTATION = 'config.linkerd.io/proxy-await';

/**
 * Options for `Mesh.linkerd()`.
 */
export interface LinkerdOptions {
  /**
   * How the pod gets its linkerd-proxy.
   *
   * @default SidecarInjection.POD - the pod carries `linkerd.io/inject: enabled`
   */
  readonly injection?: SidecarInjection;

  /**
   * Hold the application until the proxy is ready (`config.linkerd.io/proxy-await`). The wrapper
   * waits for readiness either way.
   *
   * @default true
   */
  readonly proxyAwait?: boolean;

  /**
   * The Linkerd version of the cluster (stable "2.16", or the matching edge release's stable
   * line). Native sidecar mode needs 2.15; the annotation's name depends on the version.
   *
   * @default - unknown: native mode is not chosen automatically
   */
  readonly version?: string;
}

/**
 * The per-pod native sidecar annotations by the first Linkerd version that reads each (pkg/k8s/
 * labels.go, pkg/inject/inject.go): alpha from edge-23.11.4 / 2.15, beta from 2.19, GA (and on by
 * default) from 2.20. Later versions still read the older names; the newest wins.
 */
export const LINKERD_NATIVE_SIDECAR_ANNOTATIONS: Array<{ readonly since: string; readonly annotation: string }> = [
  { since: '2.20', annotation: 'config.linkerd.io/proxy-enable-native-sidecar' },
  { since: '2.19', annotation: 'config.beta.linkerd.io/proxy-enable-native-sidecar' },
  { since: '2.15', annotation: 'config.alpha.linkerd.io/proxy-enable-native-sidecar' },
];

/** The native sidecar annotation the given Linkerd version reads (the oldest name when unknown). */
function nativeAnnotation(version: Version | undefined): string {
  const names = LINKERD_NATIVE_SIDECAR_ANNOTATIONS;
  const match = version && names.find((n) => atLeast(version, n.since));
  return (match ?? names[names.length - 1]).annotation;
}

/**
 * The first edge release of each stable line's features that MeshJob depends on (linkerd2
 * CHANGES.md; ../shared/MESH-CONTRACTS.md): an edge release has the features of the newest stable
 * line listed at or before it, and those before the first row are treated as 2.14.
 */
export const LINKERD_EDGE_TO_STABLE: Array<{ readonly edge: string; readonly stable: string }> = [
  { edge: '26.5.2', stable: '2.20' },
  { edge: '25.10.2', stable: '2.19' },
  { edge: '24.6.2', stable: '2.16' },
  { edge: '23.11.4', stable: '2.15' },
];

/**
 * A Linkerd version as `linkerd version` prints it: "stable-2.14.10", "edge-24.11.8", or a plain
 * "2.16" / "v2.16.1". Edge releases count as the stable line whose features they have. @internal
 */
export function parseLinkerdVersion(text: string): Version {
  const what = 'linkerd version';
  const trimmed = typeof text === 'string' ? text.trim() : text;
  const edge = /^edge-(\d+\.\d+\.\d+)$/.exec(trimmed);
  if (edge) {
    const release = parseVersion(edge[1], what);
    const line = LINKERD_EDGE_TO_STABLE.find((row) => atLeast(release, row.edge));
    return { ...parseVersion(line?.stable ?? '2.14', what), text: trimmed };
  }
  const v = parseVersion(trimmed.replace(/^stable-/, ''), what);
  if (v.major !== 2) {
    throw new Error(`${what} ${JSON.stringify(text)} is not a Linkerd 2 version: write it as "stable-2.16.1", "edge-24.11.8", or ${VERSION_FORMS}`);
  }
  return { ...v, text: trimmed };
}

/** Linkerd's contract for the given options. @internal */
export function linkerdContract(options: LinkerdOptions): MeshContract {
  const injection = options.injection ?? SidecarInjection.POD;
  const inject = injectionSwitch(injection, LINKERD_INJECT_ANNOTATION, 'enabled', 'disabled');
  const version = options.version === undefined ? undefined : parseLinkerdVersion(options.version);
  if (injection === SidecarInjection.DISABLED) return { name: 'linkerd', version, podLabels: {}, podAnnotations: inject };
  const oldest = LINKERD_NATIVE_SIDECAR_ANNOTATIONS[LINKERD_NATIVE_SIDECAR_ANNOTATIONS.length - 1];
  return {
    name: 'linkerd',
    injectedContainers: LINKERD_INJECTED_CONTAINERS,
    injectionOptOut: { key: LINKERD_INJECT_ANNOTATION, isOff: (v) => v === 'disabled' },
    version,
    native: {
      minVersion: oldest.since,
      podLabels: {},
      podAnnotations: { ...inject, [nativeAnnotation(version)]: 'true' },
    },
    podLabels: {},
    // Linkerd >= 2.20 injects a native proxy by default: a wrapped pod asks for the classic one,
    // under the name its version reads (every name when the version is unknown; older ones ignore it).
    wrapPodAnnotations: Object.fromEntries((version === undefined ? LINKERD_NATIVE_SIDECAR_ANNOTATIONS.map((n) => n.annotation)
      : [nativeAnnotation(version)]).map((name) => [name, 'false'])),
    podAnnotations: {
      ...inject,
      [LINKERD_ADMIN_SHUTDOWN_ANNOTATION]: 'enabled',
      [LINKERD_PROXY_AWAIT_ANNOTATION]: options.proxyAwait === false ? 'disabled' : 'enabled',
    },
    proxy: {
      readinessUrl: loopbackUrl(LINKERD_ADMIN_PORT, '/ready'),
      quit: [{ method: HttpMethod.POST, url: loopbackUrl(LINKERD_ADMIN_PORT, '/shutdown') }],
    },
  };
}
