import { ApiObject, Cron, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PodFailureRule, podFailurePolicyRules } from '../lifecycle/pod-failure-policy';
import { planPod, PodPlan } from '../lifecycle/pod-plan';
import { LifecycleMode, SidecarLifecycle } from '../lifecycle/sidecar-lifecycle';
import { QuitRequest } from '../meshes/endpoint';
import { Mesh } from '../meshes/mesh';

/**
 * A sidecar the job declares itself (a log shipper, a Cloud SQL Auth Proxy, a plain Envoy):
 * it must end when the main containers end.
 */
export interface SidecarContainerProps extends kplus.ContainerProps {
  /**
   * Stop it with this HTTP request on the pod's loopback address, sent by the last main container
   * (before the mesh proxy is stopped), e.g. `{ url: 'http://localhost:9091/quitquitquit' }` for a
   * Cloud SQL Auth Proxy started with `--quitquitquit`.
   *
   * @default - its command is wrapped: once every main container has ended it gets SIGTERM (and
   * SIGKILL after `sidecarStopTimeout`), and it exits 0 so that it never fails the Job; it then
   * needs `command`
   */
  readonly quitRequest?: QuitRequest;

  /**
   * A loopback URL that answers GET with 2xx once the sidecar is ready: the main containers wait
   * for it (after the mesh proxy) before they start, e.g. `http://localhost:9090/startup`.
   *
   * @default - the main containers do not wait for this sidecar
   */
  readonly readinessUrl?: string;
}

/**
 * Properties for `MeshJob`: every cdk8s-plus `JobProps` option, the CronJob options (used when
 * `schedule` is set), and the mesh settings.
 */
export interface MeshJobProps extends kplus.JobProps {
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
   * The job's own sidecars, rendered after `containers`: each ends when the main containers end.
   * A wrapped sidecar (no `quitRequest`) always exits 0; one stopped by its `quitRequest` exits
   * with its own code, so it should exit 0 when asked to quit (Cloud SQL Auth Proxy does).
   *
   * @default - none
   */
  readonly sidecars?: SidecarContainerProps[];

  /**
   * The Kubernetes version of the cluster, e.g. "1.30": `SidecarLifecycle.auto()` chooses native
   * sidecars only when it is known to be at least 1.29, and explicit native mode is checked
   * against it.
   *
   * @default - unknown: the lifecycle that works on every version (wrapping) is chosen
   */
  readonly kubernetesVersion?: string;

  /**
   * Rules of the Job's `podFailurePolicy`, checked before the default rules. Exit-code rules are
   * scoped to a container: without `containerName`, one rule per main container.
   *
   * @default - only the default rules (see `defaultPodFailureRules`)
   */
  readonly podFailurePolicy?: PodFailureRule[];

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

  /**
   * Run on this schedule: MeshJob renders a CronJob instead of a Job.
   *
   * @default - a Job that runs once
   */
  readonly schedule?: Cron;

  /**
   * Time zone of `schedule` (CronJob only).
   *
   * @default - the time zone of kube-controller-manager
   */
  readonly timeZone?: string;

  /**
   * What to do when a run is due while the previous one still runs (CronJob only).
   *
   * @default kplus.ConcurrencyPolicy.FORBID
   */
  readonly concurrencyPolicy?: kplus.ConcurrencyPolicy;

  /**
   * How late a missed run may still start (CronJob only). At least 10 seconds.
   *
   * @default Duration.seconds(10)
   */
  readonly startingDeadline?: Duration;

  /**
   * Suspend future runs (CronJob only).
   *
   * @default false
   */
  readonly suspend?: boolean;

  /**
   * How many successful Jobs to keep (CronJob only).
   *
   * @default 3
   */
  readonly successfulJobsRetained?: number;

  /**
   * How many failed Jobs to keep (CronJob only).
   *
   * @default 1
   */
  readonly failedJobsRetained?: number;
}

/** The name cdk8s-plus gives a container that has none (cdk8s-plus-28 container.ts). */
const DEFAULT_CONTAINER_NAME = 'main';

const CRON_ONLY: Array<keyof MeshJobProps> = [
  'timeZone', 'concurrencyPolicy', 'startingDeadline', 'suspend', 'successfulJobsRetained', 'failedJobsRetained',
];

/**
 * A Kubernetes Job, or a CronJob when `schedule` is set, whose pod completes inside a service mesh.
 *
 * The containers' commands are wrapped so that each waits for the mesh proxy to be ready, runs,
 * and the last one to finish stops the proxy; the pod then ends with the command's exit code. The
 * mesh's labels and annotations are set on the pod template.
 *
 * @example
 * new MeshJob(chart, 'nightly', {
 *   mesh: Mesh.istio(),
 *   containers: [{ image: 'registry.example.com/report:1.4', command: ['/report'], args: ['--since', '24h'] }],
 *   schedule: Cron.daily(),
 * });
 */
