import { MeshLifecycleOptions } from '../lifecycle/options';
import { ContainerInput, LIFECYCLE_ANNOTATION, missingCommandOf, planPod, PodPlan } from '../lifecycle/pod-plan';
import { LifecycleMode, SidecarLifecycle } from '../lifecycle/sidecar-lifecycle';
import { injectionOptOut } from '../meshes/mesh-contract';
import { escapeKubeletExpansion } from '../runtime/kubelet';
import { MountPlan } from '../runtime/wrapper-runtime';
import { parseKubernetesVersion } from '../versions';

// The lifecycle applied to a Job or CronJob that MeshJob did not create (YAML from a Helm chart,
// an Include, a post-renderer's stdin): the same plan as MeshJob's (src/lifecycle/pod-plan.ts),
// written into the manifest's JSON instead of through cdk8s-plus.

/** Annotation (on the Job, the CronJob or the pod template) that leaves an object alone. */
export const SKIP_ANNOTATION = 'meshjob/skip';

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

/** "Job ns/name" (or "Job name"). @internal */
export function describeManifest(obj: any): string {
  const ns = obj?.metadata?.namespace;
  const name = obj?.metadata?.name ?? '(unnamed)';
  return `${obj?.kind ?? 'object'} ${ns ? `${ns}/` : ''}${name}`;
}

