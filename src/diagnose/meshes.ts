import { ContainerSpec, ContainerStatus, Pod } from './pod';
import { CONSUL_INJECT_ANNOTATION, CONSUL_INJECTED_CONTAINERS, CONSUL_PROXY_CONTAINER, CONSUL_LIFECYCLE_ANNOTATION } from '../meshes/consul';
import { ISTIO_INJECT_LABEL, ISTIO_INJECTED_CONTAINERS, ISTIO_PROXY_CONTAINER, ISTIO_PROXY_CONFIG_ANNOTATION } from '../meshes/istio';
import { KUMA_INJECTED_CONTAINERS, KUMA_PROXY_CONTAINER, KUMA_INJECTION_LABEL, KUMA_WAIT_ANNOTATION } from '../meshes/kuma';
import { LINKERD_ADMIN_SHUTDOWN_ANNOTATION, LINKERD_INJECT_ANNOTATION, LINKERD_INJECTED_CONTAINERS, LINKERD_PROXY_CONTAINER, LINKERD_PROXY_AWAIT_ANNOTATION } from '../meshes/linkerd';

// What diagnose needs to know of each mesh to recognise it in a running pod and to name the fix.
// Container names and annotation keys come from src/meshes/*.ts (each injector lists its proxy
// first); the facts behind the fixes are in ../shared/MESH-CONTRACTS.md with their sources.

/** One mesh as it shows in a pod. */
export interface MeshFacts {
  /** The `meshjob --mesh` value. */
  readonly name: string;
  /** The MeshJob factory. */
  readonly factory: string;
  /** The proxy container the injector adds. */
  readonly proxy: string;
  /** The init containers the injector adds (not the proxy). */
  readonly inits: string[];
  /** Pod labels and annotations that show the pod asked for this mesh (even when nothing was injected). */
  readonly markers: string[];
  /** What the proxy image's tag is the version of, when not the mesh's own (e.g. `consul-dataplane`). */
  readonly versionOf?: string;
  /** A pod annotation holding the proxy's version, when the injector writes one. */
  readonly versionAnnotation?: string;
  /** How to get the proxy injected when it is missing. */
  readonly injectionFix: string;
  /** The fix when one of `inits` failed: `iptables` for the traffic-redirect init, `validation` for the CNI check. */
  readonly initFixes: { readonly iptables: string; readonly validation: string };
  /** The fix when the proxy still runs in a pod MeshJob did not render; defaults to the post-renderer. */
  readonly stillRunningFix?: string;
}

// consul-k8s endpoints_controller.go, connect-init/command.go; consul-k8s issues #722, #1899.
const CONSUL_SERVICE_FIX = 'consul-k8s registers a pod only through a Service that selects it: add a Service for the ' +
  "Job's pods (and, with ACLs, a ServiceAccount of the same name)";

const withoutProxy = (names: string[]) => names.slice(1);

