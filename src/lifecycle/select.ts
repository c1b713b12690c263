import { LifecycleInput, LifecycleMode } from './sidecar-lifecycle';
import { MeshContract, NativeContract } from '../meshes/mesh-contract';
import { atLeast, atLeastOrBackport, K8S_NATIVE_SIDECARS_ALPHA, K8S_NATIVE_SIDECARS_BETA, Version } from '../versions';

/** The lifecycle a pod gets, and why. @internal */
export interface LifecycleChoice {
  readonly mode: LifecycleMode;
  /** One sentence saying why this mode. */
  readonly reason: string;
  /** Things that may not work as rendered; they do not stop synthesis. */
  readonly warnings: string[];
}

/** What the choice depends on. @internal */
export interface LifecycleQuestion {
  readonly subject: string;
  readonly mesh: MeshContract;
  readonly lifecycle: LifecycleInput;
  readonly kubernetesVersion?: Version;
  /** The pod declares its own sidecars. */
  readonly hasSidecars: boolean;
}

/**
 * Picks the lifecycle: the one asked for, checked against the declared versions, or for
 * `SidecarLifecycle.auto()` native where Kubernetes and the mesh support it per pod and wrap
 * otherwise. The one place the version rules live; the README table is rendered from it.
 * @internal
 */
export function chooseLifecycle(q: LifecycleQuestion): LifecycleChoice {
  const k8s = q.kubernetesVersion;
  const asked = q.lifecycle.mode;
  if (!q.mesh.proxy && !q.hasSidecars && q.lifecycle.wrap.extraQuitRequests.length === 0) {
    return { mode: LifecycleMode.NONE, reason: `mesh '${q.mesh.name}' puts no proxy to stop in the pod`, warnings: [] };
  }
  if (asked === LifecycleMode.WRAP) return { mode: LifecycleMode.WRAP, reason: 'wrapping was asked for', warnings: [] };
  if (asked === LifecycleMode.NONE && q.hasSidecars) {
    throw new Error(`${q.subject}: the job's own sidecars need SidecarLifecycle.wrap() or SidecarLifecycle.native(): with none, nothing would stop them and the Job would never complete`);
  }
  if (asked === LifecycleMode.NONE) return { mode: LifecycleMode.NONE, reason: 'no lifecycle was asked for', warnings: [] };
  if (asked === LifecycleMode.NATIVE) return checkNative(q, k8s);
  return autoChoice(q, k8s);
}

function autoChoice(q: LifecycleQuestion, k8s: Version | undefined): LifecycleChoice {
  const { mesh } = q;
  const wrap = (reason: string): LifecycleChoice => ({ mode: LifecycleMode.WRAP, reason, warnings: [] });
  if (q.lifecycle.wrap.extraQuitRequests.length > 0) {
    return wrap('extra quit requests are sent by the wrapper');
  }
  if (k8s === undefined) return wrap('the Kubernetes version is unknown, and wrapping works on every version');
  if (!atLeast(k8s, K8S_NATIVE_SIDECARS_BETA)) {
    return wrap(`Kubernetes ${k8s.text} has no native sidecars on by default (they are from ${K8S_NATIVE_SIDECARS_BETA})`);
  }
  if (mesh.proxy) {
    const native = mesh.native;
    if (!native || native.minVersion === undefined) {
      return wrap(`mesh '${mesh.name}' has no per-pod native sidecar mode`);
    }
    if (mesh.version === undefined) {
      return wrap(`the ${mesh.name} version is unknown, and wrapping works on every version`);
    }
    if (!hasPerPodNative(native, mesh.version)) {
      return wrap(`${mesh.name} ${mesh.version.text} has no per-pod native sidecar mode (it has from ${nativeVersions(native)})`);
    }
    if (native.kubernetesFrom !== undefined && !atLeast(k8s, native.kubernetesFrom)) {
      return wrap(`${mesh.name} itself turns native sidecars on only from Kubernetes ${native.kubernetesFrom}, and Kubernetes is ${k8s.text}`);
    }
    return {
      mode: LifecycleMode.NATIVE,
      reason: `Kubernetes ${k8s.text} and ${mesh.name} ${mesh.version.text} support native sidecars per pod`,
      warnings: [],
    };
  }
  return {
    mode: LifecycleMode.NATIVE,
    reason: `Kubernetes ${k8s.text} supports native sidecars for the job's own sidecars`,
    warnings: mesh.native?.clusterWide ? [mesh.native.clusterWide] : [],
  };
}