function jobSpecOf(obj: any): any {
  return obj.kind === 'CronJob' ? obj.spec?.jobTemplate?.spec : obj.spec;
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
  if (meta.annotations?.[LIFECYCLE_ANNOTATION] !== undefined) {
    return { subject, outcome: 'already-applied', mode: meta.annotations[LIFECYCLE_ANNOTATION], warnings: [] };
  }
  const optOut = injectionOptOut(what.mesh._contract, meta.labels ?? {}, meta.annotations ?? {});
  if (optOut) return { subject, outcome: 'opted-out', warnings: [], problem: `pod ${optOut} opts out of the mesh` };

  const sidecarNames = what.sidecarContainers ?? [];
  const containers: any[] = pod.containers;
  if (containers.every((c) => sidecarNames.includes(c.name))) {
    throw new Error(`${subject}: every container is named as a sidecar (${sidecarNames.join(', ')}): leave at least one main container out of the sidecars`);
  }
  const input = (c: any) => containerInput(c, what.entrypoints ?? {});
  const noCommand = new Set(containers.filter((c) => c.command == null).map((c) => c.name));
  let plan: PodPlan;
  try {
    plan = planPod({
      subject,
      mesh: what.mesh._contract,
      lifecycle: what.lifecycle ?? SidecarLifecycle.auto(),
      kubernetesVersion: what.kubernetesVersion === undefined ? undefined : parseKubernetesVersion(what.kubernetesVersion, subject),
      containers: containers.filter((c) => !sidecarNames.includes(c.name)).map(input),
      sidecars: containers.filter((c) => sidecarNames.includes(c.name)).map(input),
      initContainers: (pod.initContainers ?? []).map(input),
      volumeNames: (pod.volumes ?? []).map((v: any) => v.name),
      // Charts MeshJob does not own often say OnFailure; wrapping makes it Never.
      restartPolicy: pod.restartPolicy,
      onFailureMayBecomeNever: true,
      podLabels: meta.labels,
      podAnnotations: meta.annotations,
      // A chart's own podFailurePolicy is kept as it is.
      defaultPodFailureRules: what.defaultPodFailureRules !== false && spec.podFailurePolicy == null,
      activeDeadline: spec.activeDeadlineSeconds != null,
      serviceAccountName: pod.serviceAccountName,
    });
  } catch (e) {
    const container = missingCommandOf(e);
    if (container === undefined || what.strict) throw e;
    return {
      subject,
      outcome: 'left-unchanged',
      warnings: [],
      problem: `container '${container}' has no command, and wrapping needs the image's entrypoint: ` +
        'give it with --entrypoint IMAGE=PATH[,ARG...] (or `entrypoints` in the config file), use native sidecars ' +
        '(--kubernetes-version and --mesh-version where both support them), or set the container\'s command in the chart',
    };
  }
  writePlan(spec, plan);
  // With `command` set, the kubelet no longer adds the image's CMD: an entrypoint given for a
  // container without args must hold the default arguments too.
  const cmdLost = plan.containers.filter((c) => c.wrap && noCommand.has(c.name)).map((c) => containers.find((x) => x.name === c.name))
    .filter((c) => c.args == null)
    .map((c) => `container '${c.name}' runs the entrypoint given for its image with no args: the image's CMD is not added once command is ` +
      'set, so the entrypoint given must include its default arguments (ENTRYPOINT and CMD)');
  // One object in, one out: the Service the mesh needs is the chart's to provide.
  const service = plan.service && [
    `mesh '${what.mesh.name}' registers a pod only through a Service that selects it: make sure the chart has a headless ` +
    `Service selecting this ${obj.kind}'s pods${plan.service.name ? ` named ${plan.service.name} (as its ServiceAccount)` : ''}, or the pod fails to start`,
  ];
  return { subject, outcome: 'applied', mode: plan.mode, reason: plan.reason, warnings: [...plan.warnings, ...cmdLost, ...(service ?? [])] };
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

const isStrings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isMaps = (v: unknown) => Array.isArray(v) && v.every((x) => !!x && typeof x === 'object' && !Array.isArray(x));

/** Throws unless the pod has the shape Kubernetes accepts where MeshJob reads and writes it. */
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
    command: c.command ?? entrypointOf(c.image, entrypoints)?.map(escapeKubeletExpansion),
    args: c.args ?? undefined,
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

/** Writes the plan's fields into the Job spec: one line per field, nothing decided here. */
function writePlan(spec: any, plan: PodPlan): void {
  const template = spec.template;
  const meta = (template.metadata ??= {});
  if (Object.keys(plan.labels).length > 0) meta.labels = { ...meta.labels, ...plan.labels };
  if (Object.keys(plan.annotations).length > 0) meta.annotations = { ...meta.annotations, ...plan.annotations };
  const pod = template.spec;
  const mount = (m: MountPlan) => ({ name: m.name, mountPath: m.mountPath, ...(m.readOnly ? { readOnly: true } : {}) });
  if (plan.restartPolicy) pod.restartPolicy = plan.restartPolicy;
  if (plan.shareProcessNamespace) pod.shareProcessNamespace = true;
  if (plan.volumes.length > 0) {
    pod.volumes = [...(pod.volumes ?? []), ...plan.volumes.map((v) => ({ name: v.name, emptyDir: { sizeLimit: `${v.sizeLimitMebibytes}Mi` } }))];
  }
  const byName = (name: string) => pod.containers.find((c: any) => c.name === name);
  for (const planned of plan.containers) {
    if (!planned.wrap) continue;
    const c = byName(planned.name);
    c.command = planned.wrap.command;
    c.volumeMounts = [...(c.volumeMounts ?? []), ...planned.wrap.mounts.map(mount)];
  }
  const natives = plan.nativeSidecars.map((n) => ({
    ...byName(n.name),
    restartPolicy: 'Always',
    ...(n.startupProbe ? {
      startupProbe: { httpGet: { port: n.startupProbe.port, path: n.startupProbe.path }, periodSeconds: 1, failureThreshold: 300 },
    } : {}),
  }));
  pod.containers = pod.containers.filter((c: any) => !plan.nativeSidecars.some((n) => n.name === c.name));
  const init = plan.initContainer;
  const initContainer = init && {
    name: init.name,
    image: init.image,
    imagePullPolicy: 'IfNotPresent',
    command: init.command,
    resources: {
      requests: { cpu: `${init.resources.cpuRequestMillis}m`, memory: `${init.resources.memoryRequestMebibytes}Mi` },
      limits: { cpu: `${init.resources.cpuLimitMillis}m`, memory: `${init.resources.memoryLimitMebibytes}Mi` },
    },
    securityContext: init.securityContext,
    volumeMounts: init.mounts.map(mount),
  };
  if (initContainer || natives.length > 0) {
    pod.initContainers = [...(initContainer ? [initContainer] : []), ...natives, ...(pod.initContainers ?? [])];
  }
  if (plan.podFailureRules && spec.podFailurePolicy == null) spec.podFailurePolicy = { rules: plan.podFailureRules };
}
