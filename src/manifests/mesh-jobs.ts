import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { APPLY_TO_ROUTE, applyToManifest, isJobManifest, kubectlObjects } from './apply';
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
   * App), and to those in the items of a list object (kind `List` or `JobList`, as `kubectl get
   * -o yaml` writes them, brought in with `Include`), as MeshJob would render it. The lifecycle is applied at synth, to each object's final
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
      if (!ApiObject.isApiObject(child) || insideMeshJob(child)) continue;
      // A Job or CronJob; or a list (`kubectl get -o yaml` writes a List, an API a JobList), whose
      // items kubectl applies one by one: its Jobs are changed where they sit, as the command line
      // changes them. (Only list kinds are rendered here: any other object may not render yet.)
      const job = isJobManifest({ apiVersion: child.apiVersion, kind: child.kind });
      if (!job && !child.kind.endsWith('List')) continue;
      // Decide once now, on the object as it is: errors surface at the call, warnings once, and
      // the caller learns what changed. The same decision is rendered again at synth (below).
      const jobs = jobsOf(child.toJson(), options);
      if (!job && jobs.length === 0) continue;
      for (const json of jobs) {
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
    for (const job of jobsOf(json, options)) annotateResult(job, applyToManifest(job, { ...options, route: APPLY_TO_ROUTE }));
  });
}

/**
 * The selected Jobs and CronJobs kubectl would apply from an object's JSON: the object itself, or
 * a list's items (any object with `items`, as kubectl reads it), to change in place.
 */
function jobsOf(json: unknown, options: ApplyToJobsOptions): any[] {
  return kubectlObjects(json).filter((o) => isJobManifest(o) && selected(o, options));
}

function selected(json: any, options: ApplyToJobsOptions): boolean {
  if (options.names && !options.names.includes(json.metadata?.name)) return false;
  const labels = json.metadata?.labels ?? {};
  return Object.entries(options.labels ?? {}).every(([k, v]) => labels[k] === v);
}
