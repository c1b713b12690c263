// Writes JSON values as block YAML that kubectl (go-yaml v2), YAML 1.1 readers (PyYAML) and YAML 1.2
// readers all read back as those values:
// - a string goes plain only when every one of them reads it back as that string (resolve.ts
//   `isPlainSafe`), in single quotes when it has no line break and nothing to escape, as a literal
//   block (`|`) when it has several lines of printable text, else in double quotes with escapes;
// - NEL, LS, PS and the BOM, which YAML 1.1 readers take for line breaks or drop, are always escaped
//   (`\N`, `\L`, `\P`, `\uFEFF`), and `\/`, which go-yaml v2 does not know, is never written;
// - a float always has a `.` (PyYAML reads `1e-07` as a string); an integer beyond 2^53 is a bigint
//   (read.ts), written with every digit.
import { isPlainSafe } from './resolve';

/** Thrown when a value cannot be written so that it reads back the same. */
export class CannotWrite extends Error {}

// Characters that need no escape inside quotes or a block: printable text and the tab
// (YAML 1.1 §5.1), without NEL, LS, PS, the BOM and the C1 controls.
// eslint-disable-next-line no-control-regex
const PRINTABLE = /^(?:[\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]|[\ud800-\udbff][\udc00-\udfff])*$/;

/**
 * A scalar as one line of YAML (a plain, single- or double-quoted scalar). In a flow collection
 * (`flow`), a plain scalar also holds none of `,[]{}` (which end it), nor `?` (go-yaml v2 ends a
 * plain scalar there too) and `:` (older PyYAML refuses it there).
 */
export function inlineScalar(value: unknown, flow = false): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'string') throw new CannotWrite(`not a scalar: ${typeof value}`);
  return flow ? stringText(value, true) : remember(scalars, value, () => stringText(value, false));
}

