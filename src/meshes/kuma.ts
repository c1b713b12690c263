import { MeshDescriptor } from './descriptor';
import { injectionSwitch, MeshContract, SidecarInjection } from './mesh-contract';
import { atLeast, parseVersion } from '../versions';

// Kuma / Kong Mesh. Sources (kumahq/kuma):
// - pkg/plugins/runtime/k8s/metadata/annotations.go, webhooks/injector/precheck.go: injection is
//   the LABEL kuma.io/sidecar-injection (enabled/disabled) on the pod or namespace;
// - containers/factory.go: the annotation kuma.io/wait-for-dataplane-ready: "true" (Kuma >= 2.4)
//   adds a postStart `kuma-dp wait` that holds the application until the dataplane is ready;
// - pkg/plugins/runtime/k8s/controllers/pod_status_controller.go: for pods whose restartPolicy is
//   not Always, the control plane itself asks Envoy to quit once every other container has
//   terminated (Kuma >= 1.1). Kuma documents no endpoint to stop kuma-dp from inside the pod (its
//   readiness server on :9902 serves only /ready), so MeshJob sends no quit request of its own;
// - webhooks/injector (v2.14.3): every injected pod gets the annotation kuma.io/sidecar-injected:
//   "true"; metadata/annotations.go reads the injection label: enabled injects, disabled, false
//   and no do not.

/** The label that turns injection on or off. */
export const KUMA_INJECTION_LABEL = 'kuma.io/sidecar-injection';
/** The proxy container the injector adds. */
export const KUMA_PROXY_CONTAINER = 'kuma-sidecar';
/** The containers the injector adds (pkg/plugins/runtime/k8s/webhooks/injector), the proxy first. */
export const KUMA_INJECTED_CONTAINERS = [KUMA_PROXY_CONTAINER, 'kuma-init', 'kuma-validation'];
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

/**
 * From this version the pods webhook's namespaceSelector requires the namespace to carry
 * KUMA_INJECTION_LABEL too (any value): a pod label alone injects nothing.
 */
export const KUMA_NAMESPACE_LABEL_MIN_VERSION = '2.11';
/** The annotation that shortens kuma-dp's drain on SIGTERM (DrainTime, 30 s by default). */
export const KUMA_DRAIN_TIME_ANNOTATION = 'kuma.io/sidecar-drain-time';
/**
 * The drain a Job's kuma-dp gets: it has no connections left to drain once the Job's containers
 * end, and a native kuma-dp (Kuma >= 2.14) is sent SIGTERM exactly then.
 */
export const KUMA_JOB_DRAIN_TIME = '1s';

/** Kuma's contract: injection and readiness hold; the control plane stops the sidecar. @internal */
export function kumaContract(options: KumaOptions): MeshContract {
  const injection = options.injection ?? SidecarInjection.POD;
  const labels = injectionSwitch(injection, KUMA_INJECTION_LABEL, 'enabled', 'disabled');
  const version = options.version === undefined ? undefined : parseVersion(options.version, 'kuma version');
  if (injection === SidecarInjection.DISABLED) {
    return { name: 'kuma', injectedContainers: KUMA_INJECTED_CONTAINERS, version, podLabels: labels, podAnnotations: {} };
  }
  const hold = options.waitForDataplaneReady !== false;
  const namespaceRule = injection === SidecarInjection.POD && (version === undefined || atLeast(version, KUMA_NAMESPACE_LABEL_MIN_VERSION));
  return {
    name: 'kuma',
    injectedContainers: KUMA_INJECTED_CONTAINERS,
    injectionSwitch: KUMA.injectionSwitch!(version),
    version,
    podLabels: labels,
    podAnnotations: { ...(hold ? { [KUMA_WAIT_ANNOTATION]: 'true' } : {}), [KUMA_DRAIN_TIME_ANNOTATION]: KUMA_JOB_DRAIN_TIME },
    native: {
      podLabels: labels,
      podAnnotations: { [KUMA_DRAIN_TIME_ANNOTATION]: KUMA_JOB_DRAIN_TIME },
      clusterWide: KUMA_NATIVE_NOTE,
    },
    notes: namespaceRule ? [
      `Kuma >= ${KUMA_NAMESPACE_LABEL_MIN_VERSION} injects a pod only in a namespace labelled ${KUMA_INJECTION_LABEL} ` +
      '(any value): label the Job\'s namespace, or its pod runs outside the mesh without a word',
    ] : [],
  };
}

/** Kuma / Kong Mesh. @internal */
export const KUMA: MeshDescriptor = {
  name: 'kuma',
  factory: 'Mesh.kuma()',
  injectedContainers: KUMA_INJECTED_CONTAINERS,
  requestMarkers: [KUMA_INJECTION_LABEL, KUMA_WAIT_ANNOTATION],
  injectionSwitch: () => ({ key: KUMA_INJECTION_LABEL, in: ['label'], offValues: ['disabled', 'false', 'no'] }),
  injectionMarker: { file: 'annotations', key: 'kuma.io/sidecar-injected', value: 'true' },
  parseVersion: (text) => parseVersion(text, 'kuma version'),
  versionForms: '2.14, v2.14.3',
  diagnosis: {
    // From Kuma 2.11 the webhook's namespaceSelector requires the namespace label.
    injectionFix: `label the namespace ${KUMA_INJECTION_LABEL}=enabled (from Kuma 2.11 a pod label alone injects nothing)`,
    initFixes: {
      iptables: 'kuma-init needs NET_ADMIN and NET_RAW to set up traffic redirection: allow them for the pod, or install Kuma with its CNI',
      validation: "kuma-cni had not set up the pod's traffic redirection: check the kuma-cni pod on this node, then delete the pod to retry",
    },
    // kumahq/kuma pod_status_controller.go: the control plane stops the sidecar of a pod whose
    // restartPolicy is not Always once its other containers end (Kuma >= 1.1).
    stillRunningFix: "Kuma's control plane stops kuma-sidecar once the other containers end, for pods whose restartPolicy is not Always: check the pod's restartPolicy and the control plane's logs",
  },
  cli: { flags: [], contract: ({ version }) => kumaContract({ version }) },
  docs: [{
    factory: '`Mesh.kuma()`',
    podGets: 'label `kuma.io/sidecar-injection: enabled`, `kuma.io/wait-for-dataplane-ready`, `kuma.io/sidecar-drain-time: 1s`',
    waitsFor: "kuma-dp's postStart hold",
    stopsWith: "nothing: Kuma's control plane stops the sidecar of a Job's pod once the other containers end (Kuma documents no in-pod stop endpoint)",
  }],
};
