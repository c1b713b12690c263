import { KILL_BY_NAME, loopbackUrl, HttpMethod, QuitCall } from './endpoint';
import { injectionSwitch, MeshContract, SidecarInjection } from './mesh-contract';
import { parseVersion } from '../versions';

// Istio's pod-level contract. Sources (istio/istio unless noted):
// - readiness: manifests/charts/istio-control/istio-discovery/files/injection-template.yaml
//   (Envoy listener on 15021 forwarding /healthz/ready to the agent; 503 until ready, 200 after);
// - quit: pilot/cmd/pilot-agent/status/server.go, POST /quitquitquit on the status port 15020
//   (405 for other methods, 403 from non-loopback), since Istio 1.3.0;
// - injection: istio/api label/labels.yaml, LABEL sidecar.istio.io/inject (the annotation of the
//   same name is deprecated);
// - hold: istio/api mesh/v1alpha1/proxy.proto, holdApplicationUntilProxyStarts, per pod through
//   the proxy.istio.io/config annotation since Istio 1.8.

/** Istio's readiness port (Envoy's health listener). */
export const ISTIO_READINESS_PORT = 15021;
/** Istio's readiness path. */
export const ISTIO_READINESS_PATH = '/healthz/ready';
/** pilot-agent's status port, where /quitquitquit listens. */
export const ISTIO_STATUS_PORT = 15020;
/** pilot-agent's shutdown path. */
export const ISTIO_QUIT_PATH = '/quitquitquit';
/** The pod label that turns sidecar injection on or off. */
export const ISTIO_INJECT_LABEL = 'sidecar.istio.io/inject';
/** The pod annotation that asks for a native sidecar proxy (pilot/pkg/inject/inject.go, Istio >= 1.24). */
export const ISTIO_NATIVE_SIDECAR_ANNOTATION = 'sidecar.istio.io/nativeSidecar';
/** The first Istio version that reads ISTIO_NATIVE_SIDECAR_ANNOTATION. */
export const ISTIO_NATIVE_SIDECAR_MIN_VERSION = '1.24';
/** The pod annotation carrying per-pod ProxyConfig. */
export const ISTIO_PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';

/** The label that puts a pod (or namespace) in Istio's ambient data plane (istio/api labels.yaml). */
export const ISTIO_DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';
/** pilot-agent's process name, for stopping Istio before 1.3 (no /quitquitquit). */
export const ISTIO_AGENT_PROCESS = 'pilot-agent';

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
   * How the proxy is stopped once the last main container ends.
   *
   * @default IstioStopMethod.QUIT_ENDPOINT
   */
  readonly stopMethod?: IstioStopMethod;

  /**
   * The Istio version of the cluster, e.g. "1.24". `SidecarLifecycle.auto()` chooses native
   * sidecars only when it is known to be at least 1.24.
   *
   * @default - unknown: native mode is not chosen automatically
   */
  readonly version?: string;
}

/**
 * Istio's reading of the injection switch (pkg/kube/inject/webhook.go injectRequired): "y", "yes",
 * "true" and "on" (any case) inject, an empty value leaves it to the namespace, anything else is off.
 */
export function istioInjectionOff(value: string): boolean {
  return value !== '' && !['y', 'yes', 'true', 'on'].includes(value.toLowerCase());
}

/** Containers Istio's injection template adds (injection-template.yaml). */
export const ISTIO_INJECTED_CONTAINERS = ['istio-proxy', 'istio-init', 'istio-validation'];

/**
 * Combines the pod's own proxy.istio.io/config (JSON, as charts write it) with the settings the
 * mesh options need; undefined when a setting is set both ways or the value is not a JSON object.
 */
export function mergeProxyConfig(user: string, mesh: string): string | undefined {
  try {
    const mine = JSON.parse(mesh);
    const theirs = JSON.parse(user);
    if (!theirs || typeof theirs !== 'object' || Array.isArray(theirs)) return undefined;
    for (const [key, value] of Object.entries(mine)) {
      if (key in theirs && theirs[key] !== value) return undefined;
    }
    return JSON.stringify({ ...theirs, ...mine });
  } catch {
    return undefined;
  }
}

/** Istio's contract for the given options. @internal */
export function istioContract(options: IstioOptions): MeshContract {
  const injection = options.injection ?? SidecarInjection.POD;
  const hold = options.holdApplicationUntilProxyStarts ?? true;
  const kill = options.stopMethod === IstioStopMethod.KILL_PILOT_AGENT;
  const labels = injectionSwitch(injection, ISTIO_INJECT_LABEL, 'true', 'false');
  const version = options.version === undefined ? undefined : parseVersion(options.version, 'istio version');
  if (injection === SidecarInjection.DISABLED) {
    return { name: 'istio', version, podLabels: labels, podAnnotations: {}, injectedContainers: ISTIO_INJECTED_CONTAINERS };
  }
  return {
    name: 'istio',
    version,
    injectedContainers: ISTIO_INJECTED_CONTAINERS,
    injectionOptOut: { key: ISTIO_INJECT_LABEL, isOff: istioInjectionOff },
    annotationMerges: { [ISTIO_PROXY_CONFIG_ANNOTATION]: mergeProxyConfig },
    native: {
      minVersion: ISTIO_NATIVE_SIDECAR_MIN_VERSION,
      podLabels: labels,
      podAnnotations: { [ISTIO_NATIVE_SIDECAR_ANNOTATION]: 'true' },
    },
    podLabels: labels,
    podAnnotations: hold ? { [ISTIO_PROXY_CONFIG_ANNOTATION]: '{"holdApplicationUntilProxyStarts":true}' } : {},
    proxy: {
      readyUrl: loopbackUrl(ISTIO_READINESS_PORT, ISTIO_READINESS_PATH),
      quit: [kill ? { method: KILL_BY_NAME, url: ISTIO_AGENT_PROCESS } : quitEndpoint],
      shareProcessNamespace: kill,
    },
  };
}

const quitEndpoint: QuitCall = { method: HttpMethod.POST, url: loopbackUrl(ISTIO_STATUS_PORT, ISTIO_QUIT_PATH) };

/** Istio's ambient data plane: ztunnel outside the pod, so nothing to wait for or stop. @internal */
export function istioAmbientContract(): MeshContract {
  return { name: 'istio-ambient', podLabels: { [ISTIO_DATAPLANE_MODE_LABEL]: 'ambient' }, podAnnotations: {} };
}
