import { ContainerSpec, ContainerStatus, Pod } from './pod';
import { MeshDescriptor, proxyContainerOf } from '../meshes/descriptor';
import { HttpMethod, KILL_BY_NAME } from '../meshes/endpoint';
import { proxyForPod, switchesOff } from '../meshes/mesh-contract';
import { INJECTING_MESHES } from '../meshes/registry';
import { DEFAULT_BUSYBOX_IMAGE } from '../runtime/wrapper-runtime';

// Recognising a mesh in a running pod, and the line that releases a pod stuck now: read from each
// mesh's descriptor (src/meshes/registry.ts), which lists the containers its injector adds and the
// markers it writes.

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
  readonly descriptor: MeshDescriptor;
  /** The proxy container's name. */
  readonly proxy: string;
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
  const versionOf = mesh.descriptor.diagnosis?.versionOf;
  const version = mesh.version === undefined
    ? (mesh.injected ? 'version unknown' : 'no proxy')
    : `${versionOf ? `${versionOf} ` : ''}${mesh.version}`;
  const revision = mesh.revision && mesh.revision !== 'default' ? ` rev ${mesh.revision}` : '';
  return `${mesh.descriptor.name} ${version}${revision}`;
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

/** An image reference without its tag and digest (the key `--entrypoint` matches most widely). */
export function imageRepository(image: string): string {
  return image.split('@')[0].replace(/:[^:/]+$/, '');
}

/**
 * The mesh of a pod: the one whose proxy (or injected init container) is in it, else the one its
 * labels and annotations ask for (not counting an opt-out).
 */
export function meshOf(pod: Pod): SeenMesh | undefined {
  const specs: ContainerSpec[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const statuses: ContainerStatus[] = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const annotations = pod.metadata.annotations ?? {};
  const labels = pod.metadata.labels ?? {};
  for (const descriptor of INJECTING_MESHES) {
    const name = proxyContainerOf(descriptor)!;
    const proxy = specs.find((c) => c.name === name);
    const injected = proxy !== undefined || specs.some((c) => descriptor.injectedContainers.includes(c.name));
    if (!injected) continue;
    const image = statuses.find((s) => s.name === name)?.image ?? proxy?.image;
    const versionAnnotation = descriptor.diagnosis?.versionAnnotation;
    const version = (versionAnnotation && annotations[versionAnnotation]) || imageTag(image);
    return { descriptor, proxy: name, version, revision: istioRevision(annotations), injected: proxy !== undefined };
  }
  const value = (key: string) => labels[key] ?? annotations[key];
  const optedOut = (d: MeshDescriptor) => {
    const reading = d.injectionSwitch?.(undefined);
    const v = reading && value(reading.key);
    return typeof v === 'string' && switchesOff(reading!, v);
  };
  const asked = INJECTING_MESHES.find((d) => !optedOut(d) && d.requestMarkers.some((m) => value(m) !== undefined));
  return asked ? { descriptor: asked, proxy: proxyContainerOf(asked)!, injected: false, revision: labels['istio.io/rev'] } : undefined;
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

/**
 * The command that stops the pod's proxy now, from outside the pod, so that a stuck Job completes:
 * the mesh's own exec route where it has one, else an ephemeral busybox container (`kubectl debug`,
 * Kubernetes >= 1.25) that sends the mesh's quit request on the pod's loopback address, at the port
 * and path the pod's annotations name. Undefined when nothing in the pod can stop the proxy.
 */
export function releaseCommand(mesh: SeenMesh, pod: Pod): string | undefined {
  const ns = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name;
  const exec = mesh.descriptor.diagnosis?.releaseExec;
  if (exec) return `kubectl exec -n ${ns} ${name} -c ${mesh.proxy} -- ${exec.join(' ')}`;
  let contract;
  try {
    contract = mesh.descriptor.cli?.contract({ flags: {} });
  } catch {
    return undefined;
  }
  const proxy = contract?.proxy && proxyForPod(contract.proxy, pod.metadata.annotations ?? {});
  const steps = (proxy?.quit ?? []).filter((q) => q.method !== KILL_BY_NAME)
    .map((q) => `wget -q -O- ${q.method === HttpMethod.POST ? '--post-data= ' : ''}${q.url}`);
  if (steps.length === 0) return undefined;
  const run = steps.length === 1 ? steps[0] : `sh -c '${steps.join(' && ')}'`;
  return `kubectl debug -n ${ns} ${name} -i --image=${DEFAULT_BUSYBOX_IMAGE} -- ${run}`;
}
