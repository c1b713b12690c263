// What a plain scalar means, as kubectl reads it, and which strings may be written plain.
//
// kubectl, Helm and the API server read YAML through sigs.k8s.io/yaml, which wraps go-yaml v2
// (sigs.k8s.io/yaml v1.4.0, goyaml.v2/resolve.go `resolve`): a plain scalar is looked up in a table
// of bools, nulls, infinities and NaN; one that starts with a digit or a sign is tried as Go's
// `strconv.ParseInt(s, 0, 64)` with every `_` removed (so `0o17`, `0X1F`, `0B11`, `+0x1F` and `1_000`
// are numbers), then `ParseUint`, then as a float matching `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`;
// one that starts with `.` is tried as `strconv.ParseFloat`. Everything else is a string, including
// timestamps (decoded into interface{}, go-yaml keeps their text) and `<<` outside a key.
//
// Writing is stricter: a string goes plain only when go-yaml, a YAML 1.1 reader (PyYAML, the
// Kubernetes Python client's reader) and a YAML 1.2 reader all read it back as that same string.

/**
 * A scalar's value as go-yaml resolves it: a string, number, boolean or null; an integer beyond
 * 2^53 (which go-yaml holds exactly, as int64 or uint64) is a bigint.
 */
export type ScalarValue = string | number | bigint | boolean | null;

// goyaml.v2/resolve.go `resolveMapList`.
const GO_MAP = new Map<string, ScalarValue>();
for (const [value, words] of [
  [true, 'y Y yes Yes YES true True TRUE on On ON'],
  [false, 'n N no No NO false False FALSE off Off OFF'],
  [null, '~ null Null NULL'],
  [NaN, '.nan .NaN .NAN'],
  [Infinity, '.inf .Inf .INF +.inf +.Inf +.INF'],
  [-Infinity, '-.inf -.Inf -.INF'],
] as Array<[ScalarValue, string]>) {
  for (const word of words.split(' ')) GO_MAP.set(word, value);
}

/** goyaml.v2/resolve.go `yamlStyleFloat`. */
const GO_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** The value of a plain scalar (no tag, not quoted) as go-yaml resolves it, or the string itself. */
export function resolvePlain(s: string): ScalarValue {
  if (s === '') return null;
  const c = s.charCodeAt(0);
  const digit = c >= 0x30 && c <= 0x39;
  const sign = c === 0x2b || c === 0x2d;
  // The resolve table: only these first characters are looked up at all.
  if (!digit && !sign && c !== 0x2e && !'yYnNtTfFoO~'.includes(s[0])) return s;
  const mapped = GO_MAP.get(s);
  if (mapped !== undefined) return mapped;
  if (c === 0x2e) return goDotFloat(s) ?? s;
  if (!digit && !sign) return s;
  const plain = s.includes('_') ? s.replace(/_/g, '') : s;
  const int = goParseInt(plain);
  if (int !== undefined) return Number.isSafeInteger(Number(int)) ? Number(int) : int;
  if (GO_FLOAT.test(plain)) {
    const f = Number(plain);
    // strconv.ParseFloat fails with ErrRange beyond the float64 range: the scalar stays a string.
    if (Number.isFinite(f)) return f;
  }
  return s;
}

/**
 * `strconv.ParseInt(s, 0, 64)`, then `strconv.ParseUint(s, 0, 64)` (Go's strconv/atoi.go): an
 * optional sign (ParseInt only), a `0b`, `0o`, `0x` prefix in either case (with at least one more
 * character) or a leading `0` for octal, digits of that base. The value, or undefined when neither
 * accepts `s` (syntax or range).
 */
export function goParseInt(s: string): bigint | undefined {
  let i = 0;
  let negative = false;
  if (s[0] === '+' || s[0] === '-') {
    negative = s[0] === '-';
    i = 1;
  }
  const body = s.slice(i);
  if (body === '') return undefined;
  let base = 10;
  let digits = body;
  if (body[0] === '0') {
    const p = body.length >= 3 ? body[1].toLowerCase() : '';
    if (p === 'b' || p === 'o' || p === 'x') {
      base = p === 'b' ? 2 : p === 'o' ? 8 : 16;
      digits = body.slice(2);
    } else {
      base = 8;
      digits = body.slice(1);
    }
  }
  let n = 0n;
  const b = BigInt(base);
  for (let k = 0; k < digits.length; k++) {
    const d = digitValue(digits.charCodeAt(k));
    if (d < 0 || d >= base) return undefined;
    n = n * b + BigInt(d);
  }
  // ParseInt: [-2^63, 2^63-1]; with a failing ParseInt, ParseUint takes [0, 2^64-1] without a sign.
  const value = negative ? -n : n;
  if (value >= -INT64 && value < INT64) return value;
  if (i === 0 && value < UINT64) return value;
  return undefined;
}

const INT64 = 2n ** 63n;
const UINT64 = 2n ** 64n;

function digitValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x5a) return c - 0x41 + 10;
  return -1;
}

/**
 * `strconv.ParseFloat(s, 64)` for a scalar starting with `.` (Go's strconv/atof.go `readFloat` and
 * `underscoreOK`): digits, underscores only between digits, an optional exponent.
 */
