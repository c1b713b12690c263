import { jobSpecOf, writePlan } from './write-plan';
import { MeshLifecycleOptions } from '../lifecycle/options';
import { ContainerInput, LIFECYCLE_ANNOTATION, planPod, Unwrappable } from '../lifecycle/pod-plan';
import { LifecycleMode, SidecarLifecycle } from '../lifecycle/sidecar-lifecycle';
import { injectionOptOut } from '../meshes/mesh-contract';
import { escapeKubeletExpansion } from '../runtime/kubelet';
import { parseKubernetesVersion } from '../versions';

// The lifecycle applied to a Job or CronJob that MeshJob did not create (YAML from a Helm chart,
// an Include, a post-renderer's stdin): the same plan as MeshJob's (src/lifecycle/pod-plan.ts),
// written by the same writer (write-plan.ts).

/** Annotation (on the Job, the CronJob or the pod template) that leaves an object alone. */
export const SKIP_ANNOTATION = 'meshjob/skip';

/**
 * The words a fix is given in, by the way the user applies MeshJob: the command line's flags
 * (and the keys of its config file and KRM config), or `MeshJobs.applyTo`'s options in a cdk8s app. @internal
 */
export interface ManifestRoute {
  /** How to give an image's entrypoint, e.g. `--entrypoint IMAGE=<PATH>`. */
  readonly entrypoint: (image: string) => string;
  /** How to declare the versions that allow native sidecars. */
  readonly versions: string;
  /** Where the Job comes from, for "set the container's command in ...". */
  readonly source: string;
}

/** The command line's words (its flags; the config file and KRM config have the same keys). @internal */
export const CLI_ROUTE: ManifestRoute = {
  entrypoint: (image) => `--entrypoint ${image}=<PATH>[,ARG...] (or entrypoints in the config file)`,
  versions: '--kubernetes-version and --mesh-version',
  source: 'the chart',
};

/** MeshJobs.applyTo's words (its options in a cdk8s app). @internal */
export const APPLY_TO_ROUTE: ManifestRoute = {
  entrypoint: (image) => `entrypoints: { '${image}': ['<PATH>', ...] }`,
  versions: 'kubernetesVersion and the mesh\'s version',
  source: 'its definition',
};

/** What to apply: the shared options, and what only third-party manifests need. @internal */
export interface ManifestLifecycle extends MeshLifecycleOptions {
  /**
   * The entrypoint (argv) of each image, by image reference: used as the `command` of a container
   * that has none when wrapping needs one. Matched on the whole reference, then without its
   * digest, then without its tag.
   */
  readonly entrypoints?: Record<string, string[]>;
  /** Names of the manifest's own sidecar containers: stopped when the main containers end, not waited for. */
  readonly sidecarContainers?: string[];
  /** Throw instead of leaving alone a Job that cannot be wrapped. */
  readonly strict?: boolean;
  /** The words of fixes; the command line's by default. */
  readonly route?: ManifestRoute;
}

/** What happened to one object. @internal */
export interface ManifestResult {
  /** "Job ns/name" for messages. */
  readonly subject: string;
  readonly outcome: 'applied' | 'already-applied' | 'skipped' | 'opted-out' | 'left-unchanged' | 'not-a-job';
  readonly mode?: LifecycleMode;
  readonly reason?: string;
  readonly warnings: string[];
  /** Why the object was left unchanged, and the fixes (outcome 'left-unchanged'); or the opt-out found ('opted-out'). */
  readonly problem?: string;
}

const JOB_KINDS = ['Job', 'CronJob'];

/** True for a batch/v1 Job or CronJob. @internal */
export function isJobManifest(obj: any): boolean {
  return !!obj && typeof obj === 'object' && obj.apiVersion === 'batch/v1' && JOB_KINDS.includes(obj.kind);
}

/**
 * True for an object kubectl reads as a list: any object with an `items` key, whatever its kind
 * (k8s.io/apimachinery pkg/apis/meta/v1/unstructured/unstructured.go, `unstructuredJSONScheme.decode`).
 * @internal
 */
export function isKubectlList(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, 'items');
}

/** The objects kubectl applies from a document's value: a list's items, or the value itself. @internal */
export function kubectlObjects(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  if (isKubectlList(value)) return Array.isArray((value as any).items) ? (value as any).items : [];
  return [value];
}

