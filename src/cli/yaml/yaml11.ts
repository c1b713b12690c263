import { Document, DocumentOptions, isScalar, ParseOptions, SchemaOptions, ToStringOptions, visit } from 'yaml';

// YAML 1.1 as Kubernetes tools read it (kubectl, Helm and the API server go through
// sigs.k8s.io/yaml, which wraps go-yaml v2: a YAML 1.1 parser): `0644` is an octal int, `on`/`y`/`no`
// are bools, `<<` merges maps. The `yaml` package implements the same rules with version '1.1'
// and merge keys on; cdk8s's own Yaml class reads with version '1.1' for the same reason.

// Where go-yaml v2 (hence Kubernetes) reads plain scalars differently from the `yaml` package's 1.1
// schema, reading follows go-yaml (resolve.go, decode.go):
// - sexagesimal `1:20` is the string "1:20", not 80 (go-yaml has no base-60 numbers);
// - a timestamp `2001-12-14` decoded into interface{} stays a string ("for backward compatibility");
// - floats match `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`: `E0`, `e5` and `.` are strings.
// Writing keeps the whole 1.1 schema, so a new string any 1.1 reader could take for a number or a
// date is quoted.
const GO_YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const FLOAT = 'tag:yaml.org,2002:float';

let kubernetesTagList: any[] | undefined;

/** The 1.1 schema's tags with go-yaml's rules; made once, since every parse asks for them. */
function kubernetesTags(tags: any[]): any[] {
  kubernetesTagList ??= tags
    .filter((t) => t.format !== 'TIME' && t.tag !== 'tag:yaml.org,2002:timestamp')
    .filter((t) => !(t.tag === FLOAT && t.format === 'EXP'))
    .map((t) => (t.tag === FLOAT && t.format === undefined && !t.test?.test('.inf')
      ? { ...t, test: GO_YAML_FLOAT, resolve: (str: string) => parseFloat(str.replace(/_/g, '')) }
      : t));
  return kubernetesTagList;
}

/** How every document is parsed. */
export const YAML11: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  merge: true,
  keepSourceTokens: true,
  prettyErrors: false,
  customTags: kubernetesTags,
};

/** How every new value is written: never folded, so a value is one line or a block scalar. */
export const WRITE: DocumentOptions & SchemaOptions & ToStringOptions = {
  version: '1.1',
  lineWidth: 0,
  minContentWidth: 0,
  doubleQuotedMinMultiLineLength: Number.MAX_SAFE_INTEGER,
  indentSeq: true,
};

// Characters a YAML 1.1 reader must not meet raw (YAML 1.1 spec §5.1 c-printable: tab, LF, CR,
// 0x20-0x7E, 0x85, 0xA0-0xD7FF, 0xE000-0xFFFD, astral planes) and the ones it reads as line breaks
// inside a scalar (§5.4: NEL 0x85, LS 0x2028, PS 0x2029; a BOM inside a stream is dropped by some
// readers). A string with any of them, or a CR, is written double-quoted with escapes.
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[^\x09\x0a\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]/u;
// eslint-disable-next-line no-control-regex
const RAW_IN_OUTPUT = /[\x85\u2028\u2029\ufeff\ufffe\uffff]/g;
const NAMED_ESCAPES: Record<string, string> = { '\x85': '\\N', '\u2028': '\\L', '\u2029': '\\P' };

/** True when writing `s` needs double quotes with escapes. */
export function needsEscapes(s: string): boolean {
  return NEEDS_ESCAPE.test(s);
}

/**
 * The YAML text of a value: a document holding just it, ending without a line break. Strings that
 * another YAML 1.1 type would claim (`"on"`, `"0644"`, `"1:20"`, `"1_000"`) come out quoted because
 * the document uses the 1.1 schema.
 */
