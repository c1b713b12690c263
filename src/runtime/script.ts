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
 * of `features`, without comment lines, indentation or blank lines, on one line, its names
 * shortened (shorten()). @internal
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
    // (A name FACTS lacks stays as written: test/runtime/settings.test.ts finds none in any script.)
    script = shorten(joinLines(lines).replace(/@([A-Z_]+)@/g, (all, name: string) => {
      if (name === 'SETTINGS') return Object.entries(SETTING_NAMES).map(([long, short]) => `${long}:${short}`).join(' ');
      return name in FACTS ? String(FACTS[name]) : all;
    }));
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

/**
 * The wrapper's settings, by the name a pod's settings argument gives them (after the prefix
 * MESHJOB_), and the short name the script copies each one to (after "_"). @internal
 */
export const SETTING_NAMES: Record<string, string> = {
  CONTAINER: 'C',
  DIR: 'D',
  BUSYBOX: 'B',
  PROXY_READY: 'PR',
  READY_URL: 'R',
  READY_TIMEOUT: 'RT',
  READY_POLL: 'RP',
  REQUEST_TIMEOUT: 'T',
  ON_READY_TIMEOUT: 'OR',
  QUIT: 'Q',
  PROXY_QUIT: 'PQ',
  QUIT_DELAYS: 'QD',
  QUIT_WINDOW: 'QW',
  TERMINATION_LOG: 'L',
  KEEP_PROXY_ON_FAILURE: 'K',
  PEERS: 'P',
  ROLE: 'O',
  SIDECAR_POLL: 'SP',
  SIDECARS: 'S',
  SIDECAR_STOP_TIMEOUT: 'ST',
  POD_DIR: 'PD',
  MARKER: 'M',
  ON_NOT_INJECTED: 'NI',
  NATIVE: 'N',
  PORTS: 'PP',
  PATHS: 'PA',
};

/**
 * The functions and variables of wrapper.sh, renamed in a pod to `_` and a character or two: the
 * source keeps names a reader understands (phases by verb), the pod carries short ones. A name
 * listed here is renamed where it is code (a function, a variable, an arithmetic operand), never
 * in the words of a message.
 */
const FUNCTIONS = [
  'say', 'report', 'refuse', 'bound', 'now_cs', 'seen', 'client', 'result', 'reap', 'tick', 'http', 'for_signals',
  'pass_on', 'pod_read', 'pod_value', 'ignoring', 'read_pod', 'move_urls', 'wait_ready', 'on_signal', 'run_command',
  'all_done', 'record_exit', 'ignore', 'arm_quit', 'fire', 'quit', 'kill_named', 'stop_sidecars', 'finish',
  'run_sidecar',
];
const VARIABLES = [
  'bound_int', 'quit_attempts', 'delay', 'up', 'now', 'token', 'seen_name', 'post', 'out', 'lines', 'line', 'why',
  'code', 'status', 'prev', 'before', 'signals', 'ticker', 'signal', 'pod_file', 'key', 'pod', 'value', 'nl', 'mark',
  'not_injected', 'inits', 'moves', 'port', 'moved', 'url', 'deadline', 'waiting_for', 'stopping', 'pid', 'sig', 'val',
  'rc', 'peer', 'dir', 'failed', 'alone', 'peer_rc', 'armed_step', 'armed_go', 'armed_stop', 'armed_client',
  'armed_timer', 'armed_status', 'armed', 'armed_pid', 'armed_sleep', 'attempt', 'answered', 'may', 'found', 'procs', 'd', 'comm',
  'step', 'planted', 'name', 'setting',
];

/**
 * Short names, the most used first: `_` and a lower-case letter or digit, then `_` and two. The
 * functions and the variables draw from the pool each (the shell keeps their names apart).
 */
function shortNames(names: string[], text: string): Map<string, string> {
  const pool = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const uses = (name: string) => text.split(new RegExp(`(?<![A-Za-z0-9_-])${name}(?![A-Za-z0-9_-])`)).length;
  const ranked = [...names].sort((a, b) => uses(b) - uses(a) || a.localeCompare(b));
  return new Map(ranked.map((name, i) => [name, i < pool.length ? `_${pool[i]}` : `_${pool[Math.floor(i / pool.length) - 1]}${pool[i % pool.length]}`]));
}

