import { MeshDescriptor } from './descriptor';
import { KILL_BY_NAME, loopbackUrl, HttpMethod, checkPort } from './endpoint';
import { injectionSwitch, InjectionSwitch, MeshContract, SidecarInjection } from './mesh-contract';
import { atLeast, parseVersion, Version } from '../versions';

// Istio's pod-level contract. Sources (istio/istio unless noted):
// - readiness: manifests/charts/istio-control/istio-discovery/files/injection-template.yaml
//   (Envoy listener on 15021 forwarding /healthz/ready to the agent; 503 until ready, 200 after);
// - quit: pilot/cmd/pilot-agent/status/server.go, POST /quitquitquit on the status port 15020
//   (405 for other methods, 403 from non-loopback), since Istio 1.3.0; the injection template
//   reads the status port from the pod annotation status.sidecar.istio.io/port, else ProxyConfig
//   statusPort (pilot/cmd/pilot-agent/config/config.go); readiness stays on 15021;
// - injection: istio/api label/labels.yaml, LABEL sidecar.istio.io/inject (the annotation of the
//   same name is deprecated; the label wins); pkg/kube/inject/inject.go injectRequired reads its
//   value (strictly from 1.27.0);
// - what injection writes: pkg/kube/inject/webhook.go, the annotation sidecar.istio.io/status
//   (JSON naming the injected initContainers and containers) on every injected pod;
// - hold: istio/api mesh/v1alpha1/proxy.proto, holdApplicationUntilProxyStarts, per pod through
//   the proxy.istio.io/config annotation since Istio 1.8;
// - revisions: manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml (the
//   pod label istio.io/rev is matched only where the namespace has neither istio-injection nor
//   istio.io/rev).

/** Istio's readiness port (Envoy's health listener). */
export const ISTIO_READINESS_PORT = 15021;
/** Istio's readiness path. */
export const ISTIO_READINESS_PATH = '/healthz/ready';
/** pilot-agent's status port, where /quitquitquit listens. */
export const ISTIO_STATUS_PORT = 15020;
/** The pod annotation that moves the status port (and /quitquitquit with it). */
export const ISTIO_STATUS_PORT_ANNOTATION = 'status.sidecar.istio.io/port';
/** pilot-agent's shutdown path. */
export const ISTIO_QUIT_PATH = '/quitquitquit';
/** The pod label that turns sidecar injection on or off. */
export const ISTIO_INJECT_LABEL = 'sidecar.istio.io/inject';
/**
 * The pod label that selects a revision's (or a tag's) injector: revision-only installs and
 * managed Istio inject nothing for ISTIO_INJECT_LABEL alone.
 */
export const ISTIO_REVISION_LABEL = 'istio.io/rev';
/** The annotation the injector writes on every pod it injects, naming what it added. */
export const ISTIO_STATUS_ANNOTATION = 'sidecar.istio.io/status';
/** Before this version readiness is served on the status port (15020), not on 15021. */
export const ISTIO_READINESS_PORT_MIN_VERSION = '1.6';
/** The first Istio version with pilot-agent's /quitquitquit. */
export const ISTIO_QUIT_MIN_VERSION = '1.3';
/** The first Istio version with the status port (its injection template reads status.sidecar.istio.io/port). */
export const ISTIO_STATUS_PORT_MIN_VERSION = '1.1';
/** From this version the injector counts only "true" and "false" as the inject switch's values. */
export const ISTIO_STRICT_INJECT_MIN_VERSION = '1.27';
/**
 * From this version Istio's own default (ENABLE_NATIVE_SIDECARS=auto, pilot/pkg/features/pilot.go)
 * injects a native proxy where every kubelet is at least ISTIO_NATIVE_AUTO_KUBERNETES.
 */
export const ISTIO_NATIVE_DEFAULT_MIN_VERSION = '1.27';
/** Istio's auto mode turns native on only from this Kubernetes version, avoiding 1.29-1.32 on purpose. */
export const ISTIO_NATIVE_AUTO_KUBERNETES = '1.33';
/** The pod annotation that asks for a native sidecar proxy (pkg/kube/inject/inject.go, Istio >= 1.24). */
export const ISTIO_NATIVE_SIDECAR_ANNOTATION = 'sidecar.istio.io/nativeSidecar';
/** The first Istio version that reads ISTIO_NATIVE_SIDECAR_ANNOTATION. */
export const ISTIO_NATIVE_SIDECAR_MIN_VERSION = '1.24';
/** The pod annotation carrying per-pod ProxyConfig. */
export const ISTIO_PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';
/** The label that puts a pod (or namespace) in Istio's ambient data plane (istio/api labels.yaml). */
export const ISTIO_DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';
/** pilot-agent's process name, for stopping Istio before 1.3 (no /quitquitquit). */
export const ISTIO_AGENT_PROCESS = 'pilot-agent';
/** The proxy container the injector adds. */
export const ISTIO_PROXY_CONTAINER = 'istio-proxy';
/** The containers the injection template adds (injection-template.yaml), the proxy first. */
export const ISTIO_INJECTED_CONTAINERS = [ISTIO_PROXY_CONTAINER, 'istio-init', 'istio-validation'];

