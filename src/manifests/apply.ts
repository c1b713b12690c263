import { podFailurePolicyRules } from '../lifecycle/pod-failure-policy';
import { ContainerInput, LIFECYCLE_ANNOTATION, planPod, PodPlan } from '../lifecycle/pod-plan';
import { LifecycleMode, SidecarLifecycle } from '../lifecycle/sidecar-lifecycle';
import { Mesh } from '../meshes/mesh';

// The lifecycle applied to a Job or CronJob that MeshJob did not create (YAML from a Helm chart,
// an Include, a post-renderer's stdin): the same plan as MeshJob's (src/lifecycle/pod-plan.ts),
// rendered into the manifest's JSON instead of through cdk8s-plus.

/** Annotation (on the Job, the CronJob or the pod template) that leaves an object alone. */
export const SKIP_ANNOTATION = 'meshjob/skip';

/** What to apply. @internal */
export interface ManifestLifecycle {
  readonly mesh: Mesh;
  readonly lifecycle?: SidecarLifecycle;
  readonly kubernetesVersion?: string;
  /** Add the default podFailurePolicy rules where the Job has none. Default true. */
  readonly defaultPodFailureRules?: boolean;
}

/** What happened to one object. @internal */
export interface ManifestResult {
  /** "Job ns/name" for messages. */
  readonly subject: string;
  readonly outcome: 'applied' | 'already-applied' | 'skipped' | 'not-a-job';
  readonly mode?: LifecycleMode;
  readonly reason?: string;
  readonly warnings: string[];
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

function templateOf(obj: any): any {
  return jobSpecOf(obj)?.template;
}

/**
 * Applies the lifecycle to a Job or CronJob manifest in place. Leaves alone objects marked with
 * SKIP_ANNOTATION and objects that already carry LIFECYCLE_ANNOTATION (applying twice equals
 * applying once). Throws, naming the object, when the lifecycle cannot work for it. @internal
 */
export function applyToManifest(obj: any, what: ManifestLifecycle): ManifestResult {
  const subject = describeManifest(obj);
  if (!isJobManifest(obj)) return { subject, outcome: 'not-a-job', warnings: [] };
  const template = templateOf(obj);
  const pod = template?.spec;
  const listOrAbsent = (v: unknown) => v === undefined || Array.isArray(v);
  if (!pod || !Array.isArray(pod.containers) || !listOrAbsent(pod.initContainers) || !listOrAbsent(pod.volumes)
    || !(pod.volumes ?? []).every((v: any) => v && typeof v === 'object')) {
    throw new Error(`${subject} has no pod template with containers: it is not a valid ${obj.kind}`);
  }
  const meta = template.metadata ?? {};
  if (isTrue(obj.metadata?.annotations?.[SKIP_ANNOTATION]) || isTrue(meta.annotations?.[SKIP_ANNOTATION])) {
    return { subject, outcome: 'skipped', warnings: [] };
  }
  if (meta.annotations?.[LIFECYCLE_ANNOTATION] !== undefined) {
    return { subject, outcome: 'already-applied', mode: meta.annotations[LIFECYCLE_ANNOTATION], warnings: [] };
  }

  const plan = planPod({
    subject,
    mesh: what.mesh._contract,
    lifecycle: what.lifecycle ?? SidecarLifecycle.auto(),
    kubernetesVersion: what.kubernetesVersion,
    containers: pod.containers.map((c: any) => containerInput(c, subject)),
    initContainerNames: (pod.initContainers ?? []).map((c: any) => containerInput(c, subject).name),
    volumeNames: (pod.volumes ?? []).map((v: any) => v.name),
    // Charts MeshJob does not own often say OnFailure; wrapping needs Never (see below).
    restartPolicy: pod.restartPolicy === 'OnFailure' ? undefined : pod.restartPolicy,
    podLabels: meta.labels,
    podAnnotations: meta.annotations,
  });
  const warnings = [...plan.choice.warnings];
  if (pod.restartPolicy === 'OnFailure' && plan.restartPolicy === 'Never') {
    warnings.push(
      'restartPolicy OnFailure became Never: a wrapped container restarted in the same pod would wait for a proxy ' +
      'already stopped; failed runs are retried in new pods, up to backoffLimit',
    );
  }
  renderPlan(obj, plan, what);
  return { subject, outcome: 'applied', mode: plan.choice.mode, reason: plan.choice.reason, warnings };
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

const isStrings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** A container of a manifest, checked to be what Kubernetes accepts where MeshJob reads it. */
function containerInput(c: any, subject: string): ContainerInput {
  const bad = (what: string) => new Error(`${subject}: ${what}: it is not a valid container`);
  if (!c || typeof c !== 'object' || Array.isArray(c)) throw bad(`container ${JSON.stringify(c)} is not a map`);
  if (typeof c.name !== 'string') throw bad(`container name ${JSON.stringify(c.name)} is not a string`);
  for (const field of ['command', 'args']) {
    if (c[field] !== undefined && !isStrings(c[field])) throw bad(`container '${c.name}' ${field} ${JSON.stringify(c[field])} is not a list of strings`);
  }
  for (const field of ['env', 'volumeMounts']) {
    const list = c[field];
    if (list !== undefined && (!Array.isArray(list) || !list.every((x: unknown) => x && typeof x === 'object'))) {
      throw bad(`container '${c.name}' ${field} is not a list of maps`);
    }
  }
  return {
    name: c.name,
    command: c.command,
    args: c.args,
    envNames: (c.env ?? []).map((e: any) => e.name),
    mountPaths: (c.volumeMounts ?? []).map((m: any) => m.mountPath),
  };
}

function renderPlan(obj: any, plan: PodPlan, what: ManifestLifecycle): void {
  const template = templateOf(obj);
  template.metadata = template.metadata ?? {};
  const meta = template.metadata;
  if (Object.keys(plan.labels).length > 0) meta.labels = { ...meta.labels, ...plan.labels };
  if (Object.keys(plan.annotations).length > 0) meta.annotations = { ...meta.annotations, ...plan.annotations };
  const pod = template.spec;
  if (plan.restartPolicy) pod.restartPolicy = plan.restartPolicy;
  if (plan.shareProcessNamespace) pod.shareProcessNamespace = true;
  if (plan.volume) {
    pod.volumes = [...(pod.volumes ?? []), { name: plan.volume.name, emptyDir: { sizeLimit: `${plan.volume.sizeLimitMebibytes}Mi` } }];
  }
  const init = plan.initContainer;
  if (init) {
    const r = init.resources;
    pod.initContainers = [{
      name: init.name,
      image: init.image,
      imagePullPolicy: 'IfNotPresent',
      command: init.command,
      resources: {
        requests: { cpu: `${r.cpuRequestMillis}m`, memory: `${r.memoryRequestMebibytes}Mi` },
        limits: { cpu: `${r.cpuLimitMillis}m`, memory: `${r.memoryLimitMebibytes}Mi` },
      },
      securityContext: init.securityContext,
      volumeMounts: [{ name: init.volumeName, mountPath: init.mountPath }],
    }, ...(pod.initContainers ?? [])];
  }
  for (const change of plan.containers) {
    const c = pod.containers.find((x: any) => x.name === change.name);
    c.command = change.command; // the original command follows the wrapper's argv
    if (change.args !== undefined) c.args = change.args;
    c.env = [...(c.env ?? []), ...change.env];
    c.volumeMounts = [...(c.volumeMounts ?? []), change.volumeMount];
  }
  addDefaultPodFailureRules(obj, plan, what);
}

/** Adds the default podFailurePolicy where the Job has none (and the cluster and pod allow it). */
function addDefaultPodFailureRules(obj: any, plan: PodPlan, what: ManifestLifecycle): void {
  const spec = jobSpecOf(obj);
  if (what.defaultPodFailureRules === false || spec.podFailurePolicy !== undefined) return;
  const pod = templateOf(obj).spec;
  const containers = pod.containers.map((c: any) => c.name);
  const { rules } = podFailurePolicyRules({
    subject: describeManifest(obj),
    user: [],
    mainContainers: containers,
    allContainers: [...containers, ...(pod.initContainers ?? []).map((c: any) => c.name)],
    proxyNotReadyContainers: plan.proxyNotReadyContainers,
    defaults: true,
    restartPolicy: pod.restartPolicy,
    kubernetesVersion: what.kubernetesVersion,
  });
  if (rules.length > 0) spec.podFailurePolicy = { rules };
}