function goDotFloat(s: string): number | undefined {
  if (!/^\.[0-9_]+([eE][-+]?[0-9_]+)?$/.test(s) || !/[0-9]/.test(s.split(/[eE]/)[0])) return undefined;
  // Go's underscoreOK: an underscore must sit between digits.
  if (/(^|[^0-9])_|_($|[^0-9])/.test(s)) return undefined;
  const f = Number(s.replace(/_/g, ''));
  return Number.isFinite(f) ? f : undefined;
}

// YAML 1.1's types (yaml.org/type/: bool, int, float, null, timestamp, merge, value) as PyYAML's
// resolver (pyyaml lib/yaml/resolver.py) and the `yaml` package's 1.1 schema match them.
const YAML11_NOT_STRING = new RegExp([
  '^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$',
  '^(?:~|null|Null|NULL)$',
  '^[-+]?(?:0b[0-1_]+|0[0-7_]+|(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)$',
  '^[-+]?(?:[0-9][0-9_]*)?\\.[0-9._]*(?:[eE][-+]?[0-9]+)?$',
  '^[-+]?[0-9][0-9_]*(?:\\.[0-9_]*)?[eE][-+]?[0-9]+$',
  '^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*$',
  '^[-+]?\\.(?:inf|Inf|INF)$',
  '^\\.(?:nan|NaN|NAN)$',
  '^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:(?:[Tt]|[ \\t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\\.[0-9]*)?(?:[ \\t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)?$',
  '^(?:<<|=)$',
].join('|'));

// YAML 1.2's core schema (spec 1.2.2 §10.3.2), which also covers the JSON schema.
const YAML12_NOT_STRING = new RegExp([
  '^(?:null|Null|NULL|~|true|True|TRUE|false|False|FALSE)$',
  '^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$',
  '^[-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$',
  '^(?:[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$',
].join('|'));

/** True when every reader named above reads the plain scalar `s` as the string `s`. */
export function readsAsStringEverywhere(s: string): boolean {
  return resolvePlain(s) === s && !YAML11_NOT_STRING.test(s) && !YAML12_NOT_STRING.test(s);
}

// Characters a plain scalar may hold as they are: printable ASCII but the tab, and printable
// non-ASCII (YAML 1.1 §5.1 c-printable) but NEL, LS and PS, which YAML 1.1 reads as line breaks
// (§5.4), and the BOM, which some readers drop.
// eslint-disable-next-line no-control-regex
const PLAIN_CHARS = /^(?:[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]|[\ud800-\udbff][\udc00-\udfff])*$/;

/**
 * True when `s` can be written as a plain scalar, as a block mapping's key or value or a block
 * sequence's item, and read back as the same string by go-yaml, YAML 1.1 and YAML 1.2 readers.
 */
export function isPlainSafe(s: string): boolean {
  if (s === '' || s !== s.trim() || !PLAIN_CHARS.test(s)) return false;
  // Indicators that start another kind of node, except `-` before a non-space (`-c`, `--flag`).
  if (/^[?:,[\]{}#&*!|>'"%@`]/.test(s) || s === '-' || /^- /.test(s)) return false;
  // A document marker, or what kubectl's stream reader takes for one (k8s.io/apimachinery
  // pkg/util/yaml/decoder.go, YAMLReader: any line starting with "---").
  if (s.startsWith('---') || s.startsWith('...')) return false;
  // A key/value separator or a comment inside.
  if (/: |:$| #/.test(s)) return false;
  return readsAsStringEverywhere(s);
}

/**
 * A map key as sigs.k8s.io/yaml writes it into JSON (yaml.go `convertToJSONableObject`): strings
 * as they are, integers in decimal, floats as Go's `strconv.FormatFloat(f, 'g', -1, 32)`, bools as
 * "true"/"false". Null, list and map keys have no JSON form: undefined.
 */
export function jsonKey(value: unknown, integerText?: string): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (integerText !== undefined) return integerText;
    return formatFloat32(value);
  }
  return undefined;
}

/** Go's `strconv.FormatFloat(f, 'g', -1, 32)`, with sigs.k8s.io/yaml's names for infinities and NaN. */
export function formatFloat32(f: number): string {
  if (Number.isNaN(f)) return '.nan';
  if (f === Infinity) return '.inf';
  if (f === -Infinity) return '-.inf';
  const x = Math.fround(f);
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  // The shortest decimal that reads back as the same float32.
  let digits = '';
  let exp = 0;
  for (let p = 1; p <= 9; p++) {
    const e = Math.abs(x).toExponential(p - 1);
    if (Math.fround(Number(e)) === Math.abs(x)) {
      const [m, ex] = e.split('e');
      digits = m.replace('.', '').replace(/0+$/, '') || '0';
      exp = Number(ex);
      break;
    }
  }
  const sign = x < 0 ? '-' : '';
  // %e when the exponent is < -4 or >= 6 (the shortest form's precision rule), else %f.
  if (exp < -4 || exp >= 6) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${whole}${frac ? `.${frac}` : ''}`;
}