/**
 * How the wrapper stops Istio's proxy.
 */
export enum IstioStopMethod {
  /** `POST :15020/quitquitquit` (Istio >= 1.3). */
  QUIT_ENDPOINT = 'quit-endpoint',
  /**
   * For Istio before 1.3, which has no quit endpoint: the pod shares one process namespace and the
   * wrapper sends SIGTERM to `pilot-agent`. Every container then sees (and, with the same user,
   * can signal) every other container's processes, and the wrapped containers must run as the
   * proxy's user (1337) or have CAP_KILL for the signal to be allowed.
   */
  KILL_PILOT_AGENT = 'kill-pilot-agent',
}

/**
 * Options for `Mesh.istio()`.
 */
export interface IstioOptions {
  /**
   * How the pod gets its istio-proxy sidecar.
   *
   * @default SidecarInjection.POD - the pod carries the label `sidecar.istio.io/inject: "true"`
   */
  readonly injection?: SidecarInjection;

  /**
   * Ask Istio to start the application containers only once the proxy is ready
   * (`proxy.istio.io/config: {"holdApplicationUntilProxyStarts": true}`). The wrapper waits for
   * readiness either way; holding also covers containers MeshJob does not wrap.
   *
   * @default true
   */
  readonly holdApplicationUntilProxyStarts?: boolean;

  /**
   * The revision or tag of the Istio install that injects the pod (`istio-system` canary
   * upgrades, managed Istio): the pod is labelled `istio.io/rev: <revision>` instead of
   * `sidecar.istio.io/inject: "true"`, which only the default revision's injector matches. The
   * pod's label is matched only where its namespace carries neither `istio-injection` nor
   * `istio.io/rev`.
   *
   * @default - the default revision (label `sidecar.istio.io/inject: "true"`)
   */
  readonly revision?: string;

  /**
   * How the proxy is stopped once the last main container ends.
   *
   * @default IstioStopMethod.QUIT_ENDPOINT
   */
  readonly stopMethod?: IstioStopMethod;

  /**
   * pilot-agent's status port, where `/quitquitquit` listens, when the cluster moved it (mesh
   * config `defaultConfig.statusPort`): the pod is annotated `status.sidecar.istio.io/port` with
   * it. Readiness stays on 15021. At run time the wrapper uses the pod's own annotation when it
   * names another port.
   *
   * @default 15020
   */
  readonly statusPort?: number;

  /**
   * The Istio version of the cluster: "1.24", "1.24.3" or "v1.24.3". `SidecarLifecycle.auto()`
   * chooses native sidecars only when it is known to be at least 1.24 (and Kubernetes at least
   * 1.33, where Istio itself turns them on). Before 1.6 the wrapper waits on the status port
   * 15020; before 1.3 only `IstioStopMethod.KILL_PILOT_AGENT` can stop the proxy. Before 1.27 the
   * injector reads `sidecar.istio.io/inject` values such as "no" and "off" as an opt-out; from
   * 1.27 (and when the version is unknown) only "false" is one.
   *
   * @default - unknown: native mode is not chosen automatically, Istio >= 1.6 is assumed, and only "false" opts out
   */
  readonly version?: string;
}

/**
 * Istio's reading of the injection switch (pkg/kube/inject/inject.go injectRequired): up to 1.26,
 * "y", "yes", "true" and "on" (any case) inject, an empty value leaves it to the namespace and
 * anything else is off; from 1.27 only "true" and "false" count, and any other value leaves it to
 * the namespace. Unknown versions are read the 1.27 way: only "false" is certainly off.
 */
export function istioInjectionSwitch(version: Version | undefined): InjectionSwitch {
  const legacy = version !== undefined && !atLeast(version, ISTIO_STRICT_INJECT_MIN_VERSION);
  return legacy
    ? { key: ISTIO_INJECT_LABEL, in: ['label', 'annotation'], onValues: ['y', 'yes', 'true', 'on'], ignoreCase: true }
    : { key: ISTIO_INJECT_LABEL, in: ['label', 'annotation'], offValues: ['false'] };
}

