import { readFileSync } from 'fs';
import { join } from 'path';
import { WrapperExitCode } from './exit-codes';
import { escapeKubeletExpansion } from './kubelet';
import {
  MAX_QUIT_ATTEMPTS, MAX_QUIT_RETRY_DELAY_SECONDS, MAX_READY_POLL_SECONDS, MAX_READY_TIMEOUT_SECONDS,
  MAX_REQUEST_TIMEOUT_SECONDS, MAX_SIDECAR_STOP_TIMEOUT_SECONDS,
} from './limits';
import { ARMED_QUIT_RENEW_SECONDS, MAX_QUIT_WINDOW_SECONDS } from './quit-timing';

// wrapper.sh as a pod carries it: only the sections the pod uses, without comments, indentation or
// blank lines, on one line, escaped for the kubelet. Rendered once per set of sections.

/**
 * The optional sections of wrapper.sh ("#@ NAME" ... "#@ end", or "#@ !NAME" for a section kept
 * only without NAME): a pod's wrappers carry only the sections its settings use. @internal
 */
export type WrapperFeature = 'wget' | 'curl' | 'peers' | 'single' | 'sidecars' | 'sidecar-role' | 'kill' | 'pod' | 'armed';

/**
 * The facts of src/ that wrapper.sh names as @NAME@: its own exit codes and the bounds of every
 * duration and count it computes with.
 */
const FACTS: Record<string, number> = {
  EXIT_USAGE: WrapperExitCode.USAGE,
  EXIT_PROXY_NOT_READY: WrapperExitCode.PROXY_NOT_READY,
  EXIT_PROXY_NOT_INJECTED: WrapperExitCode.PROXY_NOT_INJECTED,
  MAX_READY_TIMEOUT: MAX_READY_TIMEOUT_SECONDS,
  MAX_READY_POLL: MAX_READY_POLL_SECONDS,
  MAX_REQUEST_TIMEOUT: MAX_REQUEST_TIMEOUT_SECONDS,
  MAX_QUIT_RETRY_DELAY: MAX_QUIT_RETRY_DELAY_SECONDS,
  MAX_QUIT_ATTEMPTS: MAX_QUIT_ATTEMPTS,
  MAX_QUIT_WINDOW: MAX_QUIT_WINDOW_SECONDS,
  MAX_SIDECAR_STOP_TIMEOUT: MAX_SIDECAR_STOP_TIMEOUT_SECONDS,
  ARMED_RENEW: ARMED_QUIT_RENEW_SECONDS,
};

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
      const section = /^#@ (!?)(\S+)$/.exec(line);
      if (section) {
        keep = section[2] === 'end' || features.includes(section[2] as WrapperFeature) !== (section[1] === '!');
        continue;
      }
      if (keep && line !== '' && !line.startsWith('#')) lines.push(line);
    }
    script = joinLines(lines).replace(/@([A-Z_]+)@/g, (_all, name: string) => {
      if (!(name in FACTS)) throw new Error(`wrapper.sh names @${name}@, which script.ts does not know`);
      return String(FACTS[name]);
    });
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

/**
 * A line after which the next one follows with a space, not ";": it opens a compound or continues a
 * list, or it is a case pattern (ends with ")" and opens no parenthesis of its own).
 */
const CONTINUES = /(?:\bthen|\bdo|\belse|\bin|\{|;;|&|\||^[^(]*\))$/;

/**
 * The script's lines as one line: each statement ends with ";" unless the line opens a compound
 * command or continues a list, or the next line ends a case item (";;"). In a pod spec every line of a multi-line string costs its YAML
 * indentation, which was a fifth of what the wrapper added to a Job.
 */
function joinLines(lines: string[]): string {
  const continued = (i: number) => CONTINUES.test(lines[i]) || lines[i + 1].startsWith(';;');
  return lines.map((line, i) => (i === lines.length - 1 ? line : continued(i) ? `${line} ` : `${line};`)).join('') + '\n';
}
