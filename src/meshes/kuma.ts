import { injectionSwitch, MeshContract, SidecarInjection } from './mesh-contract';
import { parseVersion } from '../versions';

// Kuma / Kong Mesh. Sources (kumahq/kuma):
// - pkg/plugins/runtime/k8s/metadata/annotations.go, webhooks/injector/precheck.go: injection is
//   the LABEL kuma.io/sidecar-injection (enabled/disabled) on the pod or namespace;
// - containers/factory.go: the annotation kuma.io/wait-for-dataplane-ready: "true" (Kuma >= 2.4)
//   adds a postStart `kuma-dp wait` that holds the application until the dataplane is ready;
// - pkg/plugins/runtime/k8s/controllers/pod_status_controller.go: for pods whose restartPolicy is
//   not Always, the control plane itself asks Envoy to quit once every other container has
//   terminated (Kuma >= 1.1). Kuma documents no endpoint to stop kuma-dp from inside the pod (its
//   readiness server on :9902 serves only /ready), so MeshJob sends no quit request of its own.

/** The label that turns injection on or off. */
export const KUMA_INJECTION_LABEL = 'kuma.io/sidecar-injection';
/** Containers the injector adds (pkg/plugins/runtime/k8s/webhooks/injector). */
export const KUMA_INJECTED_CONTAINERS = ['kuma-sidecar', 'kuma-init', 'kuma-validation'];
/** The annotation that holds the application until the dataplane is ready. */
export const KUMA_WAIT_ANNOTATION = 'kuma.io/wait-for-dataplane-ready';

/**
 * Options for `Mesh.kuma()`.
 */
export interface KumaOptions {
  /**
   * How the pod gets its kuma-dp sidecar.
   *
   * @default SidecarInjection.POD - the pod carries the label `kuma.io/sidecar-injection: enabled`
   */
  readonly injection?: SidecarInjection;

  /**
   * Hold the application until the dataplane is ready (`kuma.io/wait-for-dataplane-ready`, Kuma >= 2.4).
   *
   * @default true
   */
  readonly waitForDataplaneReady?: boolean;

  /**
   * The Kuma version of the cluster, e.g. "2.14". Informational: Kuma's native sidecar mode is a
   * control-plane setting, not a pod's choice.
   *
   * @default - unknown
   */
  readonly version?: string;
}

/**
 * Kuma's native sidecars (UPGRADE.md; pkg/plugins/runtime/k8s/plugin.go): the control plane
 * setting experimental.sidecarContainers (KUMA_EXPERIMENTAL_SIDECAR_CONTAINERS) in Kuma 2.7-2.13,
 * always on from Kuma 2.14 where Kubernetes >= 1.29. There is no per-pod switch.
 */
const KUMA_NATIVE_NOTE =
  "Kuma's native sidecar mode is a control-plane setting, not a pod's: experimental.sidecarContainers " +
  'in Kuma 2.7-2.13, always on from Kuma 2.14 with Kubernetes >= 1.29';

/** Kuma's contract: injection and readiness hold; the control plane stops the sidecar. @internal */
export function kumaContract(options: KumaOptions): MeshContract {
  const injection = options.injection ?? SidecarInjection.POD;
  const labels = injectionSwitch(injection, KUMA_INJECTION_LABEL, 'enabled', 'disabled');
  const hold = injection !== SidecarInjection.DISABLED && options.waitForDataplaneReady !== false;
  return {
    name: 'kuma',
    injectedContainers: KUMA_INJECTED_CONTAINERS,
    injectionOptOut: injection === SidecarInjection.DISABLED ? undefined : { key: KUMA_INJECTION_LABEL, isOff: (v) => v === 'disabled' },
    version: options.version === undefined ? undefined : parseVersion(options.version, 'kuma version'),
    podLabels: labels,
    podAnnotations: hold ? { [KUMA_WAIT_ANNOTATION]: 'true' } : {},
    native: injection === SidecarInjection.DISABLED ? undefined : {
      podLabels: labels,
      podAnnotations: {},
      clusterWide: KUMA_NATIVE_NOTE,
    },
  };
}
