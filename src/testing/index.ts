// Snapshot helpers for apps that use MeshJob: `meshjob/lib/testing`. Not part of the jsii API (a
// jest serializer is JavaScript-only), so src/index.ts does not export it.
import { createHash } from 'crypto';
import { renderedWrapperScripts } from '../runtime/settings';

let cachedScripts: Map<string, string> | undefined;

/**
 * The wrapper scripts exactly as MeshJob renders them into a container's `command`
 * (kubelet-escaped), script → its line, taken from the renderer itself so that only this
 * library's own scripts are ever replaced. A pod carries only the sections it uses, so there is
 * one script per combination of sections.
 */
function renderedScripts(): Map<string, string> {
  cachedScripts ??= new Map([...renderedWrapperScripts()].map(([sections, script]) => [script, scriptLine(sections, script)]));
  return cachedScripts;
}

/**
 * `<meshjob wrapper SECTIONS HASH>`: the sections the script has and the first 12 hex digits of its
 * SHA-256. It changes exactly when the script a pod runs changes (your configuration picks the
 * sections), and not when a meshjob release leaves the script alone.
 */
function scriptLine(sections: string, script: string): string {
  return `<meshjob wrapper ${sections} ${createHash('sha256').update(script).digest('hex').slice(0, 12)}>`;
}

/** The line that stands for a wrapper script in snapshots, or undefined when `value` is not one. */
export function wrapperScriptLine(value: unknown): string | undefined {
  return typeof value === 'string' ? renderedScripts().get(value) : undefined;
}

/** True for a string that is exactly one of the wrapper scripts this meshjob renders, and nothing else. */
export function isWrapperScript(value: unknown): boolean {
  return wrapperScriptLine(value) !== undefined;
}

/**
 * A deep copy of `value` (a manifest, a list of manifests from `Testing.synth`, any JSON) in which
 * every wrapper script is replaced by its `wrapperScriptLine()`. For snapshot
 * tools other than jest: snapshot `stableManifests(Testing.synth(chart))` instead of the raw
 * output, and the snapshot changes only when your configuration (or the wrapper script) does.
 */
export function stableManifests<T>(value: T): T {
  return replaceScript(value) as T;
}

function replaceScript(value: unknown): unknown {
  const line = wrapperScriptLine(value);
  if (line !== undefined) return line;
  if (Array.isArray(value)) return value.map(replaceScript);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceScript(v)]));
  }
  return value;
}

/**
 * A jest snapshot serializer that prints each wrapper script as its `wrapperScriptLine()`: add it with
 * `expect.addSnapshotSerializer(meshJobSnapshotSerializer)`, or list the module
 * `meshjob/lib/testing/jest-serializer` in jest's `snapshotSerializers`.
 */
export const meshJobSnapshotSerializer = {
  test: (value: unknown): boolean => isWrapperScript(value),
  serialize: (value: unknown): string => wrapperScriptLine(value)!,
};
