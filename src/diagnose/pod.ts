// The parts of core/v1 Pod and batch/v1 Job that `meshjob diagnose` reads, with the field names
// of kubernetes/api core/v1/types.go (PodStatus, ContainerStatus, ContainerState*) and
// batch/v1/types.go. Every field is optional: the API omits empty ones (`omitempty`).

/** A container's state (ContainerState): at most one member is set. */
export interface ContainerState {
  readonly waiting?: { readonly reason?: string; readonly message?: string };
  readonly running?: { readonly startedAt?: string };
  readonly terminated?: TerminatedState;
}

/** ContainerStateTerminated. */
export interface TerminatedState {
  readonly exitCode?: number;
  readonly signal?: number;
  readonly reason?: string;
  readonly message?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
}

/** ContainerStatus. */
export interface ContainerStatus {
  readonly name: string;
  readonly state?: ContainerState;
  readonly lastState?: ContainerState;
  readonly ready?: boolean;
  readonly started?: boolean;
  readonly restartCount?: number;
  readonly image?: string;
}

/** Container (the spec side). */
export interface ContainerSpec {
  readonly name: string;
  readonly image?: string;
  readonly command?: string[];
  readonly args?: string[];
  readonly env?: Array<{ readonly name: string; readonly value?: string }>;
  /** `Always` on an init container makes it a native sidecar (KEP-753). */
  readonly restartPolicy?: string;
}

export interface OwnerReference {
  readonly kind?: string;
  readonly name?: string;
  readonly controller?: boolean;
}

export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly ownerReferences?: OwnerReference[];
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string;
}

/** A core/v1 Pod as `kubectl get pods -o json` prints it. */
export interface Pod {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: ObjectMeta;
  readonly spec?: {
    readonly containers?: ContainerSpec[];
    readonly initContainers?: ContainerSpec[];
    readonly restartPolicy?: string;
  };
  readonly status?: {
    readonly phase?: string;
    readonly startTime?: string;
    readonly initContainerStatuses?: ContainerStatus[];
    readonly containerStatuses?: ContainerStatus[];
  };
}

/** A batch/v1 Job, read only for the CronJob that owns it. */
export interface Job {
  readonly kind?: string;
  readonly metadata: ObjectMeta;
}

/** The labels the Job controller puts on its pods (batch/v1 types.go: JobNameLabel, LegacyJobNameLabel). */
export const JOB_NAME_LABELS = ['batch.kubernetes.io/job-name', 'job-name'];

/** The name of the Job that owns a pod: its controller owner reference, else the job-name label. */
export function jobNameOf(pod: Pod): string | undefined {
  const owner = (pod.metadata.ownerReferences ?? []).find((o) => o.kind === 'Job' && o.name);
  if (owner) return owner.name;
  const labels = pod.metadata.labels ?? {};
  return JOB_NAME_LABELS.map((l) => labels[l]).find((v) => v !== undefined && v !== '');
}

/**
 * The CronJob a Job belongs to: its owner reference when the Job is known, else the name the
 * CronJob controller gives its Jobs, `<cronjob>-<scheduled time in minutes since the epoch>`
 * (kubernetes pkg/controller/cronjob/utils.go, getJobName).
 */
export function cronJobNameOf(jobName: string, job: Job | undefined): string | undefined {
  if (job) return (job.metadata.ownerReferences ?? []).find((o) => o.kind === 'CronJob')?.name;
  return /^(.+)-\d{8,}$/.exec(jobName)?.[1];
}

/** A container with its spec and status, as diagnose looks at it. */
export interface ContainerView {
  readonly spec: ContainerSpec;
  readonly status?: ContainerStatus;
  /** An init container with `restartPolicy: Always`. */
  readonly native: boolean;
  /** A plain init container (runs to completion before the others). */
  readonly init: boolean;
}

/** Every container of the pod with its status: init containers first, in spec order. */
export function containersOf(pod: Pod): ContainerView[] {
  const byName = (list: ContainerStatus[] | undefined) => new Map((list ?? []).map((s) => [s.name, s]));
  const initStatus = byName(pod.status?.initContainerStatuses);
  const status = byName(pod.status?.containerStatuses);
  return [
    ...(pod.spec?.initContainers ?? []).map((spec) => {
      const native = spec.restartPolicy === 'Always';
      return { spec, status: initStatus.get(spec.name), native, init: !native };
    }),
    ...(pod.spec?.containers ?? []).map((spec) => ({ spec, status: status.get(spec.name), native: false, init: false })),
  ];
}

/** The terminations a container status records: the current one, then the previous one. */
export function terminationsOf(status: ContainerStatus | undefined): TerminatedState[] {
  return [status?.state?.terminated, status?.lastState?.terminated].filter((t): t is TerminatedState => t !== undefined);
}

/** The value of a literal env variable of a container. */
export function envValue(spec: ContainerSpec, name: string): string | undefined {
  return (spec.env ?? []).find((e) => e.name === name)?.value;
}

/** `<namespace>/<name>` for messages. */
export function podRef(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}
