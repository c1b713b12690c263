import { parse as parseYaml } from 'yaml';
import { KILL_BY_NAME, loopbackUrl, HttpMethod, QuitCall } from './endpoint';
import { injectionSwitch, MeshContract, SidecarInjection } from './mesh-contract';
import { atLeast, parseVersion } from '../versions';

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
/**
 * The pod label that selects a revision's (or a tag's) injector (mutatingwebhook.yaml): revision-only
 * installs and managed Istio inject nothing for ISTIO_INJECT_LABEL alone.
 */
export const ISTIO_REVISION_LABEL = 'istio.io/rev';
/** Before this version readiness is served on the status port (15020), not on 15021 (../shared/MESH-CONTRACTS.md). */
export const ISTIO_READINESS_PORT_MIN_VERSION = '1.6';
/** The first Istio version with pilot-agent's /quitquitquit. */
export const ISTIO_QUIT_MIN_VERSION = '1.3';
/** The first Istio version with the status port (its injection template reads status.sidecar.istio.io/port). */
export const ISTIO_STATUS_PORT_MIN_VERSION = '1.1';
/**
 * From this version Istio's own default (ENABLE_NATIVE_SIDECARS=auto, pilot/pkg/features/pilot.go)
 * injects a native proxy where every kubelet is at least ISTIO_NATIVE_AUTO_KUBERNETES.
 */
export const ISTIO_NATIVE_DEFAULT_MIN_VERSION = '1.27';
/** Istio's auto mode turns native on only from this Kubernetes version, avoiding 1.29-1.32 on purpose. */
export const ISTIO_NATIVE_AUTO_KUBERNETES = '1.33';
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
   * The revision or tag of the Istio install that injects the pod (`istio-system` canary
   * upgrades, managed Istio): the pod is labelled `istio.io/rev: <revision>` instead of
   * `sidecar.istio.io/inject: "true"`, which only the default revision's injector matches.
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
   * The Istio version of the cluster: "1.24", "1.24.3" or "v1.24.3". `SidecarLifecycle.auto()`
   * chooses native sidecars only when it is known to be at least 1.24 (and Kubernetes at least
   * 1.33, where Istio itself turns them on). Before 1.6 the wrapper waits on the status port
   * 15020; before 1.3 only `IstioStopMethod.KILL_PILOT_AGENT` can stop the proxy.
   *
   * @default - unknown: native mode is not chosen automatically, and Istio >= 1.6 is assumed
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
/** The proxy container the injector adds. */
export const ISTIO_PROXY_CONTAINER = 'istio-proxy';
export const ISTIO_INJECTED_CONTAINERS = [ISTIO_PROXY_CONTAINER, 'istio-init', 'istio-validation'];

/**
 * Combines the pod's own proxy.istio.io/config with the settings the mesh options need, keeping
 * every setting of the user's (e.g. terminationDrainDuration, proxyMetadata); undefined when a
 * setting is set both ways or the value is not a map. Istio reads the annotation as YAML (JSON
 * is YAML too), so both forms are accepted; the result is JSON.
 */
export function mergeProxyConfig(user: string, mesh: string): string | undefined {
  try {
    const mine = JSON.parse(mesh);
    const theirs = parseYaml(user);
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
  const version = options.version === undefined ? undefined : parseVersion(options.version, 'istio version');
  const labels = istioInjectionLabels(injection, options.revision);
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
  return {
    name: 'istio',
    version,
    injectedContainers: ISTIO_INJECTED_CONTAINERS,
    injectionOptOut: { key: ISTIO_INJECT_LABEL, isOff: istioInjectionOff },
    annotationMerges: { [ISTIO_PROXY_CONFIG_ANNOTATION]: mergeProxyConfig },
    native: {
      minVersion: ISTIO_NATIVE_SIDECAR_MIN_VERSION,
      kubernetesFrom: ISTIO_NATIVE_AUTO_KUBERNETES,
      podLabels: labels,
      podAnnotations: { [ISTIO_NATIVE_SIDECAR_ANNOTATION]: 'true' },
    },
    podLabels: labels,
    podAnnotations: hold ? { [ISTIO_PROXY_CONFIG_ANNOTATION]: '{"holdApplicationUntilProxyStarts":true}' } : {},
    // Istio >= 1.27 injects a native proxy by default on Kubernetes >= 1.33: a wrapped pod asks
    // for the classic one, whose quit ends it for good (Istio < 1.24 ignores the annotation).
    wrapPodAnnotations: { [ISTIO_NATIVE_SIDECAR_ANNOTATION]: 'false' },
    proxy: {
      readinessUrl: loopbackUrl(oldReadiness ? ISTIO_STATUS_PORT : ISTIO_READINESS_PORT, ISTIO_READINESS_PATH),
      quit: [kill ? { method: KILL_BY_NAME, url: ISTIO_AGENT_PROCESS } : quitEndpoint],
      shareProcessNamespace: kill,
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

const quitEndpoint: QuitCall = { method: HttpMethod.POST, url: loopbackUrl(ISTIO_STATUS_PORT, ISTIO_QUIT_PATH) };

/** Istio's ambient data plane: ztunnel outside the pod, so nothing to wait for or stop. @internal */
export function istioAmbientContract(): MeshContract {
  return { name: 'istio-ambient', podLabels: { [ISTIO_DATAPLANE_MODE_LABEL]: 'ambient' }, podAnnotations: {} };
}