/** "Job ns/name" (or "Job name"). @internal */
export function describeManifest(obj: any): string {
  const ns = obj?.metadata?.namespace;
  const name = obj?.metadata?.name ?? '(unnamed)';
  return `${obj?.kind ?? 'object'} ${ns ? `${ns}/` : ''}${name}`;
}

/**
 * Applies the lifecycle to a Job or CronJob manifest in place. Leaves alone objects marked with
 * SKIP_ANNOTATION, objects that already carry LIFECYCLE_ANNOTATION (applying twice equals
 * applying once), pods that opt out of the mesh's injection, and (unless `strict`) Jobs whose
 * containers cannot be wrapped. Throws, naming the object, when the manifest is malformed or the
 * lifecycle cannot work for it. @internal
 */
export function applyToManifest(obj: any, what: ManifestLifecycle): ManifestResult {
  const subject = describeManifest(obj);
  if (!isJobManifest(obj)) return { subject, outcome: 'not-a-job', warnings: [] };
  const spec = jobSpecOf(obj);
  const template = spec?.template;
  const pod = template?.spec;
  checkPodShape(subject, obj.kind, pod);
  const meta = template.metadata ?? {};
  if (isTrue(obj.metadata?.annotations?.[SKIP_ANNOTATION]) || isTrue(meta.annotations?.[SKIP_ANNOTATION])) {
    return { subject, outcome: 'skipped', warnings: [] };
  }
  if (meta.annotations?.[LIFECYCLE_ANNOTATION] != null) {
    return { subject, outcome: 'already-applied', mode: meta.annotations[LIFECYCLE_ANNOTATION], warnings: [] };
  }
  const contract = what.mesh._contract;
  const optOut = injectionOptOut(contract.injectionSwitch, meta.labels ?? {}, meta.annotations ?? {});
  if (optOut) return { subject, outcome: 'opted-out', warnings: [], problem: `pod ${optOut} opts out of the mesh` };

  const route = what.route ?? CLI_ROUTE;
  const sidecarNames = what.sidecarContainers ?? [];
  const containers: any[] = pod.containers;
  if (containers.every((c) => sidecarNames.includes(c.name))) {
    throw new Error(`${subject}: every container is named as a sidecar (${sidecarNames.join(', ')}): leave at least one main container out of the sidecars`);
  }
  const input = (c: any) => containerInput(c, what.entrypoints ?? {});
  const outcome = planPod({
    subject,
    mesh: contract,
    lifecycle: (what.lifecycle ?? SidecarLifecycle.auto())._toInput(),
    kubernetesVersion: what.kubernetesVersion === undefined ? undefined : parseKubernetesVersion(what.kubernetesVersion, subject),
    containers: containers.filter((c) => !sidecarNames.includes(c.name)).map(input),
    sidecars: containers.filter((c) => sidecarNames.includes(c.name)).map(input),
    initContainers: (pod.initContainers ?? []).map(input),
    volumeNames: (pod.volumes ?? []).map((v: any) => v.name),
    restartPolicy: pod.restartPolicy ?? undefined,
    // A chart's Job: OnFailure becomes Never when wrapping needs it, and its injection switch is its own.
    chartJob: true,
    podLabels: meta.labels ?? undefined,
    podAnnotations: meta.annotations ?? undefined,
    // A chart's own podFailurePolicy is kept as it is.
    defaultPodFailureRules: what.defaultPodFailureRules !== false && spec.podFailurePolicy == null,
    activeDeadline: spec.activeDeadlineSeconds != null,
    serviceAccountName: pod.serviceAccountName ?? undefined,
  });
  if (outcome.unwrappable) {
    const problem = unwrappableProblem(outcome.unwrappable, route);
    if (what.strict) throw new Error(`${subject} cannot be wrapped: ${problem}`);
    return { subject, outcome: 'left-unchanged', warnings: [], problem };
  }
  const plan = outcome.plan;
  // With `command` set, the kubelet no longer adds the image's CMD: an entrypoint given for a
  // container without args must hold the default arguments too.
  const noCommand = new Set(containers.filter((c) => c.command == null).map((c) => c.name));
  writePlan(spec, plan);
  const cmdLost = plan.containers.filter((c) => c.wrap && noCommand.has(c.name)).map((c) => containers.find((x) => x.name === c.name))
    .filter((c) => c.args == null)
    .map((c) => `container '${c.name}' runs the entrypoint given for its image with no args: the image's CMD is not added once command is ` +
      'set, so the entrypoint given must include its default arguments (ENTRYPOINT and CMD)');
  // One object in, one out: the Service the mesh needs is for the chart (or the app) to provide.
  const service = plan.service && [
    `mesh '${what.mesh.name}' registers a pod only through a Service that selects it: make sure ${route.source} has a headless ` +
    `Service selecting this ${obj.kind}'s pods${plan.service.name ? ` named ${plan.service.name} (as its ServiceAccount)` : ''}, or the pod fails to start`,
  ];
  return { subject, outcome: 'applied', mode: plan.mode, reason: plan.reason, warnings: [...plan.warnings, ...cmdLost, ...(service ?? [])] };
}

