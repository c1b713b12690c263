import { MeshDescriptor } from './descriptor';
import { checkPort, loopbackUrl, HttpMethod } from './endpoint';
import { injectionSwitch, InjectionSwitch, MeshContract, SidecarInjection } from './mesh-contract';
import { atLeast, parseVersion, Version, VERSION_FORMS } from '../versions';

// Linkerd's pod-level contract. Sources:
// - linkerd/linkerd2-proxy linkerd/app/admin/src/server.rs: GET :4191/ready answers 200 "ready"
//   or 503 "not ready"; POST :4191/shutdown answers 200 "shutdown", 405 for other methods, 403
//   from non-loopback, 404 "shutdown endpoint is not enabled" unless enabled;
// - linkerd/linkerd2 pkg/k8s/labels.go, pkg/inject/inject.go: annotation
//   config.linkerd.io/proxy-admin-shutdown=enabled turns the endpoint on; off by default since
//   edge-24.6.2 / 2.16 (earlier proxies always served it); config.linkerd.io/admin-port moves the
//   admin server, and the injector copies it (with the other namespace-level config annotations)
//   from the namespace onto the pod; the injector labels every pod it injects
//   linkerd.io/control-plane-ns;
// - pkg/inject/report.go: linkerd.io/inject values enabled and ingress inject, any other value
//   (disabled, or an invalid one such as "false") does not;
// - charts/partials/templates/_proxy.tpl: config.linkerd.io/proxy-await (default enabled) adds a
//   postStart `linkerd-await` that holds the application until the proxy is ready.

/** The proxy's default admin port (Helm proxy.ports.admin). */
export const LINKERD_ADMIN_PORT = 4191;
/** The annotation that moves the proxy's admin port. */
export const LINKERD_ADMIN_PORT_ANNOTATION = 'config.linkerd.io/admin-port';
/** The proxy container the injector adds. */
export const LINKERD_PROXY_CONTAINER = 'linkerd-proxy';
/** The containers the injector adds (pkg/inject: proxy, init and network-validator containers), the proxy first. */
export const LINKERD_INJECTED_CONTAINERS = [LINKERD_PROXY_CONTAINER, 'linkerd-init', 'linkerd-network-validator'];
/** The annotation that turns injection on or off. */
export const LINKERD_INJECT_ANNOTATION = 'linkerd.io/inject';
/** The annotation that enables POST /shutdown. */
export const LINKERD_ADMIN_SHUTDOWN_ANNOTATION = 'config.linkerd.io/proxy-admin-shutdown';
/** The annotation that holds the application until the proxy is ready. */
export const LINKERD_PROXY_AWAIT_ANNOTATION = 'config.linkerd.io/proxy-await';
/** The label the injector puts on every pod it injects (Linkerd's own "is meshed" test). */
export const LINKERD_CONTROL_PLANE_LABEL = 'linkerd.io/control-plane-ns';
/** The annotation holding the injected proxy's version. */
export const LINKERD_PROXY_VERSION_ANNOTATION = 'linkerd.io/proxy-version';
/** Linkerd from this stable line runs on Kubernetes KUBERNETES_MIN_FOR_2_20 and later only. */
export const LINKERD_2_20 = '2.20';
/** The oldest Kubernetes Linkerd 2.20 supports. */
export const LINKERD_2_20_KUBERNETES_MIN = '1.31';

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
   * The proxy's admin port, when the cluster moved it (Helm `proxy.ports.admin`): the pod is
   * annotated `config.linkerd.io/admin-port` with it. At run time the wrapper uses the pod's own
   * annotation (which Linkerd copies from the namespace) when it names another port.
   *
   * @default 4191
   */
  readonly adminPort?: number;

  /**
   * The Linkerd version of the cluster as `linkerd version` prints it: "stable-2.14.10",
   * "edge-24.11.8", "enterprise-2.19.6", "preview-25.10.7", or "2.16" / "v2.16.1". Native sidecar
   * mode needs 2.15; the annotation's name depends on the version.
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
 * CHANGES.md): an edge release has the features of the newest stable line listed at or before it,
 * and those before the first row are treated as 2.14.
 */
export const LINKERD_EDGE_TO_STABLE: Array<{ readonly edge: string; readonly stable: string }> = [
  { edge: '26.5.2', stable: '2.20' },
  { edge: '25.10.2', stable: '2.19' },
  { edge: '24.6.2', stable: '2.16' },
  { edge: '23.11.4', stable: '2.15' },
];

const LINKERD_VERSION_FORMS = '"stable-2.16.1", "edge-24.11.8", "enterprise-2.19.6", "preview-25.10.7", or ' + VERSION_FORMS;

/**
 * A Linkerd version as `linkerd version` prints it: "stable-2.14.10", "edge-24.11.8",
 * "enterprise-2.19.6" (Buoyant Enterprise for Linkerd, the stable builds since 2.15),
 * "preview-25.10.7" (its previews, numbered as the edge release they are built from), or a plain
 * "2.16" / "v2.16.1". Edge and preview releases count as the stable line whose features they
 * have. @internal
 */
