import { Duration } from 'cdk8s';
import { HttpMethod, loopbackUrl } from './endpoint';
import { injectionSwitch, MeshContract, SidecarInjection } from './mesh-contract';
import { parseVersion } from '../versions';

// Consul service mesh on Kubernetes. Sources:
// - hashicorp/consul-k8s control-plane/connect-inject/constants/annotations_and_labels.go:
//   consul.hashicorp.com/connect-inject, .../enable-sidecar-proxy-lifecycle (Helm default true,
//   consul-k8s >= 1.2.1), .../sidecar-proxy-lifecycle-shutdown-grace-period-seconds (Helm default 30);
// - hashicorp/consul-dataplane pkg/consuldp/lifecycle.go: the lifecycle server listens on
//   127.0.0.1:20600 (consul-k8s passes -graceful-port 20600, -graceful-addr 127.0.0.1);
//   /graceful_shutdown accepts any method, answers 200 at once, then waits the shutdown grace
//   period and quits Envoy. /graceful_startup is NOT a readiness signal: it answers 200 once the
//   startup grace period passes even when Envoy is not ready, and at once when it is 0 (default);
// - consul-dataplane cmd/consul-dataplane/config.go: Envoy admin on 127.0.0.1:19000, whose
//   GET /ready answers 200 "LIVE" only when Envoy is live (503 before), which is what the
//   dataplane's own -check-proxy-health probe polls (consul-dataplane >= 1.9).

/** Envoy's admin port in consul-dataplane. */
export const CONSUL_ENVOY_ADMIN_PORT = 19000;
/** Containers the injector adds (control-plane/connect-inject/webhook). */
/** The proxy container the injector adds. */
export const CONSUL_PROXY_CONTAINER = 'consul-dataplane';
export const CONSUL_INJECTED_CONTAINERS = [CONSUL_PROXY_CONTAINER, 'consul-connect-inject-init'];
/** consul-dataplane's lifecycle (graceful) port. */
export const CONSUL_GRACEFUL_PORT = 20600;
/** The annotation that turns injection on or off. */
export const CONSUL_INJECT_ANNOTATION = 'consul.hashicorp.com/connect-inject';
/** The annotation that enables the proxy lifecycle server's graceful shutdown. */
export const CONSUL_LIFECYCLE_ANNOTATION = 'consul.hashicorp.com/enable-sidecar-proxy-lifecycle';
/** The annotation with the seconds the dataplane waits after /graceful_shutdown before it quits. */
export const CONSUL_SHUTDOWN_GRACE_ANNOTATION = 'consul.hashicorp.com/sidecar-proxy-lifecycle-shutdown-grace-period-seconds';

/**
 * Options for `Mesh.consul()`.
 */
export interface ConsulOptions {
  /**
   * How the pod gets its consul-dataplane sidecar.
   *
   * @default SidecarInjection.POD - the pod carries `consul.hashicorp.com/connect-inject: "true"`
   */
  readonly injection?: SidecarInjection;

  /**
   * How long consul-dataplane keeps serving after the wrapper asks it to shut down
   * (`sidecar-proxy-lifecycle-shutdown-grace-period-seconds`). A Job has nothing left to drain.
   *
   * @default Duration.seconds(0)
   */
  readonly shutdownGracePeriod?: Duration;

  /**
   * The consul-k8s version of the cluster (the Helm chart's version, e.g. "1.9.0"). Native mode
   * (`enable-consul-dataplane-as-sidecar`) needs 1.9.0, or 1.8.2, 1.7.5, 1.6.9 on earlier lines.
   *
   * @default - unknown: native mode is not chosen automatically
   */
  readonly version?: string;

  /**
   * The cluster runs consul-k8s dual-stack (`global.dualStack.enabled`): Envoy's admin API and
   * the dataplane's shutdown server listen on `[::1]` instead of `127.0.0.1`.
   *
   * @default false
   */
  readonly dualStack?: boolean;

  /**
   * Render a headless Service that selects the Job's pods. consul-k8s registers a meshed pod only
   * through a Service that selects it; without one, the injected `consul-connect-inject-init`
   * gives up after about two minutes and the pod fails. With ACLs on, the Service must be named
   * like the pod's ServiceAccount: MeshJob names it after `serviceAccount` when one is set.
   * Turn it off when the chart or another construct already has such a Service.
   *
   * @default true
   */
  readonly registrationService?: boolean;
}

/** The annotation that runs consul-dataplane as a native sidecar (consul-k8s >= 1.9.0). */
export const CONSUL_NATIVE_SIDECAR_ANNOTATION = 'consul.hashicorp.com/enable-consul-dataplane-as-sidecar';
/** The first consul-k8s version that reads CONSUL_NATIVE_SIDECAR_ANNOTATION. */
export const CONSUL_NATIVE_SIDECAR_MIN_VERSION = '1.9';
/** The patch releases of earlier lines the native switch was backported to (consul-k8s PR #4678). */
export const CONSUL_NATIVE_SIDECAR_BACKPORTS = ['1.8.2', '1.7.5', '1.6.9'];
/**
 * The port of the registration Service, as in consul-k8s's own Job fixture
 * (acceptance/tests/fixtures/bases/job-client/service.yaml): a Job serves nothing on it.
 */
export const CONSUL_SERVICE_PORT = 80;

/** Consul's contract for the given options. @internal */
export function consulContract(options: ConsulOptions): MeshContract {
  const injection = options.injection ?? SidecarInjection.POD;
  const inject = injectionSwitch(injection, CONSUL_INJECT_ANNOTATION, 'true', 'false');
  const version = options.version === undefined ? undefined : parseVersion(options.version, 'consul-k8s version');
  if (injection === SidecarInjection.DISABLED) return { name: 'consul', version, podLabels: {}, podAnnotations: inject };
  const grace = { [CONSUL_SHUTDOWN_GRACE_ANNOTATION]: String((options.shutdownGracePeriod ?? Duration.seconds(0)).toSeconds()) };
  // consul-k8s binds both servers to 127.0.0.1 (-envoy-admin-bind-address, -graceful-addr), or
  // to ::1 when dual-stack (consul_dataplane_sidecar.go).
  const host = options.dualStack ? '[::1]' : '127.0.0.1';
  return {
    name: 'consul',
    injectedContainers: CONSUL_INJECTED_CONTAINERS,
    // consul-k8s reads the switch with Go's strconv.ParseBool (connect-inject/webhook).
    injectionOptOut: { key: CONSUL_INJECT_ANNOTATION, isOff: (v) => ['0', 'f', 'false'].includes(v.toLowerCase()) },
    version,
    native: {
      minVersion: CONSUL_NATIVE_SIDECAR_MIN_VERSION,
      backports: CONSUL_NATIVE_SIDECAR_BACKPORTS,
      podLabels: {},
      // The shutdown grace period applies to a native dataplane too: without 0, every Job ends 30 s late.
      podAnnotations: { ...inject, [CONSUL_NATIVE_SIDECAR_ANNOTATION]: 'true', ...grace },
    },
    podLabels: {},
    podAnnotations: { ...inject, [CONSUL_LIFECYCLE_ANNOTATION]: 'true', ...grace },
    proxy: {
      readinessUrl: loopbackUrl(CONSUL_ENVOY_ADMIN_PORT, '/ready', host),
      quit: [{ method: HttpMethod.POST, url: loopbackUrl(CONSUL_GRACEFUL_PORT, '/graceful_shutdown', host) }],
    },
    registrationService: options.registrationService === false ? undefined : { port: CONSUL_SERVICE_PORT },
  };
}