/** Istio's contract for the given options. @internal */
export function istioContract(options: IstioOptions): MeshContract {
  const injection = options.injection ?? SidecarInjection.POD;
  const hold = options.holdApplicationUntilProxyStarts ?? true;
  const kill = options.stopMethod === IstioStopMethod.KILL_PILOT_AGENT;
  const version = options.version === undefined ? undefined : parseVersion(options.version, 'istio version');
  const labels = istioInjectionLabels(injection, options.revision);
  const statusPort = options.statusPort ?? ISTIO_STATUS_PORT;
  checkPort(statusPort, 'istio statusPort', 'use the status port of the mesh config (defaultConfig.statusPort, 15020 by default)');
  if (injection === SidecarInjection.DISABLED) {
    return { name: 'istio', version, podLabels: labels, podAnnotations: {}, injectedContainers: ISTIO_INJECTED_CONTAINERS };
  }
  if (version && !atLeast(version, ISTIO_STATUS_PORT_MIN_VERSION)) {
    throw new Error(`istio version ${version.text} has no status port to wait on: MeshJob supports Istio ${ISTIO_STATUS_PORT_MIN_VERSION} and later`);
  }
  if (version && !kill && !atLeast(version, ISTIO_QUIT_MIN_VERSION)) {
    throw new Error(
      `istio version ${version.text} has no /quitquitquit (it came in ${ISTIO_QUIT_MIN_VERSION}): ` +
      'use stopMethod: IstioStopMethod.KILL_PILOT_AGENT, or upgrade Istio',
    );
  }
  // Before 1.6 (and with the pre-1.3 stop method) readiness is served by pilot-agent on the status port.
  const oldReadiness = kill || (version !== undefined && !atLeast(version, ISTIO_READINESS_PORT_MIN_VERSION));
  const portAnnotation: Record<string, string> = statusPort === ISTIO_STATUS_PORT ? {} : { [ISTIO_STATUS_PORT_ANNOTATION]: String(statusPort) };
  const holdConfig: Record<string, string> = hold ? { [ISTIO_PROXY_CONFIG_ANNOTATION]: '{"holdApplicationUntilProxyStarts":true}' } : {};
  return {
    name: 'istio',
    version,
    injectedContainers: ISTIO_INJECTED_CONTAINERS,
    injectionSwitch: istioInjectionSwitch(version),
    mapAnnotations: [ISTIO_PROXY_CONFIG_ANNOTATION],
    native: {
      minVersion: ISTIO_NATIVE_SIDECAR_MIN_VERSION,
      kubernetesFrom: ISTIO_NATIVE_AUTO_KUBERNETES,
      podLabels: labels,
      podAnnotations: { [ISTIO_NATIVE_SIDECAR_ANNOTATION]: 'true', ...portAnnotation },
    },
    podLabels: labels,
    podAnnotations: { ...holdConfig, ...portAnnotation },
    // Istio >= 1.27 injects a native proxy by default on Kubernetes >= 1.33: a wrapped pod asks
    // for the classic one, whose quit ends it for good (Istio < 1.24 ignores the annotation).
    wrapPodAnnotations: { [ISTIO_NATIVE_SIDECAR_ANNOTATION]: 'false' },
    proxy: {
      readinessUrl: loopbackUrl(oldReadiness ? statusPort : ISTIO_READINESS_PORT, ISTIO_READINESS_PATH),
      quit: [kill ? { method: KILL_BY_NAME, url: ISTIO_AGENT_PROCESS } : { method: HttpMethod.POST, url: loopbackUrl(statusPort, ISTIO_QUIT_PATH) }],
      shareProcessNamespace: kill,
      injectionMarker: ISTIO.injectionMarker,
      nativeStatus: { annotation: ISTIO_STATUS_ANNOTATION, container: ISTIO_PROXY_CONTAINER },
      portAnnotations: [{ port: statusPort, annotation: ISTIO_STATUS_PORT_ANNOTATION }],
    },
  };
}

const REVISION = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The pod labels that ask for (or refuse) injection, by the default revision or a named one. */
function istioInjectionLabels(injection: SidecarInjection, revision: string | undefined): Record<string, string> {
  if (revision === undefined || injection !== SidecarInjection.POD) return injectionSwitch(injection, ISTIO_INJECT_LABEL, 'true', 'false');
  if (!REVISION.test(revision) || revision.length > 63) {
    throw new Error(`istio revision ${JSON.stringify(revision)} is not a revision or tag name: use lowercase letters, digits and '-' (e.g. "canary", "1-24-3")`);
  }
  return { [ISTIO_REVISION_LABEL]: revision };
}

/**
 * Istio's ambient data plane: ztunnel outside the pod, so nothing to wait for or stop. The
 * sidecar injector has no ambient check (pkg/kube/inject), so in a namespace labelled
 * istio-injection=enabled (common while migrating) an ambient pod would still get a classic proxy
 * and hang: the pod also opts out of sidecar injection. @internal
 */