export function parseLinkerdVersion(text: string): Version {
  const what = 'linkerd version';
  const trimmed = typeof text === 'string' ? text.trim() : text;
  const edge = /^(?:edge|preview)-(\d+\.\d+\.\d+)$/.exec(trimmed);
  if (edge) {
    const release = parseVersion(edge[1], what);
    const line = LINKERD_EDGE_TO_STABLE.find((row) => atLeast(release, row.edge));
    return { ...parseVersion(line?.stable ?? '2.14', what), text: trimmed };
  }
  const stable = /^(?:stable-|enterprise-)?(.*)$/.exec(trimmed)![1];
  let v: Version;
  try {
    v = parseVersion(stable, what);
  } catch {
    throw new Error(`${what} ${JSON.stringify(text)} is not a Linkerd version: write it as ${LINKERD_VERSION_FORMS}`);
  }
  if (v.major !== 2) {
    throw new Error(`${what} ${JSON.stringify(text)} is not a Linkerd 2 version: write it as ${LINKERD_VERSION_FORMS}`);
  }
  return { ...v, text: trimmed };
}

/** Linkerd's reading of linkerd.io/inject (pkg/inject/report.go): only enabled and ingress inject. */
function linkerdInjectionSwitch(): InjectionSwitch {
  return { key: LINKERD_INJECT_ANNOTATION, in: ['annotation'], onValues: ['enabled', 'ingress'] };
}

/** Linkerd's contract for the given options. @internal */
export function linkerdContract(options: LinkerdOptions): MeshContract {
  const injection = options.injection ?? SidecarInjection.POD;
  const inject = injectionSwitch(injection, LINKERD_INJECT_ANNOTATION, 'enabled', 'disabled');
  const version = options.version === undefined ? undefined : parseLinkerdVersion(options.version);
  const adminPort = options.adminPort ?? LINKERD_ADMIN_PORT;
  checkPort(adminPort, 'linkerd adminPort', 'use the admin port of the Linkerd install (Helm proxy.ports.admin, 4191 by default)');
  if (injection === SidecarInjection.DISABLED) {
    return { name: 'linkerd', version, podLabels: {}, podAnnotations: inject, injectedContainers: LINKERD_INJECTED_CONTAINERS };
  }
  const oldest = LINKERD_NATIVE_SIDECAR_ANNOTATIONS[LINKERD_NATIVE_SIDECAR_ANNOTATIONS.length - 1];
  const port: Record<string, string> = adminPort === LINKERD_ADMIN_PORT ? {} : { [LINKERD_ADMIN_PORT_ANNOTATION]: String(adminPort) };
  return {
    name: 'linkerd',
    injectedContainers: LINKERD_INJECTED_CONTAINERS,
    injectionSwitch: linkerdInjectionSwitch(),
    version,
    kubernetesMin: version !== undefined && atLeast(version, LINKERD_2_20) ? LINKERD_2_20_KUBERNETES_MIN : undefined,
    native: {
      minVersion: oldest.since,
      podLabels: {},
      podAnnotations: { ...inject, [nativeAnnotation(version)]: 'true', ...port },
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
      ...port,
    },
    proxy: {
      readinessUrl: loopbackUrl(adminPort, '/ready'),
      quit: [{ method: HttpMethod.POST, url: loopbackUrl(adminPort, '/shutdown') }],
      injectionMarker: LINKERD.injectionMarker,
      portAnnotations: [{ port: adminPort, annotation: LINKERD_ADMIN_PORT_ANNOTATION }],
    },
  };
}

/** Linkerd. @internal */
export const LINKERD: MeshDescriptor = {
  name: 'linkerd',
  factory: 'Mesh.linkerd()',
  injectedContainers: LINKERD_INJECTED_CONTAINERS,
  requestMarkers: [LINKERD_INJECT_ANNOTATION, LINKERD_ADMIN_SHUTDOWN_ANNOTATION, LINKERD_PROXY_AWAIT_ANNOTATION],
  injectionSwitch: linkerdInjectionSwitch,
  injectionMarker: { file: 'labels', key: LINKERD_CONTROL_PLANE_LABEL },
  parseVersion: parseLinkerdVersion,
  versionForms: 'stable-2.14.10, edge-24.11.8, enterprise-2.19.6, preview-25.10.7',
  diagnosis: {
    injectionFix: 'annotate the namespace or the pod linkerd.io/inject=enabled (MeshJob: Mesh.linkerd()); any other value, "false" included, injects nothing',
    initFixes: {
      iptables: 'linkerd-init needs NET_ADMIN and NET_RAW to set up traffic redirection: allow them for the pod, or install linkerd-cni',
      validation: "linkerd-cni had not set up the pod's traffic redirection: check the linkerd-cni pod on this node, then delete the pod to retry",
    },
    versionAnnotation: LINKERD_PROXY_VERSION_ANNOTATION,
    // linkerd2-proxy answers 404 when the shutdown endpoint is off (the default since 2.16).
    quitFixes: { 404: 'annotate the pod config.linkerd.io/proxy-admin-shutdown=enabled (Mesh.linkerd() renders it; check the annotation survives your chart)' },
  },
  cli: {
    flags: [
      { flag: '--linkerd-admin-port', key: 'linkerdAdminPort', kind: 'number', value: 'PORT', help: "the proxy's admin port, where /ready and /shutdown listen (default 4191)" },
    ],
    contract: ({ version, flags }) => linkerdContract({ version, adminPort: flags.linkerdAdminPort as number | undefined }),
  },
  docs: [{
    factory: '`Mesh.linkerd()`',
    podGets: '`linkerd.io/inject: enabled`, `config.linkerd.io/proxy-admin-shutdown: enabled`, `proxy-await`; wrapped: the native-sidecar annotation `"false"`',
    waitsFor: '`GET :4191/ready` (the port of `adminPort`, or of the pod\'s `config.linkerd.io/admin-port`)',
    stopsWith: '`POST :4191/shutdown` (the same port)',
  }],
};
