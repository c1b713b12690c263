import { readFileSync } from 'fs';
import { join } from 'path';
import { WrapperExitCode } from './exit-codes';
import { escapeKubeletExpansion } from './kubelet';

// wrapper.sh as a pod carries it: only the sections the pod uses, without comments, indentation or
// blank lines, on one line, escaped for the kubelet. Rendered once per set of sections.

/**
 * The optional sections of wrapper.sh ("#@ NAME" ... "#@ end"): a pod's wrappers carry only the
 * sections its settings use. @internal
 */
export type WrapperFeature = 'wget' | 'curl' | 'peers' | 'single' | 'sidecars' | 'sidecar-role' | 'kill';

let source: string | undefined;
const rendered = new Map<string, string>();
const escaped = new Map<string, string>();

/** The cache key of a set of sections, as snapshot lines name it: "single,wget". @internal */
export function featureKey(features: WrapperFeature[]): string {
  return [...features].sort().join(',');
}

/**
 * The wrapper script as it is rendered into a pod: src/runtime/wrapper.sh with only the sections
 * of `features`, without comment lines, indentation or blank lines, on one line. @internal
 */
export function wrapperScript(features: WrapperFeature[]): string {
  const key = featureKey(features);
  let script = rendered.get(key);
  if (script === undefined) {
    source ??= readFileSync(join(__dirname, 'wrapper.sh'), 'utf-8');
    const lines: string[] = [];
    let keep = true;
    for (const raw of source.split('\n')) {
      const line = raw.trim();
      const section = /^#@ (\S+)$/.exec(line);
      if (section) {
        keep = section[1] === 'end' || features.includes(section[1] as WrapperFeature);
        continue;
      }
      if (keep && line !== '' && !line.startsWith('#')) lines.push(line);
    }
    // The wrapper's own exit codes are facts of exit-codes.ts (WrapperExitCode), written in.
    script = joinLines(lines).replace(/@EXIT_USAGE@/g, String(WrapperExitCode.USAGE))
      .replace(/@EXIT_PROXY_NOT_READY@/g, String(WrapperExitCode.PROXY_NOT_READY));
    rendered.set(key, script);
  }
  return script;
}

/** wrapperScript(features) escaped for the kubelet, as a container's `command` holds it. @internal */
export function escapedWrapperScript(features: WrapperFeature[]): string {
  const key = featureKey(features);
  let script = escaped.get(key);
  if (script === undefined) {
    script = escapeKubeletExpansion(wrapperScript(features));
    escaped.set(key, script);
  }
  return script;
}

/** A line after which the next one follows with a space, not ";": it opens a compound or continues a list. */
const CONTINUES = /(?:\bthen|\bdo|\belse|\bin|\{|;;|&|\|)$/;

/**
 * The script's lines as one line: each statement ends with ";" unless the line opens a compound
 * command or continues a list. In a pod spec every line of a multi-line string costs its YAML
 * indentation, which was a fifth of what the wrapper added to a Job.
 */
function joinLines(lines: string[]): string {
  return lines.map((line, i) => (i === lines.length - 1 ? line : CONTINUES.test(line) ? `${line} ` : `${line};`)).join('') + '\n';
}
