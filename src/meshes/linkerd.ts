import { loopbackUrl, HttpMethod } from './endpoint';
import { injectionSwitch, MeshContract, SidecarInjection } from './mesh-contract';

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
}

/** Linkerd's contract for the given options. @internal */
export function linkerdContract(options: LinkerdOptions): MeshContract {
  const injection = options.injection ?? SidecarInjection.POD;
  const inject = injectionSwitch(injection, LINKERD_INJECT_ANNOTATION, 'enabled', 'disabled');
  if (injection === SidecarInjection.DISABLED) return { name: 'linkerd', podLabels: {}, podAnnotations: inject };
  return {
    name: 'linkerd',
    podLabels: {},
    podAnnotations: {
      ...inject,
      [LINKERD_ADMIN_SHUTDOWN_ANNOTATION]: 'enabled',
      [LINKERD_PROXY_AWAIT_ANNOTATION]: options.proxyAwait === false ? 'disabled' : 'enabled',
    },
    proxy: {
      readyUrl: loopbackUrl(LINKERD_ADMIN_PORT, '/ready'),
      quit: [{ method: HttpMethod.POST, url: loopbackUrl(LINKERD_ADMIN_PORT, '/shutdown') }],
    },
  };
}
