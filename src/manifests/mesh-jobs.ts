import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { APPLY_TO_ROUTE, applyToManifest, isJobManifest } from './apply';
import { editAtSynth } from './at-synth';
import { annotateResult } from './outcome';
import { MeshLifecycleOptions } from '../lifecycle/options';
import { LIFECYCLE_METADATA } from '../lifecycle/pod-plan';

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

  /**
   * The entrypoint (argv) of each image, by image reference: the `command` of a container that
   * has none (charts' Jobs often rely on the image's entrypoint) when wrapping needs one. Matched
   * on the whole reference, then without digest, then without tag.
   *
   * @default - none: a Job whose container has no command is left unchanged, with a warning
   */
  readonly entrypoints?: { [image: string]: string[] };

  /**
   * Names of the Jobs' own sidecar containers (a log shipper in a chart's Job): stopped once the
   * other containers end, instead of being waited for as main containers.
   *
   * @default - every container is a main container
   */
  readonly sidecarContainers?: string[];

  /**
   * Fail, instead of leaving the Job unchanged with a warning, when a Job cannot be wrapped.
   *
   * @default false
   */
  readonly strict?: boolean;
}

/**
 * Makes Jobs and CronJobs that MeshJob did not create mesh-safe: those in YAML brought in with
 * `Include` or `Helm`, typed objects of any cdk8s-plus line (`Job`, `CronJob`), imported
 * `KubeJob`/`KubeCronJob`, and plain `ApiObject`s.
 */
export class MeshJobs {
  /**
   * Applies the mesh lifecycle to every Job and CronJob API object under `scope` (a Chart or an
   * App), as MeshJob would render it. The lifecycle is applied at synth, to each object's final
   * JSON (after cdk8s-plus rendered it and after your own JSON patches), so an object of any
   * class, from any cdk8s-plus line, gets the same result as the same manifest brought in with
   * `Include`. Objects annotated `meshjob/skip: "true"`, objects already handled (pod template
   * annotation `meshjob/lifecycle`) and the Jobs of `MeshJob` constructs are left alone, so
   * calling it twice changes nothing more. Call it after the objects are defined: objects added
   * to the scope later are not touched. The selection (`names`, `labels`) is matched on the
   * final JSON too.
   *
   * @param scope the chart or app to search
   * @param options the mesh, lifecycle and selection
   * @returns one line per object changed, as decided on the objects as they are now:
   * "Job name: wrap", "CronJob ns/name: native"
   */
  public static applyTo(scope: IConstruct, options: ApplyToJobsOptions): string[] {
    const changed: string[] = [];
    for (const child of scope.node.findAll()) {
      if (!isJobObject(child) || insideMeshJob(child)) continue;
      // Decide once now, on the object as it is: errors surface at the call, warnings once, and
      // the caller learns what changed. The same decision is rendered again at synth (below).
      const json = child.toJson();
      if (selected(json, options)) {
        const result = applyToManifest(json, { ...options, route: APPLY_TO_ROUTE });
        if (result.outcome === 'applied') {
          result.warnings.forEach((w) => console.warn(`[meshjob] ${result.subject}: ${w}`));
          changed.push(`${result.subject}: ${result.mode}`);
        } else if (result.problem) {
          console.warn(`[meshjob] ${result.subject}: left unchanged: ${result.problem}`);
        }
      }
      applyAtSynth(child, options);
    }
    return changed;
  }

  private constructor() {}
}

/**
 * A batch/v1 Job or CronJob API object of any class: `ApiObject.isApiObject` recognises objects of
 * every copy of cdk8s (each cdk8s-plus line may bring its own), where `instanceof` would not.
 */
function isJobObject(c: IConstruct): c is ApiObject {
  return ApiObject.isApiObject(c) && isJobManifest({ apiVersion: c.apiVersion, kind: c.kind });
}

/** True inside a MeshJob construct (it records its lifecycle in its construct metadata). */
function insideMeshJob(c: IConstruct): boolean {
  return c.node.scopes.some((s) => s.node.metadata.some((m) => m.type === LIFECYCLE_METADATA));
}

/**
 * Renders the lifecycle into the object's JSON each time cdk8s asks for it. A second `applyTo`
 * wraps again; the inner one applies and the outer one finds the lifecycle annotation.
 */
function applyAtSynth(obj: ApiObject, options: ApplyToJobsOptions): void {
  // The same words on the Job as the command line and the KRM function write (meshjob/result).
  editAtSynth(obj, (json) => {
    if (selected(json, options)) annotateResult(json, applyToManifest(json, { ...options, route: APPLY_TO_ROUTE }));
  });
}

function selected(json: any, options: ApplyToJobsOptions): boolean {
  if (options.names && !options.names.includes(json.metadata?.name)) return false;
  const labels = json.metadata?.labels ?? {};
  return Object.entries(options.labels ?? {}).every(([k, v]) => labels[k] === v);
}