function stringText(value: string, flow: boolean): string {
  if (isPlainSafe(value) && !(flow && /[,[\]{}?:#]/.test(value))) return value;
  if (!/[\n\r]/.test(value) && PRINTABLE.test(value)) return `'${value.replace(/'/g, '\'\'')}'`;
  return doubleQuoted(value);
}

function numberText(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (n === Infinity) return '.inf';
  if (n === -Infinity) return '-.inf';
  if (Number.isInteger(n)) {
    if (!Number.isSafeInteger(n)) throw new CannotWrite(`the number ${n} is beyond what JavaScript holds exactly`);
    return String(n);
  }
  const s = String(n);
  const [mantissa, exponent] = s.split('e');
  return exponent === undefined ? s : `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}e${exponent}`;
}

const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '"': '\\"',
  '\n': '\\n',
  '\t': '\\t',
  '\r': '\\r',
  '\0': '\\0',
  '\x85': '\\N',
  '\u2028': '\\L',
  '\u2029': '\\P',
};

function doubleQuoted(s: string): string {
  // eslint-disable-next-line no-control-regex
  return `"${s.replace(/[\\"\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => {
    if (ESCAPES[c]) return ESCAPES[c];
    const code = c.charCodeAt(0);
    if (code >= 0xd800 && code <= 0xdfff) throw new CannotWrite('a string holds half of a UTF-16 surrogate pair');
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  })}"`;
}

/**
 * A literal block scalar's header and lines (without indentation), or undefined when the string
 * is not one: it must have several lines of printable text, no CR, and a first line that starts
 * with neither a space nor a tab (which would need an indentation indicator, which readers place
 * differently).
 */
function literalBlock(s: string): { header: string; lines: string[] } | undefined {
  if (!s.includes('\n') || s.includes('\r') || !PRINTABLE.test(s) || /^[ \t\n]/.test(s)) return undefined;
  const body = s.replace(/\n+$/, '');
  const trailing = s.length - body.length;
  const header = trailing === 0 ? '|-' : trailing === 1 ? '|' : '|+';
  const lines = body.split('\n');
  for (let i = 1; i < trailing; i++) lines.push('');
  return { header, lines };
}

const pad = (n: number) => ' '.repeat(n);
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Lines of block YAML. */
export interface Lines {
  readonly lines: string[];
  /** True when the last line is inside a block scalar (nothing may follow it on that line). */
  readonly endsInBlock: boolean;
}

// Most of what MeshJob adds is the same in every Job of a stream (its init container, volumes,
// failure rules, and the wrapper script in each command): each distinct string is written once,
// and its text reused.
const scalars = new Map<string, string>();
const blocks = new Map<string, { header: string; lines: string[] } | null>();

function remember<T>(map: Map<string, T>, key: string, make: () => T): T {
  let v = map.get(key);
  if (v === undefined) {
    if (map.size >= 4096) map.clear();
    v = make();
    map.set(key, v);
  }
  return v;
}

/** A mapping's entries as lines at `column`. */
export function mapLines(obj: Record<string, unknown>, column: number): Lines {
  const out: string[] = [];
  let endsInBlock = false;
  for (const key of Object.keys(obj)) {
    const k = inlineScalar(key);
    if (k.length > 1000) throw new CannotWrite('a key longer than 1,000 characters cannot be a simple key');
    endsInBlock = after(`${pad(column)}${k}:`, obj[key], column, out);
  }
  return { lines: out, endsInBlock };
}

/** A sequence's items as `- ` lines with their dash at `column`. */
export function seqLines(items: unknown[], column: number): Lines {
  const out: string[] = [];
  let endsInBlock = false;
  for (const item of items) endsInBlock = after(`${pad(column)}-`, item, column, out, true);
  return { lines: out, endsInBlock };
}

/**
 * A value as it follows `head` (a key and its colon, or a dash): a scalar on the same line, a
 * mapping or sequence on the lines after it, two columns in (an item's first entry on the dash's
 * line). Returns whether the last line is inside a block scalar.
 */
function after(head: string, value: unknown, column: number, out: string[], item = false): boolean {
  const inner = Array.isArray(value) && value.length > 0 ? seqLines(value, column + 2)
    : isMap(value) && Object.keys(value).length > 0 ? mapLines(value, column + 2) : undefined;
  if (inner) {
    if (item) {
      out.push(`${head} ${inner.lines[0].slice(column + 2)}`, ...inner.lines.slice(1));
    } else {
      out.push(head, ...inner.lines);
    }
    return inner.endsInBlock;
  }
  const block = typeof value === 'string' && value.includes('\n') ? remember(blocks, value, () => literalBlock(value) ?? null) : undefined;
  if (block) {
    out.push(`${head} ${block.header}`, ...block.lines.map((l) => (l === '' ? '' : pad(column + 2) + l)));
    return true;
  }
  out.push(`${head} ${Array.isArray(value) ? '[]' : isMap(value) ? '{}' : inlineScalar(value)}`);
  return false;
}

/**
 * A value written where a node starts at `column` on a line that already holds what comes before
 * it (a key's colon and space, or a dash and space): its first line without indentation, the rest
 * indented for that column.
 */
export function nodeAt(value: unknown, column: number): Lines {
  if (Array.isArray(value) && value.length > 0) return stripFirst(seqLines(value, column), column);
  if (isMap(value) && Object.keys(value).length > 0) return stripFirst(mapLines(value, column), column);
  const out: string[] = [];
  // A scalar: written as an item's would be, then the dash taken off.
  const endsInBlock = after('-', value, column - 2, out, true);
  out[0] = out[0].slice(2);
  return { lines: out, endsInBlock };
}

function stripFirst(l: Lines, column: number): Lines {
  return { lines: [l.lines[0].slice(column), ...l.lines.slice(1)], endsInBlock: l.endsInBlock };
}

/** A key and its value as lines, the key at `column` and written as `keyText`. */
export function entryLines(keyText: string, value: unknown, column: number): Lines {
  const out: string[] = [];
  const endsInBlock = after(`${pad(column)}${keyText}:`, value, column, out);
  return { lines: out, endsInBlock };
}

/** A value in flow style, on one line: `{key: value, ...}`, `[item, ...]` or a scalar. */
export function flowText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flowText).join(', ')}]`;
  if (isMap(value)) return `{${Object.keys(value).map((k) => `${flowKey(k)}: ${flowText(value[k])}`).join(', ')}}`;
  return inlineScalar(value, true);
}

/** A key of a flow mapping. */
export function flowKey(key: string): string {
  const k = inlineScalar(key, true);
  if (k.length > 1000) throw new CannotWrite('a key longer than 1,000 characters cannot be a simple key');
  return k;
}

/** A whole document's value as lines at column 0. */
export function documentLines(value: unknown): Lines {
  if (isMap(value) && Object.keys(value).length > 0) return mapLines(value, 0);
  if (Array.isArray(value) && value.length > 0) return seqLines(value, 0);
  return nodeAt(value, 2);
}
