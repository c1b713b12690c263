// Validates rendered manifests offline against the Kubernetes 1.33 OpenAPI schemas that
// kubernetes-models 4.5 ships (types, required fields, enums, formats).
import { Deployment } from 'kubernetes-models/apps/v1';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { ConfigMap, Pod, Service, ServiceAccount } from 'kubernetes-models/v1';

type Model = { validate(): void };
const MODELS: Record<string, (obj: any) => Model> = {
  'batch/v1/Job': (o) => new Job(o),
  'batch/v1/CronJob': (o) => new CronJob(o),
  'apps/v1/Deployment': (o) => new Deployment(o),
  'v1/Pod': (o) => new Pod(o),
  'v1/Service': (o) => new Service(o),
  'v1/ServiceAccount': (o) => new ServiceAccount(o),
  'v1/ConfigMap': (o) => new ConfigMap(o),
};

/** Throws, naming the object and the schema error, when a manifest is not valid Kubernetes. */
export function validateManifest(obj: any): void {
  const key = `${obj?.apiVersion}/${obj?.kind}`;
  // A list (v1 List, or a kind's own list such as batch/v1 JobList): kubectl applies its items one by one.
  if (typeof obj?.kind === 'string' && obj.kind.endsWith('List')) {
    if (!Array.isArray(obj.items)) throw new Error(`${key} ${obj.metadata?.name ?? ''} is not valid: a list without items`);
    obj.items.forEach(validateManifest);
    return;
  }
  const make = MODELS[key];
  if (!make) throw new Error(`no schema for ${key}: add it to test/support/schema.ts`);
  try {
    make(obj).validate();
  } catch (e) {
    throw new Error(`${key} ${obj?.metadata?.name} is not schema-valid: ${(e as Error).message}`);
  }
  // The API server's own Job validation, which the OpenAPI schema cannot express
  // (kubernetes pkg/apis/batch/validation: a Job's pod restartPolicy is OnFailure or Never).
  if (obj.kind === 'Job' || obj.kind === 'CronJob') {
    const policy = podSpecOf(obj).restartPolicy;
    if (policy !== 'Never' && policy !== 'OnFailure') {
      throw new Error(`${key} ${obj.metadata?.name} is not valid: spec.template.spec.restartPolicy ${JSON.stringify(policy)} must be OnFailure or Never`);
    }
  }
}

/** Validates every manifest and returns them, for chaining. */
export function validateAll(manifests: any[]): any[] {
  if (manifests.length === 0) throw new Error('nothing rendered to validate');
  manifests.forEach(validateManifest);
  return manifests;
}

/** The pod spec of a rendered Job or CronJob. */
export function podSpecOf(obj: any): any {
  return obj.kind === 'CronJob' ? obj.spec.jobTemplate.spec.template.spec : obj.spec.template.spec;
}

/** The pod template metadata of a rendered Job or CronJob. */
export function podMetadataOf(obj: any): any {
  return obj.kind === 'CronJob' ? obj.spec.jobTemplate.spec.template.metadata : obj.spec.template.metadata;
}
