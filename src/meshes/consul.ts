import { Duration } from 'cdk8s';
import { MeshDescriptor } from './descriptor';
import { checkPort, HttpMethod, loopbackUrl } from './endpoint';
import { injectionSwitch, MeshContract, SidecarInjection } from './mesh-contract';
import { atLeastOrBackport, parseVersion, Version } from '../versions';

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
//   dataplane's own -check-proxy-health probe polls (consul-dataplane >= 1.9);
// - annotations_and_labels.go at v1.0.8, v1.1.3 and v1.2.1: the proxy lifecycle annotations
//   (enable-sidecar-proxy-lifecycle, ...-graceful-port, ...-graceful-shutdown-path) first appear
//   there, so earlier releases of each line refuse every quit;
// - connect-inject/webhook/mesh_webhook.go (v2.0.3): every injected pod gets the annotation and
//   label consul.hashicorp.com/connect-inject-status: injected;
// - charts/consul/values.yaml (>= 1.6.9, 1.7.5, 1.8.2, 1.9.0): a cluster-wide default can inject the
//   dataplane as a native sidecar; the pod annotation enable-consul-dataplane-as-sidecar "false"
//   overrides it.

/** Envoy's admin port in consul-dataplane. */
export const CONSUL_ENVOY_ADMIN_PORT = 19000;
/** The proxy container the injector adds. */
export const CONSUL_PROXY_CONTAINER = 'consul-dataplane';
/** The containers the injector adds (control-plane/connect-inject/webhook), the proxy first. */
export const CONSUL_INJECTED_CONTAINERS = [CONSUL_PROXY_CONTAINER, 'consul-connect-inject-init'];
/** consul-dataplane's lifecycle (graceful) port. */
export const CONSUL_GRACEFUL_PORT = 20600;
/** consul-dataplane's shutdown path on the lifecycle port. */
export const CONSUL_GRACEFUL_SHUTDOWN_PATH = '/graceful_shutdown';
/** The annotation that moves the lifecycle port. */
export const CONSUL_GRACEFUL_PORT_ANNOTATION = 'consul.hashicorp.com/sidecar-proxy-lifecycle-graceful-port';
/** The annotation that moves the shutdown path. */
export const CONSUL_GRACEFUL_PATH_ANNOTATION = 'consul.hashicorp.com/sidecar-proxy-lifecycle-graceful-shutdown-path';
/** The annotation (and label) the injector writes on every pod it injects. */
export const CONSUL_INJECT_STATUS = 'consul.hashicorp.com/connect-inject-status';
/**
 * The first release of each consul-k8s line with the proxy lifecycle (/graceful_shutdown and its
 * annotations); lines after the last are newer and have it.
 */
export const CONSUL_LIFECYCLE_FROM = ['1.0.8', '1.1.3', '1.2.1'];
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
   * Releases without the proxy lifecycle (before 1.0.8, 1.1.0 to 1.1.2, 1.2.0) are refused:
   * nothing could stop their dataplane.
   *
   * @default - unknown: native mode is not chosen automatically
   */
  readonly version?: string;

  /**
   * consul-dataplane's lifecycle port, where the wrapper sends its shutdown request, when the
   * cluster moved it (Helm `connectInject.sidecarProxy.lifecycle.defaultGracefulPort`): the pod is
   * annotated `consul.hashicorp.com/sidecar-proxy-lifecycle-graceful-port` with it. At run time the
   * wrapper uses the pod's own annotation when it names another port.
   *
   * @default 20600
   */
  readonly gracefulPort?: number;

  /**
   * consul-dataplane's shutdown path on the lifecycle port, when the cluster moved it: the pod is
   * annotated `consul.hashicorp.com/sidecar-proxy-lifecycle-graceful-shutdown-path` with it.
   *
   * @default "/graceful_shutdown"
   */
  readonly gracefulShutdownPath?: string;

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

