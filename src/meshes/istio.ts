import { loopbackUrl, HttpMethod } from './endpoint';
import { MeshContract, SidecarInjection } from './mesh-contract';

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
/** The pod annotation carrying per-pod ProxyConfig. */
export const ISTIO_PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';

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
}

/** Istio's contract for the given options. @internal */
export function istioContract(options: IstioOptions): MeshContract {
  const injection = options.injection ?? SidecarInjection.POD;
  const hold = options.holdApplicationUntilProxyStarts ?? true;
  const labels: Record<string, string> = {};
  if (injection !== SidecarInjection.NAMESPACE) {
    labels[ISTIO_INJECT_LABEL] = injection === SidecarInjection.DISABLED ? 'false' : 'true';
  }
  if (injection === SidecarInjection.DISABLED) {
    return { name: 'istio', podLabels: labels, podAnnotations: {} };
  }
  return {
    name: 'istio',
    podLabels: labels,
    podAnnotations: hold ? { [ISTIO_PROXY_CONFIG_ANNOTATION]: '{"holdApplicationUntilProxyStarts":true}' } : {},
    proxy: {
      readyUrl: loopbackUrl(ISTIO_READINESS_PORT, ISTIO_READINESS_PATH),
      quit: [{ method: HttpMethod.POST, url: loopbackUrl(ISTIO_STATUS_PORT, ISTIO_QUIT_PATH) }],
    },
  };
}