/** Why a Job cannot be wrapped, and the fixes, in the route's words. */
function unwrappableProblem(u: Unwrappable, route: ManifestRoute): string {
  const image = typeof u.image === 'string' ? imageRepository(u.image) : 'IMAGE';
  return `container '${u.container}'${u.image ? ` (image ${u.image})` : ''} has no command, and wrapping needs the image's entrypoint: ` +
    `give it with ${route.entrypoint(image)}, use native sidecars (${route.versions} where both support them), ` +
    `or set the container's command in ${route.source}`;
}

/** An image reference without its tag and digest: the key an entrypoint given for it matches most widely. */
function imageRepository(image: string): string {
  return image.split('@')[0].replace(/:[^:/]+$/, '');
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

const isStrings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isMaps = (v: unknown) => Array.isArray(v) && v.every((x) => !!x && typeof x === 'object' && !Array.isArray(x));

/** Throws unless the pod has the shape Kubernetes accepts where MeshJob reads and writes it; null reads as absent. */
function checkPodShape(subject: string, kind: string, pod: any): void {
  const bad = (what: string) => new Error(`${subject}: ${what}: it is not a valid ${kind}`);
  if (!pod || typeof pod !== 'object' || !isMaps(pod.containers) || pod.containers.length === 0) {
    throw bad('it has no pod template with containers');
  }
  for (const field of ['initContainers', 'volumes']) {
    if (pod[field] != null && !isMaps(pod[field])) throw bad(`spec.template.spec.${field} is not a list of maps`);
  }
  for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
    if (typeof c.name !== 'string') throw bad(`container name ${JSON.stringify(c.name)} is not a string`);
    for (const field of ['command', 'args']) {
      if (c[field] != null && !isStrings(c[field])) throw bad(`container '${c.name}' ${field} ${JSON.stringify(c[field])} is not a list of strings`);
    }
    for (const field of ['env', 'volumeMounts']) {
      if (c[field] != null && !isMaps(c[field])) throw bad(`container '${c.name}' ${field} is not a list of maps`);
    }
  }
}

/** A manifest container as the plan sees it; the image's entrypoint stands in for a missing command. */
function containerInput(c: any, entrypoints: Record<string, string[]>): ContainerInput {
  // An image's entrypoint was never subject to the kubelet's $(VAR) expansion: in `command` it is
  // escaped so that it reaches the program as the image would run it.
  return {
    name: c.name,
    image: typeof c.image === 'string' ? c.image : undefined,
    command: c.command ?? entrypointOf(c.image, entrypoints)?.map(escapeKubeletExpansion),
    envNames: (c.env ?? []).map((e: any) => e.name),
    mountPaths: (c.volumeMounts ?? []).map((m: any) => m.mountPath),
    terminationMessagePath: typeof c.terminationMessagePath === 'string' ? c.terminationMessagePath : undefined,
  };
}

/** The entrypoint given for an image: by its whole reference, then without digest, then without tag. */
export function entrypointOf(image: unknown, entrypoints: Record<string, string[]>): string[] | undefined {
  if (typeof image !== 'string') return undefined;
  const noDigest = image.split('@')[0];
  const noTag = noDigest.replace(/:[^:/]+$/, '');
  for (const key of [image, noDigest, noTag]) {
    if (Object.prototype.hasOwnProperty.call(entrypoints, key)) return entrypoints[key];
  }
  return undefined;
}