export function stringifyValue(value: unknown, flow = false): string {
  // Most of what MeshJob adds is the same in every Job of a stream (init container, volume, rules,
  // annotations): each distinct value is written once.
  const key = jsonKey(value);
  const cached = key === undefined ? undefined : written.get(`${flow}${key}`);
  if (cached !== undefined) return cached;
  const text = stringifyUncached(value, flow);
  if (key !== undefined) {
    if (written.size >= 256) written.clear();
    written.set(`${flow}${key}`, text);
  }
  return text;
}

const written = new Map<string, string>();

/** JSON of a value made only of JSON types (no dates, binary, maps, non-finite numbers), else undefined. */
function jsonKey(value: unknown): string | undefined {
  return isPlainJson(value) ? JSON.stringify(value) : undefined;
}

function isPlainJson(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(isPlainJson);
  return Object.prototype.toString.call(v) === '[object Object]' && Object.values(v as object).every(isPlainJson);
}

function stringifyUncached(value: unknown, flow: boolean): string {
  if (!flow) {
    const long: string[] = [];
    const text = spliceLongStrings(stringifyDocument(withoutLongStrings(value, long)), long);
    if (text !== undefined) return text;
  }
  return stringifyDocument(value, flow);
}

function stringifyDocument(value: unknown, flow = false): string {
  const doc = new Document(value, WRITE);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && needsEscapes(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  if (flow && doc.contents && !isScalar(doc.contents)) (doc.contents as any).flow = true;
  // The `yaml` package leaves NEL, LS, PS and a BOM raw inside double quotes (JSON.stringify does);
  // they only ever occur inside the double-quoted scalars forced above, where an escape means the same.
  const text = doc.toString(WRITE).replace(RAW_IN_OUTPUT, (c) => NAMED_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

// Long multi-line strings (the wrapper script, the same in every wrapped container) are written
// once as a block scalar and reused: the value is written with a placeholder in their place, and
// each placeholder line gets the block's header and its lines, indented under the node that holds it.
const LONG = 512;
const PLACEHOLDER = 'meshjob-long-string-';
const blocks = new Map<string, string[] | undefined>();

function withoutLongStrings(value: unknown, long: string[]): unknown {
  if (typeof value === 'string') {
    if (value.length < LONG || !value.includes('\n') || needsEscapes(value)) return value;
    long.push(value);
    return `${PLACEHOLDER}${long.length - 1}`;
  }
  if (Array.isArray(value)) return value.map((v) => withoutLongStrings(v, long));
  if (value && Object.prototype.toString.call(value) === '[object Object]') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, withoutLongStrings(v, long)]));
  }
  return value;
}

/** `text` with its placeholders replaced by their blocks; undefined when one is where a block cannot go. */
function spliceLongStrings(text: string, long: string[]): string | undefined {
  if (long.length === 0) return text;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^( *)((?:- )*)([^ -][^:]*: )?meshjob-long-string-(\d+)$/.exec(line);
    if (!line.includes(PLACEHOLDER)) {
      out.push(line);
      continue;
    }
    const block = m ? blockOf(long[Number(m[4])]) : undefined;
    if (!m || !block) return undefined;
    // The node holding the block starts at its key, or else at its sequence dash.
    const parent = m[1].length + m[2].length - (m[3] ? 0 : 2);
    const pad = ' '.repeat(Math.max(parent, 0));
    out.push(`${m[1]}${m[2]}${m[3] ?? ''}${block[0]}`, ...block.slice(1).map((l) => (l === '' ? l : pad + l)));
  }
  return out.join('\n');
}

/** A string as a block scalar under a key at column 0: its header and its lines; undefined if not a block. */
function blockOf(s: string): string[] | undefined {
  if (!blocks.has(s)) {
    if (blocks.size >= 64) blocks.clear();
    const lines = stringifyDocument({ k: s }).split('\n');
    blocks.set(s, /^k: [|>]/.test(lines[0]) ? [lines[0].slice(3), ...lines.slice(1)] : undefined);
  }
  return blocks.get(s);
}