function checkNative(q: LifecycleQuestion, k8s: Version | undefined): LifecycleChoice {
  const { mesh, subject } = q;
  const warnings: string[] = [];
  if (k8s === undefined) {
    warnings.push(`kubernetesVersion is not declared: native sidecars need Kubernetes >= ${K8S_NATIVE_SIDECARS_BETA}`);
  } else if (!atLeast(k8s, K8S_NATIVE_SIDECARS_ALPHA)) {
    throw new Error(
      `${subject}: native sidecars need Kubernetes >= ${K8S_NATIVE_SIDECARS_BETA} (${K8S_NATIVE_SIDECARS_ALPHA} with the ` +
      `SidecarContainers feature gate), but kubernetesVersion is ${k8s.text}: use SidecarLifecycle.wrap() or SidecarLifecycle.auto()`,
    );
  } else if (!atLeast(k8s, K8S_NATIVE_SIDECARS_BETA)) {
    warnings.push(`native sidecars are alpha in Kubernetes ${k8s.text}: they work only where the SidecarContainers feature gate is on`);
  }
  if (q.lifecycle.wrap.extraQuitRequests.length > 0) {
    throw new Error(`${subject}: extra quit requests are sent by the wrapper, which native mode does not use: declare those sidecars in \`sidecars\` or use SidecarLifecycle.wrap()`);
  }
  if (mesh.proxy) {
    const native = mesh.native;
    if (!native) {
      throw new Error(
        `${subject}: mesh '${mesh.name}' has no native sidecar mode: use SidecarLifecycle.wrap(), or declare the ` +
        'proxy yourself in `sidecars` with Mesh.none()',
      );
    }
    if (native.minVersion !== undefined) {
      if (mesh.version === undefined) {
        warnings.push(`the ${mesh.name} version is not declared: per-pod native sidecars need ${mesh.name} >= ${native.minVersion}`);
      } else if (!hasPerPodNative(native, mesh.version)) {
        throw new Error(
          `${subject}: ${mesh.name} ${mesh.version.text} has no per-pod native sidecar mode; it needs ${mesh.name} >= ` +
          `${nativeVersions(native)}: upgrade the mesh, or use SidecarLifecycle.wrap()`,
        );
      }
    }
    if (native.kubernetesFrom !== undefined && k8s !== undefined && atLeast(k8s, K8S_NATIVE_SIDECARS_BETA) && !atLeast(k8s, native.kubernetesFrom)) {
      warnings.push(
        `${mesh.name} turns native sidecars on by itself only from Kubernetes ${native.kubernetesFrom} and avoids ` +
        `Kubernetes ${k8s.text} on purpose: SidecarLifecycle.wrap() (or auto(), which wraps here) is the tested route`,
      );
    }
  }
  if (mesh.native?.clusterWide) warnings.push(mesh.native.clusterWide);
  return { mode: LifecycleMode.NATIVE, reason: 'native sidecars were asked for', warnings };
}

/** True when the mesh version has the per-pod native switch: from minVersion, or a backport's patch on its line. */
function hasPerPodNative(native: NativeContract, version: Version): boolean {
  return native.minVersion !== undefined && atLeastOrBackport(version, native.minVersion, native.backports);
}

/** "1.9 (or 1.8.2, 1.7.5 on earlier lines)", for messages. */
function nativeVersions(native: NativeContract): string {
  const backports = native.backports ?? [];
  return backports.length === 0 ? `${native.minVersion}` : `${native.minVersion} (or ${backports.join(', ')} on earlier lines)`;
}
