import { ApiObject, Chart, Cron, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checkCronSchedule, checkTimeZone } from './schedule';
import { MeshLifecycleOptions } from '../lifecycle/options';
import { PodFailureRule } from '../lifecycle/pod-failure-policy';
import { ContainerInput, LIFECYCLE_METADATA, planPod, PodPlan } from '../lifecycle/pod-plan';
import { LifecycleMode, SidecarLifecycle } from '../lifecycle/sidecar-lifecycle';
import { editAtSynth } from '../manifests/at-synth';
import { jobSpecOf, writePlan } from '../manifests/write-plan';
import { QuitRequest } from '../meshes/endpoint';
import { Mesh } from '../meshes/mesh';
import { parseKubernetesVersion } from '../versions';

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
 * Properties for `MeshJob`: every cdk8s-plus `JobProps` option, the mesh lifecycle options, the
 * job's own sidecars, and the CronJob options (used when `schedule` is set).
 */
export interface MeshJobProps extends kplus.JobProps, MeshLifecycleOptions {
  /**
   * The job's own sidecars, rendered after `containers`: each ends when the main containers end.
   * A wrapped sidecar (no `quitRequest`) always exits 0; one stopped by its `quitRequest` exits
   * with its own code, so it should exit 0 when asked to quit (Cloud SQL Auth Proxy does).
   *
   * @default - none
   */
  readonly sidecars?: SidecarContainerProps[];

  /**
   * Rules of the Job's `podFailurePolicy`, checked before the default rules. Exit-code rules are
   * scoped to a container: without `containerName`, one rule per main container.
   *
   * @default - only the default rules (see `defaultPodFailureRules`)
   */
  readonly podFailurePolicy?: PodFailureRule[];

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

const CRON_ONLY: Array<keyof MeshJobProps> = [
  'timeZone', 'concurrencyPolicy', 'startingDeadline', 'suspend', 'successfulJobsRetained', 'failedJobsRetained',
];

/**
 * A Kubernetes Job, or a CronJob when `schedule` is set, whose pod completes inside a service mesh.
 *
 * The containers' commands are wrapped so that each waits for the mesh proxy to be ready, runs,
 * and the last one to finish stops the proxy; the pod then ends with the command's exit code. Or,
 * where the declared versions allow, the proxy and the job's sidecars run as Kubernetes native
 * sidecars. The mesh's labels and annotations are set on the pod template.
 *
 * @example
 * import { App, Chart, Cron } from 'cdk8s';
 * import { Mesh, MeshJob } from 'meshjob';
 *
 * const chart = new Chart(new App(), 'reports');
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
    checkWorkloadProps(subject, props);

    const outcome = planPod({
      subject,
      mesh: props.mesh._contract,
      lifecycle: (props.lifecycle ?? SidecarLifecycle.auto())._toInput(),
      kubernetesVersion: props.kubernetesVersion === undefined ? undefined : parseKubernetesVersion(props.kubernetesVersion, subject),
      containers: (props.containers ?? []).map(containerInput),
      sidecars: (props.sidecars ?? []).map((c) => ({ ...containerInput(c), quitRequest: c.quitRequest, readinessUrl: c.readinessUrl })),
      initContainers: props.initContainers ?? [],
      volumeNames: (props.volumes ?? []).map((v) => v.name),
      restartPolicy: props.restartPolicy,
      podLabels: props.podMetadata?.labels,
      podAnnotations: props.podMetadata?.annotations,
      podFailurePolicy: (props.podFailurePolicy ?? []).map((r) => r._spec),
      defaultPodFailureRules: props.defaultPodFailureRules,
      activeDeadline: props.activeDeadline !== undefined,
      serviceAccountName: props.serviceAccount?.name,
    });
    if (outcome.unwrappable) {
      throw new Error(
        `${subject} wraps container '${outcome.unwrappable.container}' but it has no command: the image's entrypoint is not ` +
        'visible at synth time. Set `command` to the image\'s entrypoint (and `args` to its arguments), or use SidecarLifecycle.native()',
      );
    }
    const plan = outcome.plan;
    this.lifecycleMode = plan.mode;
    this.lifecycleReason = plan.reason;
    this.warnings = [];
    this.node.addMetadata(LIFECYCLE_METADATA, `${plan.mode}: ${plan.reason}`);
    plan.warnings.forEach((w) => this.warn(w));

    this.workload = this.renderWorkload(props, plan);
    this.job = this.workload instanceof kplus.Job ? this.workload : undefined;
    this.cronJob = this.workload instanceof kplus.CronJob ? this.workload : undefined;
    this.apiObject = ApiObject.of(this.workload);
    // The plan is written into the Job's JSON at synth, after cdk8s-plus rendered it and after
    // the user's JSON patches, by the writer the manifest path uses too.
    editAtSynth(this.apiObject, (json) => writePlan(jobSpecOf(json), plan));
    if (plan.service) this.renderService(plan.service);
    this.node.addValidation({ validate: () => this.unplannedContainers(plan) });
  }

  /**
   * The cdk8s-plus workload with the user's own containers (the job's sidecars among them, by
   * their plan names), init containers and volumes: what the plan adds comes at synth.
   */
  private renderWorkload(props: MeshJobProps, plan: PodPlan): kplus.Workload {
    const sidecar = (index: number): kplus.ContainerProps => {
      const { quitRequest, readinessUrl, ...container } = props.sidecars![index];
      return container;
    };
    // restartPolicy only when set: an explicit undefined (even the user's own `restartPolicy:
    // undefined`) would override cdk8s-plus Job's default, Never, and render Always.
    const { restartPolicy, schedule, ...jobProps } = props;
    const workloadProps: kplus.JobProps = {
      ...jobProps,
      ...(restartPolicy ? { restartPolicy } : {}),
      containers: [
        ...(props.containers ?? []).map((c, i) => ({ ...c, name: plan.containers.find((p) => p.from === 'containers' && p.index === i)!.name })),
        ...(props.sidecars ?? []).map((_, i) => ({ ...sidecar(i), name: sidecarName(plan, i) })),
      ],
      initContainers: (props.initContainers ?? []).map((c, i) => ({ ...c, name: plan.initContainerNames[i] })),
    };
    return schedule
      ? new kplus.CronJob(this, 'Resource', { ...workloadProps, schedule })
      : new kplus.Job(this, 'Resource', workloadProps);
  }

