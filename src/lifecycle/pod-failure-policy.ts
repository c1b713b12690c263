import { WrapperExitCode } from '../runtime/exit-codes';
import { atLeast, K8S_POD_FAILURE_POLICY_BETA, Version } from '../versions';

/**
 * What the Job controller does when a pod failure matches a rule (batch/v1 PodFailurePolicyRule).
 */
export enum PodFailurePolicyAction {
  /** Fail the whole Job at once, without more retries. */
  FAIL_JOB = 'FailJob',
  /** Do not count the failure against `backoffLimit`: a fresh pod is started. */
  IGNORE = 'Ignore',
  /** Count the failure against `backoffLimit`, as without a rule. */
  COUNT = 'Count',
  /** Fail the pod's index (Indexed Jobs with backoffLimitPerIndex only). */
  FAIL_INDEX = 'FailIndex',
}

/**
 * Options for `PodFailureRule.onExitCodes()`.
 */
export interface ExitCodeRuleOptions {
  /**
   * The exit codes that match (1-255; 0 is never a failure).
   */
  readonly exitCodes: number[];

  /**
   * The container whose exit code is checked.
   *
   * @default - one rule per main container, so a sidecar's or init container's code never matches
   */
  readonly containerName?: string;

  /**
   * Match every exit code except `exitCodes` (operator NotIn).
   *
   * @default false - match the listed codes (operator In)
   */
  readonly notIn?: boolean;
}

/** A rule as the Job controller reads it, before container scoping. @internal */
export interface PodFailureRuleSpec {
  readonly action: PodFailurePolicyAction;
  readonly onExitCodes?: { readonly containerName?: string; readonly operator: 'In' | 'NotIn'; readonly values: number[] };
  readonly onPodConditions?: Array<{ readonly type: string; readonly status: string }>;
}

/**
 * One rule of the Job's `podFailurePolicy` (Kubernetes >= 1.26). Rules are checked in order and
 * the first match decides; MeshJob puts yours before its defaults.
 */
export class PodFailureRule {
  /**
   * Decide by a container's exit code, e.g. `PodFailureRule.onExitCodes(PodFailurePolicyAction.FAIL_JOB, { exitCodes: [42] })`.
   */
  public static onExitCodes(action: PodFailurePolicyAction, options: ExitCodeRuleOptions): PodFailureRule {
    const codes = options.exitCodes;
    const operator = options.notIn ? 'NotIn' : 'In';
    if (codes.length === 0 || codes.length > 255 || codes.some((c) => !Number.isInteger(c) || c < 0 || c > 255)) {
      throw new Error(`pod failure rule exit codes ${JSON.stringify(codes)} must be 1 to 255 whole numbers from 0 to 255`);
    }
    if (operator === 'In' && codes.includes(0)) {
      throw new Error('pod failure rule exit codes must not include 0 with operator In: a container that exits 0 has not failed');
    }
    return new PodFailureRule({
      action,
      onExitCodes: { containerName: options.containerName, operator, values: [...new Set(codes)].sort((a, b) => a - b) },
    });
  }

  /**
   * Decide when the pod was disrupted (condition DisruptionTarget: preemption, eviction, node
   * drain, API-initiated deletion).
   */
  public static onDisruption(action: PodFailurePolicyAction): PodFailureRule {
    return PodFailureRule.onPodCondition(action, 'DisruptionTarget');
  }

  /**
   * Decide by a pod condition being True, e.g. "DisruptionTarget".
   */
  public static onPodCondition(action: PodFailurePolicyAction, conditionType: string): PodFailureRule {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(conditionType)) {
      throw new Error(`pod condition type ${JSON.stringify(conditionType)} is not a condition name such as "DisruptionTarget"`);
    }
    return new PodFailureRule({ action, onPodConditions: [{ type: conditionType, status: 'True' }] });
  }

  /** @internal */
  public readonly _spec: PodFailureRuleSpec;

  private constructor(spec: PodFailureRuleSpec) {
    this._spec = spec;
  }
}

/** The API server's limit on podFailurePolicy rules (kubernetes pkg/apis/batch/validation). */
export const MAX_POD_FAILURE_RULES = 20;