let allRenames: ReadonlyMap<string, string> | undefined;
/** Every rename of a pod's script: functions, variables, and settings to their short names. @internal */
export function scriptRenames(): ReadonlyMap<string, string> {
  if (!allRenames) {
    source ??= readFileSync(join(__dirname, 'wrapper.sh'), 'utf-8');
    allRenames = new Map([
      ...shortNames(FUNCTIONS, source),
      ...shortNames(VARIABLES, source),
      ...Object.entries(SETTING_NAMES).map(([long, short]): [string, string] => [`MESHJOB_${long}`, `_${short}`]),
    ]);
  }
  return allRenames;
}

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;

/**
 * The script with scriptRenames() applied and spaces around operators dropped, read as the shell reads
 * it: in code (and in single-quoted code such as a trap's action), an identifier is renamed unless
 * it touches "-" or "." (then it is a word such as quit-failed, not a name); in double quotes, only
 * a name after "$", "${" or inside "$((...))" is. @internal
 */
export function shorten(script: string, renames: ReadonlyMap<string, string> = scriptRenames()): string {
  let out = '';
  let i = 0;
  // The quoting in effect: code, single or double quotes, arithmetic, backquotes; nested as the shell nests them.
  const modes: Array<'code' | 'sq' | 'dq' | 'arith' | 'bq'> = ['code'];
  const mode = () => modes[modes.length - 1];
  const word = (renameBare: boolean): boolean => {
    IDENT.lastIndex = i;
    const m = IDENT.exec(script);
    if (!m) return false;
    const before = out[out.length - 1] ?? '';
    const after = script[i + m[0].length] ?? '';
    const named = before === '$' || out.endsWith('${') || out.endsWith('${#');
    const bare = renameBare && !/[A-Za-z0-9_.-]/.test(before) && !/[-.]/.test(after);
    out += (named || bare) && renames.has(m[0]) ? renames.get(m[0]) : m[0];
    i += m[0].length;
    return true;
  };
  while (i < script.length) {
    const c = script[i];
    const m = mode();
    if (c === '\\' && m !== 'sq') {
      out += script.slice(i, i + 2);
      i += 2;
    } else if (m === 'sq') {
      if (c === '\'') modes.pop();
      if (c === '\'' || !word(true)) {
        out += c;
        i++;
      }
    } else if (m === 'dq') {
      if (c === '"') {
        modes.pop();
        out += c;
        i++;
      } else if (script.startsWith('$((', i)) {
        modes.push('arith');
        out += '$((';
        i += 3;
      } else if (c === '`') {
        modes.push('bq');
        out += c;
        i++;
      } else if (!(out.endsWith('$') || out.endsWith('${') || out.endsWith('${#')) || !word(false)) {
        out += c;
        i++;
      }
    } else {
      // code, arithmetic and backquotes read alike
      if (m === 'arith' && script.startsWith('))', i)) {
        modes.pop();
        out += '))';
        i += 2;
      } else if (m === 'bq' && c === '`') {
        modes.pop();
        out += c;
        i++;
      } else if (c === '\'') {
        modes.push('sq');
        out += c;
        i++;
      } else if (c === '"') {
        modes.push('dq');
        out += c;
        i++;
      } else if (c === '`') {
        modes.push('bq');
        out += c;
        i++;
      } else if (script.startsWith('$((', i)) {
        modes.push('arith');
        out += '$((';
        i += 3;
      } else if (m === 'code' && c === ' ' && /^ *(\|\|?|&&|;;)/.test(script.slice(i)) && !/[<>]$/.test(out)) {
        // " | ", " || ", " && ", " ;;": the spaces before go
        i++;
      } else if (m === 'code' && c === ' ' && /(\|\|?|&&|[0-9]?[<>]\|?|>&|<&)$/.test(out) && !/^ *[&|]/.test(script.slice(i))) {
        // ... and the spaces after, and after a redirection operator
        i++;
      } else if (!word(true)) {
        out += c;
        i++;
      }
    }
  }
  return out;
}