export class MeshJob extends Construct {
  /**
   * The cdk8s-plus workload: a `Job`, or a `CronJob` when `schedule` is set.
   */
  public readonly workload: kplus.Workload;

  /**
   * The cdk8s-plus Job, when no `schedule` is set.
   */
  public readonly job?: kplus.Job;

  /**
   * The cdk8s-plus CronJob, when `schedule` is set.
   */
  public readonly cronJob?: kplus.CronJob;

  /**
   * The Job or CronJob API object, for JSON patches.
   */
  public readonly apiObject: ApiObject;

  /**
   * The mesh the pod runs in.
   */
  public readonly mesh: Mesh;

  /**
   * The lifecycle rendered: what `SidecarLifecycle.auto()` chose, or what was asked for.
   */
  public readonly lifecycleMode: LifecycleMode;

  /**
   * Why that lifecycle, in one sentence.
   */
  public readonly lifecycleReason: string;

  /**
   * What may not work as rendered (also printed on stderr at synth time).
   */
  public readonly warnings: string[];

  /**
   * @param scope the chart or construct to define the Job in
   * @param id the construct id, also the base of the rendered object's name
   * @param props the workload, its containers and the mesh
   */
  constructor(scope: Construct, id: string, props: MeshJobProps) {
    super(scope, id);
    const subject = `meshjob '${this.node.path}'`;
    this.mesh = props.mesh;
    if (!props.schedule) {
      const stray = CRON_ONLY.filter((k) => props[k] !== undefined);
      if (stray.length > 0) {
        throw new Error(`${subject}: ${stray.join(', ')} only apply to a CronJob: set \`schedule\`, or remove ${stray.join(', ')}`);
      }
    }

    const containers = props.containers ?? [];
    const sidecars = props.sidecars ?? [];
    const plan = planPod({
      subject,
      mesh: props.mesh._contract,
      lifecycle: props.lifecycle ?? SidecarLifecycle.auto(),
      kubernetesVersion: props.kubernetesVersion,
      containers: containers.map(containerInput),
      sidecars: sidecars.map((c) => ({
        ...containerInput(c),
        quitRequest: c.quitRequest,
        readyUrl: c.readinessUrl,
      })),
      initContainerNames: (props.initContainers ?? []).map((c, i) => c.name ?? `init-${i + 1}`),
      volumeNames: (props.volumes ?? []).map((v) => v.name),
      restartPolicy: props.restartPolicy,
      podLabels: props.podMetadata?.labels,
      podAnnotations: props.podMetadata?.annotations,
    });

    const volume = plan.volume && kplus.Volume.fromEmptyDir(this, 'SharedDir', plan.volume.name, {
      sizeLimit: Size.mebibytes(plan.volume.sizeLimitMebibytes),
    });
    this.lifecycleMode = plan.choice.mode;
    this.lifecycleReason = plan.choice.reason;
    this.warnings = [];
    this.node.addMetadata('meshjob:lifecycle', `${plan.choice.mode}: ${plan.choice.reason}`);
    this.warn(plan.choice.warnings);

    const wrapped = new Map([...plan.containers, ...plan.sidecars].map((c) => [c.name, c]));
    const native = new Set(plan.nativeSidecars.map((c) => c.name));
    const plainSidecars = sidecars.map(({ quitRequest, readinessUrl, ...c }) => c);
    const restartPolicy = (plan.restartPolicy as kplus.RestartPolicy | undefined) ?? props.restartPolicy;
    // restartPolicy only when set: an explicit undefined (even the user's own `restartPolicy:
    // undefined`) would override cdk8s-plus Job's default, Never, and render Always.
    const { restartPolicy: _userRestartPolicy, ...jobProps } = props;
    const workloadProps: kplus.JobProps = {
      ...jobProps,
      ...(restartPolicy ? { restartPolicy } : {}),
      containers: [...containers, ...plainSidecars.filter((c) => !native.has(c.name ?? DEFAULT_CONTAINER_NAME))].map((c) => {
        const w = wrapped.get(c.name ?? DEFAULT_CONTAINER_NAME);
        if (!w || !volume) return c;
        return {
          ...c,
          name: w.name,
          command: w.command,
          args: w.args,
          envVariables: {
            ...c.envVariables,
            ...Object.fromEntries(w.env.map((e) => [e.name, kplus.EnvValue.fromValue(e.value)])),
          },
          volumeMounts: [...(c.volumeMounts ?? []), { volume, path: w.volumeMount.mountPath }],
        };
      }),
      initContainers: [
        ...initContainers(plan, volume),
        ...plainSidecars.filter((c) => native.has(c.name ?? DEFAULT_CONTAINER_NAME))
          .map((c) => ({ ...c, restartPolicy: kplus.ContainerRestartPolicy.ALWAYS })),
        ...(props.initContainers ?? []),
      ],
      volumes: [...(props.volumes ?? []), ...(volume ? [volume] : [])],
    };

    if (props.schedule) {
      this.cronJob = new kplus.CronJob(this, 'Resource', { ...workloadProps, schedule: props.schedule });
      this.workload = this.cronJob;
    } else {
      this.job = new kplus.Job(this, 'Resource', workloadProps);
      this.workload = this.job;
    }
    this.apiObject = ApiObject.of(this.workload);

    for (const [key, value] of Object.entries(plan.labels)) this.workload.podMetadata.addLabel(key, value);
    for (const [key, value] of Object.entries(plan.annotations)) this.workload.podMetadata.addAnnotation(key, value);
    // What cdk8s-plus cannot express goes in as JSON patches on the pod spec.
    const podSpec = props.schedule ? '/spec/jobTemplate/spec/template/spec' : '/spec/template/spec';
    if (plan.shareProcessNamespace) {
      this.apiObject.addJsonPatch(JsonPatch.add(`${podSpec}/shareProcessNamespace`, true));
    }
    if (plan.initContainer) {
      // seccompProfile and `drop: [ALL]`: the init container's whole securityContext comes from
      // the plan. It is always the first init container.
      this.apiObject.addJsonPatch(JsonPatch.add(`${podSpec}/initContainers/0/securityContext`, plan.initContainer.securityContext));
    }
    // cdk8s-plus refuses startup probes on init containers, native sidecars included. Native
    // sidecars come first among the init containers, in the plan's order. Patches pass through
    // the typed 1.28 structs, which keep a port only as IntOrString.
    plan.nativeSidecars.forEach((c, i) => {
      if (c.startupProbe) {
        this.apiObject.addJsonPatch(JsonPatch.add(`${podSpec}/initContainers/${i}/startupProbe`, {
          httpGet: { port: kplus.k8s.IntOrString.fromNumber(c.startupProbe.port), path: c.startupProbe.path },
          periodSeconds: 1,
          failureThreshold: 300,
        }));
      }
    });
    this.addPodFailurePolicy(props, plan, restartPolicy);
  }

