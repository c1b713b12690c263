import { QuitCall } from './endpoint';
import { Version } from '../versions';

/**
 * How the pod gets its mesh proxy.
 */
export enum SidecarInjection {
  /** The pod itself asks for injection (label or annotation on the pod template). */
  POD = 'pod',
  /** The namespace decides (e.g. `istio-injection=enabled`); the pod carries no injection setting. */
  NAMESPACE = 'namespace',
  /**
   * The pod opts out of injection: the Job runs without the mesh, so nothing waits or stops, and
   * the Job's traffic gets none of the mesh's mTLS, policy or telemetry.
   */
  DISABLED = 'disabled',
}

/** The proxy a mesh injects, as the wrapper sees it. @internal */
export interface ProxyContract {
  /** GET answers 2xx once the proxy is ready; absent when the mesh offers nothing to wait on. */
  readonly readinessUrl?: string;
  /** Requests that stop the proxy, in order. */
  readonly quit: QuitCall[];
  /** The pod must share one process namespace (to signal the proxy's process). */
  readonly shareProcessNamespace?: boolean;
}

/**
 * The pod metadata of an injection switch: `{key: on}` when the pod asks for injection,
 * `{key: off}` when it opts out, nothing when the namespace decides. @internal
 */
export function injectionSwitch(injection: SidecarInjection, key: string, on: string, off: string): Record<string, string> {
  switch (injection) {
    case SidecarInjection.POD: return { [key]: on };
    case SidecarInjection.DISABLED: return { [key]: off };
    default: return {};
  }
}

/** A mesh's Kubernetes-native sidecar mode. @internal */
export interface NativeContract {
  /** Lowest mesh version with a per-pod switch; absent when the mode is cluster-wide. */
  readonly minVersion?: string;
  /** Earlier lines that got the per-pod switch in a patch release, e.g. ["1.8.2"]: 1.8.2 and later 1.8 patches. */
  readonly backports?: string[];
  /**
   * The Kubernetes version from which the mesh itself turns native sidecars on: `auto()` chooses
   * native only from there, and explicit native mode before it gets a warning.
   */
  readonly kubernetesFrom?: string;
  /** The pod's labels in native mode (injection switch). */
  readonly podLabels: Record<string, string>;
  /** The pod's annotations in native mode (injection and native switches; no hold-until-ready). */
  readonly podAnnotations: Record<string, string>;
  /** Why a pod cannot ask for native mode, when it is a cluster-wide setting. */
  readonly clusterWide?: string;
}

/** Everything a mesh asks of a pod: the one place a mesh's facts turn into pod settings. @internal */
export interface MeshContract {
  /** The mesh's name, for messages. */
  readonly name: string;
  /** The mesh version the user declared. */
  readonly version?: Version;
  /** Native sidecar mode; absent when the mesh has none. */
  readonly native?: NativeContract;
  readonly podLabels: Record<string, string>;
  readonly podAnnotations: Record<string, string>;
  /**
   * Annotations only a wrapped pod gets: the per-pod opt-out of a native proxy where the mesh
   * injects one by default (the wrapper's quit would stop a proxy the kubelet then restarts).
   */
  readonly wrapPodAnnotations?: Record<string, string>;
  /**
   * A headless Service selecting the pod, which the mesh needs to register it (consul-k8s), with
   * the port it registers.
   */
  readonly registrationService?: { readonly port: number };
  /** What may not work as rendered, whatever the lifecycle (warnings). */
  readonly notes?: string[];
  /** The proxy to wait for and stop; absent when the pod gets no proxy. */
  readonly proxy?: ProxyContract;
  /** Names of the containers the mesh injects: a user container of the same name would collide. */
  readonly injectedContainers?: string[];
  /**
   * Annotations whose value MeshJob can combine with one the pod already has: returns the
   * combined value, or undefined when the two conflict.
   */
  readonly annotationMerges?: Record<string, (user: string, mesh: string) => string | undefined>;
  /**
   * The mesh's own injection opt-out: a pod label or annotation `key` whose value `isOff` turns
   * injection off. Absent when the mesh options turn injection off themselves.
   */
  readonly injectionOptOut?: { readonly key: string; readonly isOff: (value: string) => boolean };
}

/**
 * Names the pod label or annotation that opts the pod out of the mesh's injection, e.g.
 * `label sidecar.istio.io/inject="false"`, or undefined when none does. @internal
 */
export function injectionOptOut(mesh: MeshContract, labels: Record<string, unknown>, annotations: Record<string, unknown>): string | undefined {
  const off = mesh.injectionOptOut;
  if (!off) return undefined;
  for (const [kind, map] of [['label', labels], ['annotation', annotations]] as const) {
    const value = map[off.key];
    if (typeof value === 'string' && off.isOff(value)) return `${kind} ${off.key}=${JSON.stringify(value)}`;
  }
  return undefined;
}
