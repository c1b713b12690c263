import { Duration } from 'cdk8s';
import { SidecarLifecycle } from '../lifecycle/sidecar-lifecycle';
import { ManifestLifecycle } from '../manifests/apply';
import { Mesh } from '../meshes/mesh';
import { WrapperRuntime } from '../runtime/wrapper-runtime';

// The command line's options, from flags or a config file (JSON or YAML, same names in camelCase).

/** Options as read, before they become a mesh and a lifecycle. */
export interface CliOptions {
  mesh?: string;
  meshVersion?: string;
  kubernetesVersion?: string;
  lifecycle?: string;
  busyboxImage?: string;
  readyTimeoutSeconds?: number;
  envoyAdminPort?: number;
  defaultPodFailureRules?: boolean;
}

/** Flag name → option, with how to read its value. */
export const FLAGS: Record<string, { key: keyof CliOptions; kind: 'string' | 'number' | 'boolean' }> = {
  '--mesh': { key: 'mesh', kind: 'string' },
  '--mesh-version': { key: 'meshVersion', kind: 'string' },
  '--kubernetes-version': { key: 'kubernetesVersion', kind: 'string' },
  '--lifecycle': { key: 'lifecycle', kind: 'string' },
  '--busybox-image': { key: 'busyboxImage', kind: 'string' },
  '--ready-timeout-seconds': { key: 'readyTimeoutSeconds', kind: 'number' },
  '--envoy-admin-port': { key: 'envoyAdminPort', kind: 'number' },
  '--default-pod-failure-rules': { key: 'defaultPodFailureRules', kind: 'boolean' },
};

export const MESHES = ['istio', 'istio-ambient', 'linkerd', 'consul', 'kuma', 'envoy', 'none'];
export const LIFECYCLES = ['auto', 'wrap', 'native', 'none'];

/** Checks a config file's keys and value types; returns the problems found. */
export function checkConfig(config: Record<string, unknown>, source: string): string[] {
  const known = new Map(Object.values(FLAGS).map((f) => [f.key as string, f.kind]));
  return Object.entries(config).flatMap(([key, value]) => {
    const kind = known.get(key);
    if (!kind) return [`${source}: unknown option "${key}" (known: ${[...known.keys()].join(', ')})`];
    return typeof value === kind ? [] : [`${source}: option "${key}" must be a ${kind}, not ${JSON.stringify(value)}`];
  });
}

/** The mesh and lifecycle the options describe; throws with a one-line message when they are wrong. */
export function toManifestLifecycle(o: CliOptions): ManifestLifecycle {
  if (!o.mesh) throw new Error(`--mesh is required: one of ${MESHES.join(', ')}`);
  const version = o.meshVersion;
  const meshes: Record<string, () => Mesh> = {
    'istio': () => Mesh.istio({ version }),
    'istio-ambient': () => Mesh.istioAmbient(),
    'linkerd': () => Mesh.linkerd({ version }),
    'consul': () => Mesh.consul({ version }),
    'kuma': () => Mesh.kuma({ version }),
    'envoy': () => {
      if (o.envoyAdminPort === undefined) throw new Error('--mesh envoy needs --envoy-admin-port');
      return Mesh.envoy({ adminPort: o.envoyAdminPort });
    },
    'none': () => Mesh.none(),
  };
  const mesh = meshes[o.mesh];
  if (!mesh) throw new Error(`unknown mesh "${o.mesh}": use one of ${MESHES.join(', ')}`);
  const wrap = {
    runtime: o.busyboxImage === undefined ? undefined : WrapperRuntime.busybox({ image: o.busyboxImage }),
    readyTimeout: o.readyTimeoutSeconds === undefined ? undefined : Duration.seconds(o.readyTimeoutSeconds),
  };
  const lifecycles: Record<string, () => SidecarLifecycle> = {
    auto: () => SidecarLifecycle.auto(wrap),
    wrap: () => SidecarLifecycle.wrap(wrap),
    native: () => SidecarLifecycle.native(),
    none: () => SidecarLifecycle.none(),
  };
  const lifecycle = lifecycles[o.lifecycle ?? 'auto'];
  if (!lifecycle) throw new Error(`unknown lifecycle "${o.lifecycle}": use one of ${LIFECYCLES.join(', ')}`);
  return {
    mesh: mesh(),
    lifecycle: lifecycle(),
    kubernetesVersion: o.kubernetesVersion,
    defaultPodFailureRules: o.defaultPodFailureRules,
  };
}