export function istioAmbientContract(): MeshContract {
  return {
    name: 'istio-ambient',
    podLabels: { [ISTIO_DATAPLANE_MODE_LABEL]: 'ambient', [ISTIO_INJECT_LABEL]: 'false' },
    podAnnotations: {},
    injectedContainers: ISTIO_INJECTED_CONTAINERS,
  };
}

const ISTIO_INIT_FIXES = {
  iptables: 'istio-init needs NET_ADMIN and NET_RAW to set up traffic redirection: allow them for the pod, or install Istio with its CNI plugin',
  validation: "istio-cni had not set up the pod's traffic redirection: check the istio-cni-node pod on this node, then delete the pod to retry",
};

/** Istio with sidecar injection. @internal */
export const ISTIO: MeshDescriptor = {
  name: 'istio',
  factory: 'Mesh.istio()',
  injectedContainers: ISTIO_INJECTED_CONTAINERS,
  requestMarkers: [ISTIO_INJECT_LABEL, ISTIO_PROXY_CONFIG_ANNOTATION, ISTIO_REVISION_LABEL],
  injectionSwitch: istioInjectionSwitch,
  injectionMarker: { file: 'annotations', key: ISTIO_STATUS_ANNOTATION },
  parseVersion: (text) => parseVersion(text, 'istio version'),
  versionForms: '1.24, v1.24.3',
  diagnosis: {
    injectionFix: 'label the namespace istio-injection=enabled, or the pod sidecar.istio.io/inject="true" (MeshJob: Mesh.istio()); ' +
      'for a revisioned control plane label the namespace istio.io/rev=<revision> (the pod\'s own istio.io/rev counts only when ' +
      'the namespace carries neither istio-injection nor istio.io/rev); from Istio 1.27 an inject value other than "true" or ' +
      '"false" leaves it to the namespace',
    initFixes: ISTIO_INIT_FIXES,
    // pilot/cmd/pilot-agent/app/request.go: POST quitquitquit to Envoy's admin port (15000); Envoy
    // exits and pilot-agent with it (pkg/istio-agent/agent.go). pilot-agent is in every proxy image.
    releaseExec: ['pilot-agent', 'request', 'POST', 'quitquitquit'],
    quitFixes: { 404: 'Istio before 1.3 has no /quitquitquit: use Mesh.istio({ stopMethod: IstioStopMethod.KILL_PILOT_AGENT })' },
  },
  cli: {
    flags: [
      { flag: '--istio-revision', key: 'istioRevision', kind: 'string', value: 'REV', help: 'the revision or tag that injects (label istio.io/rev instead of sidecar.istio.io/inject)' },
      { flag: '--istio-status-port', key: 'istioStatusPort', kind: 'number', value: 'PORT', help: "pilot-agent's status port, where /quitquitquit listens (default 15020)" },
    ],
    contract: ({ version, flags }) => istioContract({
      version, revision: flags.istioRevision as string | undefined, statusPort: flags.istioStatusPort as number | undefined,
    }),
  },
  docs: [
    {
      factory: '`Mesh.istio()`',
      podGets: 'label `sidecar.istio.io/inject: "true"` (or `istio.io/rev: <revision>` with `revision`), `holdApplicationUntilProxyStarts`; wrapped: `sidecar.istio.io/nativeSidecar: "false"`',
      waitsFor: '`GET :15021/healthz/ready` (`:15020` before Istio 1.6)',
      stopsWith: '`POST :15020/quitquitquit` (Istio ≥ 1.3; the port of `statusPort`, or of the pod\'s `status.sidecar.istio.io/port`); nothing when `sidecar.istio.io/status` shows a native proxy',
    },
    {
      factory: '`Mesh.istio({ stopMethod: IstioStopMethod.KILL_PILOT_AGENT })`',
      podGets: 'the same, `shareProcessNamespace: true`',
      waitsFor: 'the same',
      stopsWith: 'SIGTERM to `pilot-agent` (Istio < 1.3; every container sees every process, and the wrapped containers must run as the proxy\'s user 1337 or have CAP_KILL)',
    },
  ],
};

/** Istio's ambient data plane. @internal */
export const ISTIO_AMBIENT: MeshDescriptor = {
  name: 'istio-ambient',
  factory: 'Mesh.istioAmbient()',
  injectedContainers: [],
  requestMarkers: [ISTIO_DATAPLANE_MODE_LABEL],
  cli: { flags: [], contract: () => istioAmbientContract() },
  docs: [{
    factory: '`Mesh.istioAmbient()`',
    podGets: 'labels `istio.io/dataplane-mode: ambient` and `sidecar.istio.io/inject: "false"` (the sidecar injector has no ambient check)',
    waitsFor: 'nothing (no sidecar)',
    stopsWith: 'nothing',
  }],
};
