// Snapshot helpers for apps that use MeshJob: `meshjob/lib/testing`. Not part of the jsii API (a
// jest serializer is JavaScript-only), so src/index.ts does not export it.
import { createHash } from 'crypto';
import { wrapperCommand } from '../runtime/wrapper';

let cachedScript: string | undefined;
let cachedVersion: string | undefined;

/**
 * The wrapper script exactly as MeshJob renders it into a container's `command` (kubelet-escaped),
 * taken from the renderer itself so that only this library's own script is ever replaced.
 */
function renderedScript(): string {
  // wrapperCommand(shell) is [...shell, '-c', script, argv0].
  cachedScript ??= wrapperCommand([])[1];
  return cachedScript;
}

/**
 * The wrapper's version: the first 12 hex digits of the SHA-256 of the script as rendered. It
 * changes exactly when the script a pod runs changes, and not when a meshjob release leaves the
 * script alone, so a snapshot that shows it changes only with your configuration or the script.
 */
export function wrapperVersion(): string {
  cachedVersion ??= createHash('sha256').update(renderedScript()).digest('hex').slice(0, 12);
  return cachedVersion;
}

/** The one line that stands for the wrapper script in snapshots: `<meshjob wrapper 0123456789ab>`. */
export function wrapperScriptLine(): string {
  return `<meshjob wrapper ${wrapperVersion()}>`;
}

/** True for a string that is exactly the wrapper script this meshjob renders, and nothing else. */
export function isWrapperScript(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const script = renderedScript();
  return value.length === script.length && value === script;
}

/**
 * A deep copy of `value` (a manifest, a list of manifests from `Testing.synth`, any JSON) in which
 * every occurrence of the wrapper script is replaced by `wrapperScriptLine()`. For snapshot
 * tools other than jest: snapshot `stableManifests(Testing.synth(chart))` instead of the raw
 * output, and the snapshot changes only when your configuration (or the wrapper script) does.
 */
export function stableManifests<T>(value: T): T {
  return replaceScript(value) as T;
}

function replaceScript(value: unknown): unknown {
  if (isWrapperScript(value)) return wrapperScriptLine();
  if (Array.isArray(value)) return value.map(replaceScript);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceScript(v)]));
  }
  return value;
}

/**
 * A jest snapshot serializer that prints the wrapper script as `wrapperScriptLine()`: add it with
 * `expect.addSnapshotSerializer(meshJobSnapshotSerializer)`, or list the module
 * `meshjob/lib/testing/jest-serializer` in jest's `snapshotSerializers`.
 */
export const meshJobSnapshotSerializer = {
  test: (value: unknown): boolean => isWrapperScript(value),
  serialize: (): string => wrapperScriptLine(),
};
