import { PodPlan } from '../lifecycle/pod-plan';

// Writes a plan into a Job's JSON: one line per field, every value the plan's. The MeshJob construct
// (at synth, after cdk8s-plus rendered its Job) and the manifest path (charts, applyTo) both write
// through here, so the two cannot render one plan two ways.

/** The Job spec of a Job or CronJob manifest (a CronJob's jobTemplate.spec). @internal */
export function jobSpecOf(obj: any): any {
  return obj.kind === 'CronJob' ? obj.spec?.jobTemplate?.spec : obj.spec;
}

/**
 * Writes the plan's fields into a Job spec in place. Containers are found by the final names the
 * plan gave them. A field Kubernetes reads as absent when null (`volumes:` left empty) is written
 * as if absent. @internal
 */
export function writePlan(spec: any, plan: PodPlan): void {
  const template = spec.template;
  const meta = (template.metadata ??= {});
  if (Object.keys(plan.labels).length > 0) meta.labels = { ...meta.labels, ...plan.labels };
  if (Object.keys(plan.annotations).length > 0) meta.annotations = { ...meta.annotations, ...plan.annotations };
  const pod = template.spec;
  if (plan.restartPolicy) pod.restartPolicy = plan.restartPolicy;
  if (plan.shareProcessNamespace) pod.shareProcessNamespace = true;
  if (plan.volumes.length > 0) pod.volumes = [...(pod.volumes ?? []), ...plan.volumes];
  const byName = (name: string) => pod.containers.find((c: any) => c.name === name);
  for (const planned of plan.containers) {
    if (!planned.wrap) continue;
    const c = byName(planned.name);
    c.command = planned.wrap.command;
    c.volumeMounts = [...(c.volumeMounts ?? []), ...planned.wrap.volumeMounts];
  }
  const natives = plan.nativeSidecars.map((n) => ({
    ...byName(n.name),
    restartPolicy: 'Always',
    ...(n.startupProbe ? { startupProbe: n.startupProbe } : {}),
  }));
  pod.containers = pod.containers.filter((c: any) => !plan.nativeSidecars.some((n) => n.name === c.name));
  const init = [...(plan.initContainer ? [plan.initContainer] : []), ...natives, ...(pod.initContainers ?? [])];
  if (init.length > 0) pod.initContainers = init;
  if (plan.podFailureRules && spec.podFailurePolicy == null) spec.podFailurePolicy = { rules: plan.podFailureRules };
}
