import { QuitCall } from './endpoint';

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
  readonly readyUrl?: string;
  /** Requests that stop the proxy, in order. */
  readonly quit: QuitCall[];
}

/** Everything a mesh asks of a pod: the one place a mesh's facts turn into pod settings. @internal */
export interface MeshContract {
  /** The mesh's name, for messages. */
  readonly name: string;
  readonly podLabels: Record<string, string>;
  readonly podAnnotations: Record<string, string>;
  /** The proxy to wait for and stop; absent when the pod gets no proxy. */
  readonly proxy?: ProxyContract;
}
