import { KILL_BY_NAME, QuitCall } from './endpoint';
import { Version } from '../versions';

// What a mesh asks of a pod, as plain data: the plan (src/lifecycle/pod-plan.ts) reads nothing else
// of a mesh. Each mesh's module (src/meshes/<mesh>.ts) builds its contract from the user's options.

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

/**
 * How a mesh's injector reads its pod-level switch (a label or annotation of the pod): which values
 * turn injection off. Either `offValues` (those values, and no others) or `onValues` (every value
 * but these and the empty value turns it off). @internal
 */
export interface InjectionSwitch {
  readonly key: string;
  /** Where the injector looks for it, first match wins: e.g. Istio's label over its deprecated annotation. */
  readonly in: Array<'label' | 'annotation'>;
  readonly offValues?: string[];
  readonly onValues?: string[];
  /** Values are compared without regard to case. */
  readonly ignoreCase?: boolean;
}

/** True when `value` of the switch turns injection off. @internal */
export function switchesOff(reading: InjectionSwitch, value: string): boolean {
  const norm = (v: string) => (reading.ignoreCase ? v.toLowerCase() : v);
  if (reading.offValues) return reading.offValues.map(norm).includes(norm(value));
  return value !== '' && !(reading.onValues ?? []).map(norm).includes(norm(value));
}

/**
 * What the mesh's injector writes on every pod it injects, read back at run time from the pod's
 * downward API files: `annotations` or `labels`, the key, and the value when one is required. @internal
 */
export interface InjectionMarker {
  readonly file: 'annotations' | 'labels';
  readonly key: string;
  readonly value?: string;
}

/** The proxy a mesh injects, as the wrapper sees it. @internal */
export interface ProxyContract {
  /** GET answers 2xx once the proxy is ready; absent when the mesh offers nothing to wait on. */
  readonly readinessUrl?: string;
  /** Requests that stop the proxy, in order. */
  readonly quit: QuitCall[];
  /** The pod must share one process namespace (to signal the proxy's process). */
  readonly shareProcessNamespace?: boolean;
  /** What injection leaves on the pod; absent where the proxy is in the pod spec (plain Envoy, custom). */
  readonly injectionMarker?: InjectionMarker;
  /** The proxy is native when this annotation's JSON lists `container` under `initContainers` (Istio). */
  readonly nativeStatus?: { readonly annotation: string; readonly container: string };
  /** Ports of the URLs above that a pod annotation may change, with that annotation. */
  readonly portAnnotations?: Array<{ readonly port: number; readonly annotation: string }>;
  /** Paths of the URLs above that a pod annotation may change, with that annotation. */
  readonly pathAnnotations?: Array<{ readonly path: string; readonly annotation: string }>;
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
  /** The mesh's name, for messages (its `meshjob --mesh` name, or a custom mesh's own). */
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
  /** The oldest Kubernetes the mesh version runs on: a warning below it, when the cluster's version is known. */
  readonly kubernetesMin?: string;
  /** The proxy to wait for and stop; absent when the pod gets no proxy. */
  readonly proxy?: ProxyContract;
  /** Names of the containers the mesh injects: a user container of the same name would collide. */
  readonly injectedContainers?: string[];
  /**
   * Annotations whose values are YAML maps that MeshJob merges key by key with the pod's own (a
   * key set both ways to different values is a conflict), e.g. `proxy.istio.io/config`.
   */
  readonly mapAnnotations?: string[];
  /** The mesh's own injection switch, as its injector reads it; absent when the mesh options turn injection off themselves. */
  readonly injectionSwitch?: InjectionSwitch;
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

/**
 * Names the pod label or annotation that opts the pod out of the mesh's injection, e.g.
 * `label sidecar.istio.io/inject="false"`, or undefined when none does. @internal
 */
export function injectionOptOut(
  reading: InjectionSwitch | undefined, labels: Record<string, unknown>, annotations: Record<string, unknown>,
): string | undefined {
  for (const kind of reading?.in ?? []) {
    const value = (kind === 'label' ? labels : annotations)?.[reading!.key];
    if (typeof value !== 'string') continue;
    return switchesOff(reading!, value) ? `${kind} ${reading!.key}=${JSON.stringify(value)}` : undefined;
  }
  return undefined;
}

const PORT = /^\d{1,5}$/;
const URL_PATH = /^\/[A-Za-z0-9\-._~%!&'()*+,;=:@/]*$/;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The proxy's URLs at the ports and paths the pod's own annotations name (a pod that moved Istio's
 * status port, say). Values that are not a port (1 to 65535) or a URL path are left out: the
 * wrapper reports them at run time, where the pod as admitted is known. @internal
 */
export function proxyForPod(proxy: ProxyContract, annotations: Record<string, unknown>): ProxyContract {
  const moves: Array<[RegExp, string]> = [];
  for (const { port, annotation } of proxy.portAnnotations ?? []) {
    const value = annotations[annotation];
    if (typeof value === 'string' && PORT.test(value) && Number(value) >= 1 && Number(value) <= 65535) {
      moves.push([new RegExp(`:${port}(?=/|$)`), `:${Number(value)}`]);
    }
  }
  for (const { path, annotation } of proxy.pathAnnotations ?? []) {
    const value = annotations[annotation];
    if (typeof value === 'string' && URL_PATH.test(value)) moves.push([new RegExp(`(?<=:\\d+)${escapeRegExp(path)}$`), value]);
  }
  if (moves.length === 0) return proxy;
  const move = (url: string) => moves.reduce((u, [from, to]) => u.replace(from, to), url);
  return {
    ...proxy,
    readinessUrl: proxy.readinessUrl === undefined ? undefined : move(proxy.readinessUrl),
    quit: proxy.quit.map((q): QuitCall => (q.method === KILL_BY_NAME ? q : { ...q, url: move(q.url) })),
  };
}
