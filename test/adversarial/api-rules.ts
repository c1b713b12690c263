import { podSpecOf } from '../support/schema';

// Rules the Kubernetes API server enforces on a Job or CronJob that the OpenAPI schema
// (test/support/schema.ts validateAll) cannot express, limited to the parts of the pod and Job spec
// MeshJob writes or multiplies: containers and their names, volumes and mounts, and the
// podFailurePolicy. Sources: kubernetes pkg/apis/batch/validation (podFailurePolicy: at most 20
// rules, exit-code values 1..255 items, ordered, unique, no 0 with In, containerName one of the pod
// template's container or init container names, restartPolicy Never, FailIndex only with
// backoffLimitPerIndex) and pkg/apis/core/validation (unique DNS-label container names across
// containers and init containers, unique volume names, mounts of declared volumes).

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function jobSpecOf(obj: any): any {
  return obj.kind === 'CronJob' ? obj.spec.jobTemplate.spec : obj.spec;
}

/** The API server's objections to a rendered Job or CronJob (empty when it would accept it). */
export function apiServerObjections(obj: any): string[] {
  if (obj.kind !== 'Job' && obj.kind !== 'CronJob') return [];
  const problems: string[] = [];
  const spec = jobSpecOf(obj);
  const pod = podSpecOf(obj);
  const containers: any[] = pod.containers ?? [];
  const inits: any[] = pod.initContainers ?? [];
  const names = [...containers, ...inits].map((c) => c.name);

  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) problems.push(`container name ${JSON.stringify(name)} is not unique`);
    seen.add(name);
    if (typeof name !== 'string' || !DNS_LABEL.test(name) || name.length > 63) problems.push(`container name ${JSON.stringify(name)} is not a DNS label`);
  }
  const volumes = new Set<string>();
  for (const v of pod.volumes ?? []) {
    if (volumes.has(v.name)) problems.push(`volume name ${JSON.stringify(v.name)} is not unique`);
    volumes.add(v.name);
  }
  for (const c of [...containers, ...inits]) {
    const paths = new Set<string>();
    for (const m of c.volumeMounts ?? []) {
      if (!volumes.has(m.name)) problems.push(`container ${c.name} mounts undeclared volume ${JSON.stringify(m.name)}`);
      if (paths.has(m.mountPath)) problems.push(`container ${c.name} mounts two volumes at ${m.mountPath}`);
      paths.add(m.mountPath);
    }
  }

  const policy = spec.podFailurePolicy;
  if (policy) {
    const rules: any[] = policy.rules ?? [];
    if (rules.length > 20) problems.push(`podFailurePolicy.rules has ${rules.length} rules: at most 20 are allowed`);
    if (pod.restartPolicy !== 'Never') problems.push(`podFailurePolicy needs restartPolicy Never, not ${pod.restartPolicy}`);
    rules.forEach((r, i) => {
      const at = `podFailurePolicy.rules[${i}]`;
      if (r.action === 'FailIndex' && spec.backoffLimitPerIndex === undefined) problems.push(`${at}: FailIndex needs backoffLimitPerIndex`);
      if (!!r.onExitCodes === !!r.onPodConditions) problems.push(`${at}: exactly one of onExitCodes and onPodConditions`);
      const e = r.onExitCodes;
      if (e) {
        const values: number[] = e.values ?? [];
        if (values.length < 1 || values.length > 255) problems.push(`${at}.onExitCodes.values has ${values.length} items: 1 to 255`);
        if (values.some((v, j) => j > 0 && v <= values[j - 1])) problems.push(`${at}.onExitCodes.values must be ordered and unique`);
        if (e.operator === 'In' && values.includes(0)) problems.push(`${at}.onExitCodes.values must not contain 0 with In`);
        if (e.containerName !== undefined && !names.includes(e.containerName)) {
          problems.push(`${at}.onExitCodes.containerName ${JSON.stringify(e.containerName)} must be one of the container or initContainer names in the pod template`);
        }
      }
    });
  }
  return problems;
}

/**
 * Pod Security "restricted" profile violations of one container, with the pod's securityContext
 * as the fallback where the profile allows it (runAsNonRoot, seccompProfile).
 */
export function restrictedViolations(container: any, podSecurityContext: any = {}): string[] {
  const sc = container.securityContext ?? {};
  const v: string[] = [];
  if (sc.privileged === true) v.push('privileged');
  if (sc.allowPrivilegeEscalation !== false) v.push('allowPrivilegeEscalation is not false');
  if (!(sc.capabilities?.drop ?? []).includes('ALL')) v.push('capabilities.drop lacks ALL');
  const added: string[] = sc.capabilities?.add ?? [];
  if (added.some((c) => c !== 'NET_BIND_SERVICE')) v.push(`capabilities.add ${JSON.stringify(added)}`);
  const nonRoot = sc.runAsNonRoot ?? podSecurityContext.runAsNonRoot;
  if (nonRoot !== true) v.push('runAsNonRoot is not true');
  if ((sc.runAsUser ?? podSecurityContext.runAsUser) === 0) v.push('runAsUser is 0');
  const seccomp = (sc.seccompProfile ?? podSecurityContext.seccompProfile)?.type;
  if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') v.push(`seccompProfile is ${JSON.stringify(seccomp)}`);
  if (sc.procMount !== undefined && sc.procMount !== 'Default') v.push('procMount');
  if ((container.ports ?? []).some((p: any) => p.hostPort !== undefined && p.hostPort !== 0)) v.push('hostPort');
  return v;
}

/** Volume types the "restricted" profile allows. */
export const RESTRICTED_VOLUME_TYPES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