/** What the rules apply to. @internal */
export interface PodFailurePolicyInput {
  /** Who is asking, for error messages. */
  readonly subject: string;
  /** The user's rules, as data (PodFailureRule._spec). */
  readonly user: PodFailureRuleSpec[];
  /** Main containers: an exit-code rule without containerName becomes one rule for each. */
  readonly mainContainers: string[];
  /** Every container and init container of the pod: the names a rule may scope to. */
  readonly allContainers: string[];
  /** Containers whose wrapper exits WrapperExitCode.PROXY_NOT_READY (PodPlan.proxyNotReadyContainers). */
  readonly proxyNotReadyContainers: string[];
  /** Whether the default rules are wanted; they are rendered only where the pod and cluster allow. */
  readonly defaults: boolean;
  /**
   * The Job has an activeDeadlineSeconds. Only then does the default rule ignore a wrapper's exit
   * 75 (retrying on fresh pods until the deadline); without one, exit 75 counts against
   * backoffLimit like any failure, so a mesh that never injects a proxy cannot retry for ever.
   */
  readonly bounded: boolean;
  /** The pod's restartPolicy; podFailurePolicy needs Never (unset means Never for a Job). */
  readonly restartPolicy?: string;
  /** The cluster's Kubernetes version; podFailurePolicy needs K8S_POD_FAILURE_POLICY_BETA. */
  readonly kubernetesVersion?: Version;
}

/**
 * The Job's podFailurePolicy rules as JSON: the user's first (each exit-code rule scoped to a
 * container: one per main container when none is named), then the defaults, which retry on a
 * fresh pod without spending backoffLimit when the proxy never got ready in a wrapped container
 * or the pod was disrupted. Throws when the API server would refuse them. @internal
 */
export function podFailurePolicyRules(input: PodFailurePolicyInput): { rules: unknown[]; warnings: string[] } {
  const { subject, restartPolicy } = input;
  const k8s = input.kubernetesVersion;
  const supported = k8s === undefined || atLeast(k8s, K8S_POD_FAILURE_POLICY_BETA);
  const neverRestarts = restartPolicy === undefined || restartPolicy === 'Never';
  if (input.user.length > 0 && !neverRestarts) {
    throw new Error(`${subject}: podFailurePolicy needs the pod's restartPolicy to be Never, but it is ${restartPolicy}: remove restartPolicy`);
  }
  if (input.user.length > 0 && !supported) {
    throw new Error(`${subject}: podFailurePolicy needs Kubernetes >= ${K8S_POD_FAILURE_POLICY_BETA}, but kubernetesVersion is ${k8s!.text}: remove podFailurePolicy`);
  }
  const defaults = input.defaults && supported && neverRestarts;
  const warnings: string[] = [];
  for (const rule of input.user) {
    const name = rule.onExitCodes?.containerName;
    if (name !== undefined && !input.allContainers.includes(name)) {
      throw new Error(
        `${subject}: podFailurePolicy rule names container '${name}', which the pod does not have: ` +
        `use one of ${input.allContainers.map((n) => `'${n}'`).join(', ')}, or leave containerName out`,
      );
    }
    if (rule.action === PodFailurePolicyAction.FAIL_INDEX) {
      warnings.push(
        'a FailIndex podFailurePolicy rule needs spec.backoffLimitPerIndex (an Indexed Job, Kubernetes >= 1.29), ' +
        'which cdk8s-plus-28 cannot set: add it with meshJob.apiObject.addJsonPatch(), or the API server rejects the Job',
      );
    }
  }
  const scoped = input.user.flatMap((spec) => {
    if (!spec.onExitCodes || spec.onExitCodes.containerName !== undefined) return [spec];
    return input.mainContainers.map((name) => ({ ...spec, onExitCodes: { ...spec.onExitCodes!, containerName: name } }));
  });
  const builtIn: PodFailureRuleSpec[] = !defaults ? [] : [
    ...(input.bounded ? input.proxyNotReadyContainers : []).map((name): PodFailureRuleSpec => ({
      action: PodFailurePolicyAction.IGNORE,
      onExitCodes: { containerName: name, operator: 'In', values: [WrapperExitCode.PROXY_NOT_READY] },
    })),
    PodFailureRule.onDisruption(PodFailurePolicyAction.IGNORE)._spec,
  ];
  const rules = [...scoped, ...builtIn];
  if (rules.length > MAX_POD_FAILURE_RULES) {
    throw new Error(
      `${subject}: podFailurePolicy would have ${rules.length} rules (${scoped.length} yours, scoped to each main container, ` +
      `and ${builtIn.length} defaults), but Kubernetes allows ${MAX_POD_FAILURE_RULES}: name a containerName in your ` +
      'exit-code rules, merge rules, or set defaultPodFailureRules: false',
    );
  }
  return { rules, warnings };
}
