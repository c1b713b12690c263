import { ManifestResult, SKIP_ANNOTATION } from './apply';

// What happened to a Job or CronJob, in the one wording the command line, its stderr lines, the
// annotation on the Job and the KRM function's results share.

/** Annotation on a Job's or CronJob's own metadata saying what MeshJob did to it and why. */
export const RESULT_ANNOTATION = 'meshjob/result';

/**
 * What MeshJob did to a Job or CronJob, or why it left it alone, in a few words that do not name
 * the object ("wrap lifecycle applied (...)", "left alone: annotated meshjob/skip: \"true\"").
 */
export function describeOutcome(r: ManifestResult): string {
  // Every outcome has its words: a new outcome does not compile until it has them too.
  const words: Record<ManifestResult['outcome'], string> = {
    'applied': `${r.mode} lifecycle applied (${r.reason})`,
    'already-applied': `left alone: MeshJob already applied the ${r.mode} lifecycle to it`,
    'skipped': `left alone: annotated ${SKIP_ANNOTATION}: "true"`,
    'opted-out': `left alone: ${r.problem}`,
    'left-unchanged': `left alone, and it may hang: ${r.problem}`,
    'not-a-job': 'left alone: not a Job or CronJob',
  };
  return words[r.outcome];
}

/**
 * Writes RESULT_ANNOTATION on a Job that was changed or left unchanged for a reason: the words of
 * the KRM function's results (describeOutcome), with the warnings after them. Returns whether it wrote.
 */
export function annotateResult(obj: any, result: ManifestResult): boolean {
  if (result.outcome !== 'applied' && result.outcome !== 'left-unchanged') return false;
  obj.metadata = obj.metadata ?? {};
  obj.metadata.annotations = { ...obj.metadata.annotations, [RESULT_ANNOTATION]: [describeOutcome(result), ...result.warnings].join('; ') };
  return true;
}