  /** The headless Service the mesh registers the pod through, selecting the workload's pods. */
  private renderService(service: { name?: string; port: number }): void {
    const rendered = new kplus.Service(this, 'Service', {
      metadata: service.name === undefined ? undefined : { name: service.name },
      clusterIP: 'None',
      selector: this.workload,
      ports: [{ port: service.port }],
    });
    // Two Services of one name (two Jobs sharing a ServiceAccount) would leave one Job's pods
    // unregistered: `kubectl apply` keeps the last.
    this.node.addValidation({
      validate: () => Chart.of(this).node.findAll()
        .filter((c): c is ApiObject => ApiObject.isApiObject(c) && c.kind === 'Service' && c !== ApiObject.of(rendered) && c.name === rendered.name)
        .map((other) => `meshjob '${this.node.path}': the registration Service ${rendered.name} has the name of ${other.node.path}'s, ` +
          'so one of the two Jobs\' pods would not be registered: give the Jobs their own ServiceAccounts, or set registrationService: false on one and select both Jobs\' pods with a Service of your own'),
    });
  }

  /** Containers the workload has that the plan did not see (added through `job.addContainer()`). */
  private unplannedContainers(plan: PodPlan): string[] {
    const planned = new Set([...plan.containers, ...plan.nativeSidecars].map((c) => c.name));
    return this.workload.containers.filter((c) => !planned.has(c.name)).map((c) =>
      `meshjob '${this.node.path}': container '${c.name}' was added after construction, so MeshJob did not plan it ` +
      `and the ${plan.mode} lifecycle does not cover it (the proxy may stop while it runs, or it may never end): ` +
      'pass it in `containers` (or `sidecars`) instead',
    );
  }

  /** Records a warning: in `warnings`, in the construct's metadata, and on stderr at synth time. */
  private warn(warning: string): void {
    this.warnings.push(warning);
    this.node.addMetadata('meshjob:warning', warning);
    console.warn(`[meshjob] meshjob '${this.node.path}': ${warning}`);
  }
}

/** Input checks of the workload's own props: CronJob-only options and the schedule. */
function checkWorkloadProps(subject: string, props: MeshJobProps): void {
  if (!props.schedule) {
    const stray = CRON_ONLY.filter((k) => props[k] !== undefined);
    if (stray.length > 0) {
      throw new Error(`${subject}: ${stray.join(', ')} only apply to a CronJob: set \`schedule\`, or remove ${stray.join(', ')}`);
    }
    return;
  }
  checkCronSchedule(subject, props.schedule.expressionString);
  if (props.timeZone !== undefined) checkTimeZone(subject, props.timeZone);
}

function containerInput(c: kplus.ContainerProps): ContainerInput {
  return {
    name: c.name,
    image: c.image,
    command: c.command,
    envNames: Object.keys(c.envVariables ?? {}),
    mountPaths: (c.volumeMounts ?? []).map((m) => m.path),
  };
}

/** The final name of the job's sidecar at `index`: a regular container's, or a native sidecar's. */
function sidecarName(plan: PodPlan, index: number): string {
  return (plan.containers.find((p) => p.from === 'sidecars' && p.index === index) ?? plan.nativeSidecars.find((n) => n.index === index))!.name;
}