const PATH = /^\/[A-Za-z0-9\-._~%!&'()*+,;=:@/]*$/;

/** True when the version may read the per-pod native switch: unknown, from 1.9.0, or a backport's line from its patch. */
function readsNativeSwitch(version: Version | undefined): boolean {
  return version === undefined || atLeastOrBackport(version, CONSUL_NATIVE_SIDECAR_MIN_VERSION, CONSUL_NATIVE_SIDECAR_BACKPORTS);
}

/** Throws for a consul-k8s release without the proxy lifecycle, which refuses every quit. */
function checkLifecycle(version: Version): void {
  const [newest, ...backports] = [...CONSUL_LIFECYCLE_FROM].reverse();
  if (!atLeastOrBackport(version, newest, backports)) {
    throw new Error(
      `consul-k8s version ${version.text} has no proxy lifecycle (/graceful_shutdown came in ${CONSUL_LIFECYCLE_FROM.join(', ')}): ` +
      'every quit would be refused and the dataplane would never stop: upgrade consul-k8s, or use SidecarInjection.DISABLED',
    );
  }
}

/** Consul's contract for the given options. @internal */
export function consulContract(options: ConsulOptions): MeshContract {
  const injection = options.injection ?? SidecarInjection.POD;
  const inject = injectionSwitch(injection, CONSUL_INJECT_ANNOTATION, 'true', 'false');
  const version = options.version === undefined ? undefined : parseVersion(options.version, 'consul-k8s version');
  const gracefulPort = options.gracefulPort ?? CONSUL_GRACEFUL_PORT;
  checkPort(gracefulPort, 'consul gracefulPort', 'use the lifecycle port of the consul-k8s install (connectInject.sidecarProxy.lifecycle.defaultGracefulPort, 20600 by default)');
  const path = options.gracefulShutdownPath ?? CONSUL_GRACEFUL_SHUTDOWN_PATH;
  if (!PATH.test(path)) {
    throw new Error(`consul gracefulShutdownPath ${JSON.stringify(path)} is not a URL path: start it with "/" and use no spaces, quotes or "$"`);
  }
  if (injection === SidecarInjection.DISABLED) {
    return { name: 'consul', version, podLabels: {}, podAnnotations: inject, injectedContainers: CONSUL_INJECTED_CONTAINERS };
  }
  if (version) checkLifecycle(version);
  const grace = { [CONSUL_SHUTDOWN_GRACE_ANNOTATION]: String((options.shutdownGracePeriod ?? Duration.seconds(0)).toSeconds()) };
  const moved: Record<string, string> = {
    ...(gracefulPort === CONSUL_GRACEFUL_PORT ? {} : { [CONSUL_GRACEFUL_PORT_ANNOTATION]: String(gracefulPort) }),
    ...(path === CONSUL_GRACEFUL_SHUTDOWN_PATH ? {} : { [CONSUL_GRACEFUL_PATH_ANNOTATION]: path }),
  };
  // consul-k8s binds both servers to 127.0.0.1 (-envoy-admin-bind-address, -graceful-addr), or
  // to ::1 when dual-stack (consul_dataplane_sidecar.go).
  const host = options.dualStack ? '[::1]' : '127.0.0.1';
  return {
    name: 'consul',
    injectedContainers: CONSUL_INJECTED_CONTAINERS,
    injectionSwitch: CONSUL.injectionSwitch!(version),
    version,
    native: {
      minVersion: CONSUL_NATIVE_SIDECAR_MIN_VERSION,
      backports: CONSUL_NATIVE_SIDECAR_BACKPORTS,
      podLabels: {},
      // The shutdown grace period applies to a native dataplane too: without 0, every Job ends 30 s late.
      podAnnotations: { ...inject, [CONSUL_NATIVE_SIDECAR_ANNOTATION]: 'true', ...grace },
    },
    podLabels: {},
    podAnnotations: { ...inject, [CONSUL_LIFECYCLE_ANNOTATION]: 'true', ...grace, ...moved },
    // A cluster-wide default may inject the dataplane natively: a wrapped pod asks for the classic
    // one where the version may read the switch (older releases ignore the annotation).
    wrapPodAnnotations: readsNativeSwitch(version) ? { [CONSUL_NATIVE_SIDECAR_ANNOTATION]: 'false' } : {},
    proxy: {
      readinessUrl: loopbackUrl(CONSUL_ENVOY_ADMIN_PORT, '/ready', host),
      quit: [{ method: HttpMethod.POST, url: loopbackUrl(gracefulPort, path, host) }],
      injectionMarker: CONSUL.injectionMarker,
      portAnnotations: [{ port: gracefulPort, annotation: CONSUL_GRACEFUL_PORT_ANNOTATION }],
      pathAnnotations: [{ path, annotation: CONSUL_GRACEFUL_PATH_ANNOTATION }],
    },
    registrationService: options.registrationService === false ? undefined : { port: CONSUL_SERVICE_PORT },
  };
}

// consul-k8s endpoints_controller.go, connect-init/command.go; consul-k8s issues #722, #1899.
const CONSUL_SERVICE_FIX = 'consul-k8s registers a pod only through a Service that selects it: add a Service for the ' +
  "Job's pods (and, with ACLs, a ServiceAccount of the same name)";

/** Consul service mesh on Kubernetes. @internal */
export const CONSUL: MeshDescriptor = {
  name: 'consul',
  factory: 'Mesh.consul()',
  injectedContainers: CONSUL_INJECTED_CONTAINERS,
  requestMarkers: [CONSUL_INJECT_ANNOTATION, CONSUL_LIFECYCLE_ANNOTATION],
  // consul-k8s reads the switch with Go's strconv.ParseBool (connect-inject/webhook): its false values.
  injectionSwitch: () => ({ key: CONSUL_INJECT_ANNOTATION, in: ['annotation'], offValues: ['0', 'f', 'F', 'false', 'FALSE', 'False'] }),
  injectionMarker: { file: 'annotations', key: CONSUL_INJECT_STATUS, value: 'injected' },
  parseVersion: (text) => parseVersion(text, 'consul-k8s version'),
  versionForms: '1.9.0 (the consul-k8s Helm chart version)',
  diagnosis: {
    injectionFix: `annotate the pod ${CONSUL_INJECT_ANNOTATION}="true" (MeshJob: Mesh.consul()) and check that the connect injector watches the namespace`,
    initFixes: { iptables: CONSUL_SERVICE_FIX, validation: CONSUL_SERVICE_FIX },
    // The image is hashicorp/consul-dataplane, versioned apart from consul-k8s.
    versionOf: 'consul-dataplane',
    quitFixes: {
      'no-answer': 'with consul-k8s global.dualStack.enabled consul-dataplane listens on ::1, not 127.0.0.1: use Mesh.consul({ dualStack: true }), ' +
        'or lifecycle: SidecarLifecycle.native() on consul-k8s >= 1.9 (or 1.8.2, 1.7.5, 1.6.9)',
    },
  },
  cli: {
    flags: [
      { flag: '--consul-graceful-port', key: 'consulGracefulPort', kind: 'number', value: 'PORT', help: "consul-dataplane's lifecycle port (default 20600)" },
      { flag: '--consul-graceful-path', key: 'consulGracefulPath', kind: 'string', value: 'PATH', help: "consul-dataplane's shutdown path (default /graceful_shutdown)" },
    ],
    contract: ({ version, flags }) => consulContract({
      version, gracefulPort: flags.consulGracefulPort as number | undefined, gracefulShutdownPath: flags.consulGracefulPath as string | undefined,
    }),
  },
  docs: [{
    factory: '`Mesh.consul()`',
    podGets: '`connect-inject`, `enable-sidecar-proxy-lifecycle`, shutdown grace period `0`; wrapped: `enable-consul-dataplane-as-sidecar: "false"`; a headless Service selecting the pods',
    waitsFor: 'Envoy\'s `GET 127.0.0.1:19000/ready` (`[::1]` with `dualStack`)',
    stopsWith: '`POST 127.0.0.1:20600/graceful_shutdown` (`gracefulPort` and `gracefulShutdownPath`, or the pod\'s lifecycle annotations)',
  }],
};
