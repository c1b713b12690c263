import { SidecarLifecycle } from './sidecar-lifecycle';
import { Mesh } from '../meshes/mesh';

/**
 * How a Job's pod lives beside its mesh: the options every way of applying MeshJob shares
 * (`MeshJobProps`, `MeshJobs.applyTo()`, and the `meshjob` command's flags of the same names).
 */
export interface MeshLifecycleOptions {
  /**
   * The service mesh the pod runs in, e.g. `Mesh.istio()`.
   */
  readonly mesh: Mesh;

  /**
   * How the containers live beside the mesh proxy.
   *
   * @default SidecarLifecycle.auto() - native sidecars where the declared versions support them, else wrapped commands
   */
  readonly lifecycle?: SidecarLifecycle;

  /**
   * The Kubernetes version of the cluster: "1.30", "1.30.2" or "v1.30.2" (1.21 or later).
   * `SidecarLifecycle.auto()` chooses native sidecars only when it is known to be at least 1.29,
   * explicit native mode is checked against it, and podFailurePolicy is rendered from 1.26.
   *
   * @default - unknown: the lifecycle that works on every version (wrapping) is chosen
   */
  readonly kubernetesVersion?: string;

  /**
   * Add the default `podFailurePolicy` rules, which retry on a fresh pod without spending
   * `backoffLimit`: a wrapped container exiting `WrapperExitCode.PROXY_NOT_READY`, and a pod
   * disrupted (DisruptionTarget: eviction, preemption, node drain). Such retries never end by
   * themselves: bound them with `activeDeadline`. Not rendered for Kubernetes before 1.26 or with
   * `restartPolicy: OnFailure`.
   *
   * @default true
   */
  readonly defaultPodFailureRules?: boolean;
}