  /** Records warnings: in `warnings`, in the construct's metadata, and on stderr at synth time. */
  private warn(warnings: string[]): void {
    for (const warning of warnings) {
      this.warnings.push(warning);
      this.node.addMetadata('meshjob:warning', warning);
      console.warn(`[meshjob] meshjob '${this.node.path}': ${warning}`);
    }
  }

  private addPodFailurePolicy(props: MeshJobProps, plan: PodPlan, restartPolicy: kplus.RestartPolicy | undefined): void {
    // Names as cdk8s-plus rendered them (it names unnamed init containers by their position).
    const workload = this.workload;
    const { rules, warnings } = podFailurePolicyRules({
      subject: `meshjob '${this.node.path}'`,
      user: props.podFailurePolicy ?? [],
      mainContainers: (props.containers ?? []).map((c) => c.name ?? DEFAULT_CONTAINER_NAME),
      allContainers: [...workload.containers, ...workload.initContainers].map((c) => c.name),
      proxyNotReadyContainers: plan.proxyNotReadyContainers,
      defaults: props.defaultPodFailureRules ?? true,
      restartPolicy,
      kubernetesVersion: props.kubernetesVersion,
    });
    this.warn(warnings);
    if (rules.length === 0) return;
    const spec = props.schedule ? '/spec/jobTemplate/spec' : '/spec';
    this.apiObject.addJsonPatch(JsonPatch.add(`${spec}/podFailurePolicy`, { rules }));
  }
}

function containerInput(c: kplus.ContainerProps) {
  return {
    name: c.name ?? DEFAULT_CONTAINER_NAME,
    command: c.command,
    args: c.args,
    envNames: Object.keys(c.envVariables ?? {}),
    mountPaths: (c.volumeMounts ?? []).map((m) => m.path),
  };
}

function initContainers(plan: PodPlan, volume: kplus.Volume | undefined): kplus.ContainerProps[] {
  const init = plan.initContainer;
  if (!init || !volume) return [];
  const r = init.resources;
  return [{
    name: init.name,
    image: init.image,
    command: init.command,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    volumeMounts: [{ volume, path: init.mountPath }],
    resources: {
      cpu: { request: kplus.Cpu.millis(r.cpuRequestMillis), limit: kplus.Cpu.millis(r.cpuLimitMillis) },
      memory: { request: Size.mebibytes(r.memoryRequestMebibytes), limit: Size.mebibytes(r.memoryLimitMebibytes) },
    },
  }];
}
