import { kubectlRead } from './kubectl';
import { canonicalJson, objectsOf } from './same-reading';
import { readDocument } from '../../src/cli/yaml/read';

// The reader of src/cli/yaml/ against kubectl's own: the same objects, or an error where kubectl errs.

const H = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\n';

const DOCUMENTS: Array<[string, string]> = [
  ['NEL and LS in quoted scalars (NEL folds to a space, LS stays)', `${H}data:\n  a: "x\u0085y"\n  b: "x\u2028y"\n  c: 'x\u0085y'\n  d: "x \u0085  y"\n`],
  ['NEL inside a plain scalar', `${H}data:\n  a: x\u0085 y\n`],
  ['`?` inside a flow plain scalar', `${H}data: {a: b?c, d: [e?f]}\n`],
  ['a merge key after an explicit key', `${H}x:\n  command: [/real]\n  <<: {command: [/base], d: 1}\n`],
  ['a merge key before an explicit key', `${H}x:\n  <<: {command: [/base], d: 1}\n  command: [/real]\n`],
  ['a list of merged maps', `${H}b: &b {a: 1, b: 2}\nc: &c {a: 3, c: 4}\nx:\n  <<: [*b, *c]\n  b: 5\n`],
  ['a merge inside an anchored map, merged again', `${H}dd: &d\n  a: 1\n  <<: {a: 2}\nee:\n  <<: *d\n  a: 3\n`],
  ['duplicate keys', `${H}x: 1\nx: 2\ny: {a: 1, a: 2}\n`],
  ['block scalars with indicators', `${H}data:\n  lit: |2-\n      two\n    one\n  fold: >+\n    a\n    b\n\n    c\n\n\n  keep: |+\n    x\n\n`],
  ['folded scalar with more-indented lines', `${H}x: >-\n\n  folded\n   more\n  back\n`],
  ['tags', `${H}data:\n  s: !!str 123\n  i: !!int "12"\n  f: !!float 1\n  b: !!bool yes\n  bin: !!binary aGVsbG8=\n  loc: !foo bar\n  ns: ! 12\n  ts: !!timestamp 2001-12-14\n`],
  ['escapes and folding', `${H}data:\n  a: 'it''s'\n  b: "tab\\there \\x41\\u00e9\\U0001F600 \\N \\_ \\L \\P"\n  c: "multi\n    line\n\n    para"\n  d: plain\n    continued\n      more\n`],
  ['an escaped line break', `${H}x: "a\\\n  b"\n`],
  ['tabs after values', `${H}data:\n  a:\tb\n  c: d\t# comment\n`],
  ['flow collections with a complex key and a bare key', `${H}data: {a: 1, b: [1, 2, {c: d}], ? e : f, g}\n`],
  ['explicit keys', `${H}data:\n  ? complex\n  : value\n  ? [a, b]\n`],
  ['a BOM', `\ufeff${H}data: {a: "1"}\n`],
  ['CRLF line ends', `${H}data:\n  a: b\n  c: "d\n    e"\n`.replace(/\n/g, '\r\n')],
  ['quoted and block keys', `${H}data:\n  "quoted key": 1\n  'single': 2\n  ? |\n    block key\n  : 3\n`],
  ['anchors and aliases', `${H}data:\n  a: &anc value\n  b: *anc\n  c: [*anc, *anc]\n`],
  ['indentless and nested sequences', `${H}list:\n- a\n- b:\n  - c\n  - d\n- - e\n  - f\n`],
  ['comments', `${H}data:\n  a: 1 # c\n  # full\n  b: "#not"\n  c: a#b\n  d: a #b\n`],
  ['nulls', `${H}data:\n  x: ~\n  y:\n  z: null\n  w: ""\n  e: !!null ""\n`],
  ['Go integer literals', `${H}x: 0o17\ny: 0X1F\nz: 0B11\n`],
  ['colons in plain scalars', `${H}data:\n  url: http://x:80/y\n  t: 12:30:45\n  v: 1.30\n`],
  ['trailing commas in flow collections', `${H}seq: [a, b, ]\nmap: {a: 1, }\n`],
  ['tags and anchors without content', `${H}a: !!str\nb: !!null\nc: &x\n`],
  ['float keys', `${H}x:\n  1.5: a\n  1e10: b\n  0.1: c\n`],
  ['integers beyond 2^53', `${H}x: 9007199254740993\n9007199254740993: x\n`],
  ['9,000 levels of flow nesting', `${H}x: ${'['.repeat(9000)}${']'.repeat(9000)}\n`],
  ['3,000 levels of block nesting', `${H}x:\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 1)}k${i}:\n`).join('')}${' '.repeat(3001)}v\n`],
  ['200 aliases of one map', `${H}a: &a {p: 1, q: 2}\n${Array.from({ length: 200 }, (_, i) => `k${i}: *a\n`).join('')}`],
  ['a 1,020-character key', `${H}data:\n  ${'k'.repeat(1020)}: v\n`],
  ['a key naming `items` (kubectl reads any such object as a list)', 'apiVersion: batch/v1\nkind: JobList\nitems:\n- apiVersion: batch/v1\n  kind: Job\n  metadata: {name: j}\n'],
  // What kubectl refuses, the reader refuses.
  ['10,001 levels of flow nesting', `${H}x: ${'['.repeat(10001)}${']'.repeat(10001)}\n`],
  ['an alias bomb', `${H}a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n`],
  ['a 1,100-character key', `${H}data:\n  ${'k'.repeat(1100)}: v\n`],
  ['an unknown alias', `${H}x: *nope\n`],
  ['an alias inside its own anchor', `${H}x: &a [*a]\n`],
  ['a merge of scalars', `${H}x:\n  <<: [a, b]\n`],
  ['a list key', `${H}x:\n  ? [a]\n  : 1\n`],
  ['a null key', `${H}x:\n  ~: 1\n`],
  ['a uint64 key', `${H}18446744073709551615: x\n`],
  ['the escape \\/ (YAML 1.2 only)', `${H}x: "\\/"\n`],
  ['a tag that does not fit the value', `${H}x: !!int 1.5\n`],
  ['invalid base64', `${H}x: !!binary "###"\n`],
  ['a value after a flow collection', `${H}x: {a: b}x\n`],
  ['a DEL character', `${H}x: \x7f\n`],
  ['a C1 control character', `${H}x: \u0086\n`],
  ['a tab as indentation', `${H}x:\n\t- a\n`],
  ['a tab in a block scalar\'s indentation', `${H}x: |\n  \ta\n\tb\n`],
  ['a mapping value in a plain scalar', `${H}x: a: b\n`],
  ['%YAML 1.2', `%YAML 1.2\n---\n${H}`],
];

describe('the YAML reader reads as kubectl reads', () => {
  const readings = kubectlRead(DOCUMENTS.map(([, text]) => text));

  test.each(DOCUMENTS.map(([title, text], i) => [title, text, i] as const))('%s', (_, text, i) => {
    const kubectl = readings[i];
    let mine: unknown[] | undefined;
    try {
      mine = objectsOf(readDocument(text).value);
    } catch (e) {
      expect({ error: (e as Error).message, kubectl }).toEqual({ error: expect.any(String), kubectl: { error: expect.any(String) } });
      return;
    }
    if ('error' in kubectl) throw new Error(`kubectl refuses what the reader accepts: ${kubectl.error}`);
    expect(canonicalJson(mine)).toBe(canonicalJson(kubectl.objects));
  });
});
