import { PodMetadata } from './kubelet';

// What each mesh's injector writes into a pod when it adds its proxy (a mutating webhook, before the
// kubelet sees the pod): the marks the wrapper reads back through the downward API. The harnesses
// that stand in for injection (test/support/pod.ts, test/support/podman.ts) add them when they add
// the proxy's stand-in, and add nothing for a pod the mesh left alone.

/**
 * Istio's `sidecar.istio.io/status` annotation (istio/istio pkg/kube/inject/inject.go,
 * SidecarInjectionStatus, JSON-marshalled): `native` lists the proxy under initContainers, as
 * injection of a native sidecar does.
 */
export function istioInjected(native = false): PodMetadata {
  const status = {
    initContainers: native ? ['istio-init', 'istio-proxy'] : ['istio-init'],
    containers: native ? null : ['istio-proxy'],
    volumes: ['workload-socket', 'credential-socket', 'workload-certs', 'istio-envoy', 'istio-data', 'istio-podinfo', 'istio-token', 'istiod-ca-cert'],
    imagePullSecrets: null,
    revision: 'default',
  };
  return {
    annotations: { 'sidecar.istio.io/status': JSON.stringify(status), 'kubectl.kubernetes.io/default-container': 'report' },
    labels: { 'security.istio.io/tlsMode': 'istio', 'service.istio.io/canonical-name': 'report' },
  };
}

/** Linkerd's label (linkerd/linkerd2 pkg/k8s/labels.go, ControllerNSLabel) and proxy version annotation. */
export const LINKERD_INJECTED: PodMetadata = {
  annotations: { 'linkerd.io/created-by': 'linkerd/proxy-injector stable-2.14.10', 'linkerd.io/proxy-version': 'stable-2.14.10' },
  labels: { 'linkerd.io/control-plane-ns': 'linkerd', 'linkerd.io/workload-ns': 'default' },
};

/** consul-k8s's status annotation (control-plane/connect-inject/constants/annotations_and_labels.go, KeyInjectStatus). */
export const CONSUL_INJECTED: PodMetadata = {
  annotations: { 'consul.hashicorp.com/connect-inject-status': 'injected' },
  labels: { 'consul.hashicorp.com/connect-inject-status': 'injected' },
};

/** Kuma's annotation (kumahq/kuma pkg/plugins/runtime/k8s/metadata/annotations.go, KumaSidecarInjectedAnnotation). */
export const KUMA_INJECTED: PodMetadata = { annotations: { 'kuma.io/sidecar-injected': 'true' } };

/** The pod as the API server stores it: its template's labels and annotations with the injector's on top. */
export function admitted(template: PodMetadata, injection: PodMetadata | undefined): PodMetadata {
  return {
    labels: { ...template.labels, ...injection?.labels },
    annotations: { ...template.annotations, ...injection?.annotations },
  };
}
