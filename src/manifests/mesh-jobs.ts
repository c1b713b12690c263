import { ApiObject, JsonPatch } from 'cdk8s';
import { IConstruct } from 'constructs';
import { applyToManifest, isJobManifest } from './apply';
import { MeshLifecycleOptions } from '../lifecycle/options';

/**
 * Options for `MeshJobs.applyTo()`: the shared lifecycle options and which objects to change.
 */
export interface ApplyToJobsOptions extends MeshLifecycleOptions {
  /**
   * Only objects with one of these `metadata.name`s.
   *
   * @default - every Job and CronJob
   */
  readonly names?: string[];

  /**
   * Only objects whose `metadata.labels` include all of these.
   *
   * @default - every Job and CronJob
   */
  readonly labels?: { [key: string]: string };

}

/**
 * Makes Jobs and CronJobs that MeshJob did not create mesh-safe: those in YAML brought in with
 * `Include` or `Helm`, or written as plain `ApiObject`s.
 */
export class MeshJobs {
  /**
   * Applies the mesh lifecycle to every Job and CronJob API object under `scope` (a Chart or an
   * App), as MeshJob would render it. Objects annotated `meshjob/skip: "true"` and objects
   * already handled (pod template annotation `meshjob/lifecycle`, which MeshJob's own Jobs carry)
   * are left alone, so calling it twice changes nothing more. Call it after the objects are
   * defined. Objects of typed classes (cdk8s-plus `Job`, imported `KubeJob`) are not changed: use
   * `MeshJob` for those.
   *
   * @param scope the chart or app to search
   * @param options the mesh, lifecycle and selection
   * @returns one line per object changed: "Job name: wrap", "CronJob ns/name: native"
   */
  public static applyTo(scope: IConstruct, options: ApplyToJobsOptions): string[] {
    const changed: string[] = [];
    for (const child of scope.node.findAll()) {
      if (!(child instanceof ApiObject) || Object.getPrototypeOf(child) !== ApiObject.prototype) continue;
      const json = child.toJson();
      if (!isJobManifest(json) || !selected(json, options)) continue;
      const result = applyToManifest(json, options);
      if (result.outcome !== 'applied') continue;
      child.addJsonPatch(JsonPatch.replace('/spec', json.spec));
      result.warnings.forEach((w) => console.warn(`[meshjob] ${result.subject}: ${w}`));
      changed.push(`${result.subject}: ${result.mode}`);
    }
    return changed;
  }

  private constructor() {}
}

function selected(json: any, options: ApplyToJobsOptions): boolean {
  if (options.names && !options.names.includes(json.metadata?.name)) return false;
  const labels = json.metadata?.labels ?? {};
  return Object.entries(options.labels ?? {}).every(([k, v]) => labels[k] === v);
}
