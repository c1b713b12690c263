import { mkdirSync, symlinkSync, writeFileSync } from 'fs';
import { join } from 'path';
import { formatMap } from './go-quote';

/**
 * The kubelet's expansion of a container's `command` and `args`: a line-for-line port of
 * kubernetes/third_party/forked/golang/expansion/expand.go (`Expand` and `tryReadVariableName`)
 * with the kubelet's mapping (`MappingFuncFor`): a defined variable is replaced by its value, an
 * undefined one is left as written, `$(NAME)`.
 *
 * - `$$` becomes `$`;
 * - `$(NAME)` becomes env[NAME] when NAME is defined, else stays `$(NAME)`;
 * - `$(` with no `)` anywhere after it stays `$(` (scanning continues after the `(`);
 * - `$` followed by any other character stays as it is, and so does a trailing lone `$`.
 */
export function expandKubelet(input: string, env: Record<string, string>): string {
  const mapping = (name: string): string =>
    Object.prototype.hasOwnProperty.call(env, name) ? env[name] : `$(${name})`;
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] === '$' && cursor + 1 < input.length) {
      out += input.slice(checkpoint, cursor);
      const { read, isVar, advance } = tryReadVariableName(input.slice(cursor + 1));
      out += isVar ? mapping(read) : read;
      cursor += advance;
      checkpoint = cursor + 1;
    }
  }
  return out + input.slice(checkpoint);
}

function tryReadVariableName(input: string): { read: string; isVar: boolean; advance: number } {
  switch (input[0]) {
    case '$':
      // Escaped operator: one "$".
      return { read: '$', isVar: false, advance: 1 };
    case '(':
      for (let i = 1; i < input.length; i++) {
        if (input[i] === ')') {
          return { read: input.slice(1, i), isVar: true, advance: i + 1 };
        }
      }
      // Incomplete reference: "$(" as written.
      return { read: '$(', isVar: false, advance: 1 };
    default:
      // An operator that does not start an expression: "$" and the next character, as written.
      return { read: '$' + input[0], isVar: false, advance: 1 };
  }
}

/** Index of a wrapped container's settings argument in its command (after `-c`, the script and `$0`), or -1. */
export function settingsIndex(command: string[]): number {
  const c = command.indexOf('-c');
  return c >= 0 && command[c + 2] === 'meshjob' && command.length > c + 3 ? c + 3 : -1;
}

/** The pod metadata a downward API volume can show: labels and annotations. */
export interface PodMetadata {
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/** A downward API volume's item as the pod spec writes it: a file and the field it shows. */
export interface DownwardApiItem {
  readonly path: string;
  readonly fieldRef: { readonly fieldPath: string };
}

/**
 * Writes a downward API volume into `dir` as the kubelet does: each item's file holds
 * `metadata.labels` or `metadata.annotations` in FormatMap's form (test/support/go-quote.ts), and the
 * files sit in a timestamped directory reached through the `..data` symlink, each file a symlink
 * into it (kubernetes pkg/volume/util/atomic_writer.go: `..data` -> `..2006_01_02_15_04_05.N`,
 * `<path>` -> `..data/<path>`), mode 0644.
 */
export function writeDownwardApi(dir: string, metadata: PodMetadata, items: DownwardApiItem[]): void {
  const stamp = `..${new Date().toISOString().replace(/[-:T]/g, '_').replace(/\..*$/, '')}.${process.pid}`;
  mkdirSync(join(dir, stamp), { recursive: true });
  for (const item of items) {
    const map = item.fieldRef.fieldPath === 'metadata.labels' ? metadata.labels
      : item.fieldRef.fieldPath === 'metadata.annotations' ? metadata.annotations : undefined;
    if (map === undefined && !['metadata.labels', 'metadata.annotations'].includes(item.fieldRef.fieldPath)) {
      throw new Error(`downward API field ${item.fieldRef.fieldPath} is not emulated here`);
    }
    writeFileSync(join(dir, stamp, item.path), formatMap(map ?? {}), { mode: 0o644 });
    symlinkSync(join('..data', item.path), join(dir, item.path));
  }
  symlinkSync(stamp, join(dir, '..data'));
}

/** The items of a pod that shows both its labels and its annotations, as files of those names. */
export const LABELS_AND_ANNOTATIONS: DownwardApiItem[] = [
  { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
  { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
];