/** The meshes diagnose recognises. */
export const MESHES: MeshFacts[] = [
  {
    name: 'istio',
    factory: 'Mesh.istio()',
    proxy: ISTIO_PROXY_CONTAINER,
    inits: withoutProxy(ISTIO_INJECTED_CONTAINERS),
    // istio.io/rev selects a revisioned control plane (istio/api label/labels.yaml).
    markers: [ISTIO_INJECT_LABEL, ISTIO_PROXY_CONFIG_ANNOTATION, 'istio.io/rev'],
    injectionFix: 'label the namespace istio-injection=enabled (istio.io/rev=<revision> for a revisioned control plane) or the pod sidecar.istio.io/inject="true" (MeshJob: Mesh.istio())',
    initFixes: {
      iptables: 'istio-init needs NET_ADMIN and NET_RAW to set up traffic redirection: allow them for the pod, or install Istio with its CNI plugin',
      validation: "istio-cni had not set up the pod's traffic redirection: check the istio-cni-node pod on this node, then delete the pod to retry",
    },
  },
  {
    name: 'linkerd',
    factory: 'Mesh.linkerd()',
    proxy: LINKERD_PROXY_CONTAINER,
    inits: withoutProxy(LINKERD_INJECTED_CONTAINERS),
    markers: [LINKERD_INJECT_ANNOTATION, LINKERD_ADMIN_SHUTDOWN_ANNOTATION, LINKERD_PROXY_AWAIT_ANNOTATION],
    // linkerd/linkerd2 pkg/k8s/labels.go: ProxyVersionAnnotation.
    versionAnnotation: 'linkerd.io/proxy-version',
    injectionFix: 'annotate the namespace or the pod linkerd.io/inject=enabled (MeshJob: Mesh.linkerd())',
    initFixes: {
      iptables: 'linkerd-init needs NET_ADMIN and NET_RAW to set up traffic redirection: allow them for the pod, or install linkerd-cni',
      validation: "linkerd-cni had not set up the pod's traffic redirection: check the linkerd-cni pod on this node, then delete the pod to retry",
    },
  },
  {
    name: 'consul',
    factory: 'Mesh.consul()',
    proxy: CONSUL_PROXY_CONTAINER,
    inits: withoutProxy(CONSUL_INJECTED_CONTAINERS),
    markers: [CONSUL_INJECT_ANNOTATION, CONSUL_LIFECYCLE_ANNOTATION],
    // The image is hashicorp/consul-dataplane, versioned apart from consul-k8s.
    versionOf: 'consul-dataplane',
    injectionFix: `annotate the pod ${CONSUL_INJECT_ANNOTATION}="true" (MeshJob: Mesh.consul()) and check that the connect injector watches the namespace`,
    initFixes: {
      iptables: CONSUL_SERVICE_FIX,
      validation: CONSUL_SERVICE_FIX,
    },
  },
  {
    name: 'kuma',
    factory: 'Mesh.kuma()',
    proxy: KUMA_PROXY_CONTAINER,
    inits: withoutProxy(KUMA_INJECTED_CONTAINERS),
    markers: [KUMA_INJECTION_LABEL, KUMA_WAIT_ANNOTATION],
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
];

/**
 * Sidecars that never end on their own, by the last path segment of their image repository: the
 * Cloud SQL Auth Proxy (GoogleCloudPlatform/cloud-sql-proxy), log shippers (fluent/fluent-bit,
 * fluent/fluentd, timberio/vector, elastic/filebeat, grafana/promtail), the OpenTelemetry
 * Collector, plain Envoy (envoyproxy/envoy). Others are named with `--sidecar`.
 */
export const KNOWN_SIDECAR_IMAGES = [
  'cloud-sql-proxy', 'fluent-bit', 'fluentd', 'vector', 'filebeat', 'promtail',
  'opentelemetry-collector', 'opentelemetry-collector-contrib', 'envoy',
];

/** The mesh seen in a pod. */
export interface SeenMesh {
  readonly facts: MeshFacts;
  /** e.g. `1.24.2`, `edge-24.11.8`; absent when no proxy was seen. */
  readonly version?: string;
  /** Istio's revision from its injection status annotation. */
  readonly revision?: string;
  /** Whether the proxy container is in the pod. */
  readonly injected: boolean;
}

/** `istio 1.24.2 (revision default)`, `linkerd`, … */
export function describeMesh(mesh: SeenMesh | undefined): string {
  if (!mesh) return 'none';
  const version = mesh.version === undefined
    ? (mesh.injected ? 'version unknown' : 'no proxy')
    : `${mesh.facts.versionOf ? `${mesh.facts.versionOf} ` : ''}${mesh.version}`;
  const revision = mesh.revision && mesh.revision !== 'default' ? ` rev ${mesh.revision}` : '';
  return `${mesh.facts.name} ${version}${revision}`;
}

/** The tag of an image reference (`docker.io/istio/proxyv2:1.24.2-distroless` → `1.24.2`). */
export function imageTag(image: string | undefined): string | undefined {
  if (!image) return undefined;
  const withoutDigest = image.split('@')[0];
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  if (colon < 0) return undefined;
  return lastSegment.slice(colon + 1).replace(/-(distroless|debug)$/, '');
}

/** The last path segment of an image's repository (`gcr.io/x/cloud-sql-proxy:2.14` → `cloud-sql-proxy`). */
export function imageName(image: string | undefined): string {
  const repo = (image ?? '').split('@')[0];
  const last = repo.slice(repo.lastIndexOf('/') + 1);
  return last.split(':')[0];
}

/**
 * The mesh of a pod: the one whose proxy (or injected init container) is in it, else the one its
 * labels and annotations ask for.
 */
export function meshOf(pod: Pod): SeenMesh | undefined {
  const specs: ContainerSpec[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const statuses: ContainerStatus[] = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const annotations = pod.metadata.annotations ?? {};
  const labels = pod.metadata.labels ?? {};
  for (const facts of MESHES) {
    const proxy = specs.find((c) => c.name === facts.proxy);
    const injected = proxy !== undefined || specs.some((c) => facts.inits.includes(c.name));
    if (!injected) continue;
    const image = statuses.find((s) => s.name === facts.proxy)?.image ?? proxy?.image;
    const version = (facts.versionAnnotation && annotations[facts.versionAnnotation]) || imageTag(image);
    return { facts, version, revision: istioRevision(annotations), injected: proxy !== undefined };
  }
  // An injection switch set to off (`"false"`, `disabled`) is an opt-out, not a mesh the pod asked for.
  const value = (m: string) => labels[m] ?? annotations[m];
  const optedOut = (facts: MeshFacts) => facts.markers.some((m) => ['false', 'disabled'].includes(value(m)));
  const asked = MESHES.find((facts) => !optedOut(facts) && facts.markers.some((m) => value(m) !== undefined));
  return asked ? { facts: asked, injected: false, revision: labels['istio.io/rev'] } : undefined;
}

/** The revision in Istio's `sidecar.istio.io/status` annotation (pkg/kube/inject: SidecarInjectionStatus). */
function istioRevision(annotations: Record<string, string>): string | undefined {
  const status = annotations['sidecar.istio.io/status'];
  if (!status) return undefined;
  try {
    const revision = JSON.parse(status).revision;
    return typeof revision === 'string' ? revision : undefined;
  } catch {
    return undefined;
  }
}
