// Generated manifests for the differential test: Jobs, CronJobs, lists of them and documents that
// only mention them, written with every YAML form a reader can get wrong. Scalars come in every
// YAML 1.1, YAML 1.2 and Go-literal form, plain, single- and double-quoted and as block scalars;
// collections in block and flow style; anchors, aliases, merge keys in every order, duplicate
// keys, comments, CRLF, a BOM, NEL/LS/PS, and null or empty values in the Job fields MeshJob reads
// and writes. The text is what is tested; what it means is whatever kubectl reads.
import * as fc from 'fast-check';
import { resolvePlain } from '../../src/cli/yaml/resolve';

/** Words each YAML reader types differently: 1.1 bools and nulls, 1.2 and Go number forms, dates. */
export const TRICKY_WORDS = [
  'y', 'Y', 'n', 'N', 'yes', 'Yes', 'NO', 'on', 'On', 'OFF', 'off', 'true', 'False', 'TRUE', '~', 'null', 'Null', 'NULL',
  '0', '00', '08', '0644', '0777', '0o17', '0O17', '0x1F', '0X1f', '0B11', '0b101', '+0x1F', '-0o7', '1_000', '0x_1F', '+12', '-0',
  '1e3', '1E3', '1e+3', '1.', '.5', '.5_0', '1_0.5', '1e400', '12e3', '0.0', '-.5e-3', '9223372036854775807', '9223372036854775808',
  '.inf', '-.Inf', '.NaN', 'inf', 'nan', '1:20', '1:30', '190:20:30', '1:20.5', '2001-12-14', '2001-12-14t21:59:43.10-05:00',
  '2001-12-14 21:59:43.10 -5', '12:30:45', '1.30', '<<', '=', '-', '--', '---x', '...x', '?', ':', 'a: b', 'a #b', 'a#b', '#c',
  '!tag', '&a', '*a', '%x', '@x', '`x', '|', '>', '[a]', '{a}', 'a,b', 'x?y', 'tab\there', 'é日本😀', 'back\\slash',
  'it\'s', 'say "hi"', ' lead', 'trail ', '', 'multi\nline', 'trailing\n', 'two\n\n', 'a\u0085b', 'a\u2028b', 'a\u2029b',
  '\ufeffbom', 'nul\u0000', 'bell\u0007', 'del\u007f', 'c1\u0086', 'crlf\r\nx',
];

const identifier = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
/** Any string a manifest may hold. */
const anyString = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...TRICKY_WORDS) },
  { weight: 2, arbitrary: identifier },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...TRICKY_WORDS), fc.constantFrom(' ', '\n', '\t', '', '/'), fc.constantFrom(...TRICKY_WORDS)).map(([a, s, b]) => `${a}${s}${b}`) },
);

type ScalarStyle = 'plain' | 'single' | 'double' | 'escaped' | 'literal' | 'folded';
/** A string and how to write it; `raw` keeps NEL, LS, PS raw inside quotes (where they mean a break). */
interface Str { readonly value: string; readonly style: ScalarStyle; readonly raw: boolean }
const str = (values: fc.Arbitrary<string> = anyString): fc.Arbitrary<Str> => fc.record({
  value: values,
  style: fc.constantFrom<ScalarStyle>('plain', 'plain', 'single', 'double', 'escaped', 'literal', 'folded'),
  raw: fc.boolean(),
});

/** A YAML node to write. */
type Node =
  | { readonly t: 'str'; readonly s: Str }
  | { readonly t: 'word'; readonly word: string }
  | { readonly t: 'map'; readonly entries: Entry[]; readonly flow: boolean; anchor?: string; readonly tag?: string }
  | { readonly t: 'seq'; readonly items: Node[]; readonly flow: boolean; anchor?: string; readonly indentless?: boolean }
  | { readonly t: 'alias'; readonly name: string };
type Entry =
  | { readonly key: Str; readonly value: Node; readonly comment?: string }
  | { readonly merge: Node };

const S = (value: string, style: ScalarStyle = 'plain'): Node => ({ t: 'str', s: { value, style, raw: false } });
const W = (word: string): Node => ({ t: 'word', word });
const E = (key: string, value: Node, keyStyle: ScalarStyle = 'plain'): Entry => ({ key: { value: key, style: keyStyle, raw: false }, value });

/** Values of fields MeshJob does not read: anything, nested, sometimes deep. */
const anyNode: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: str().map((s): Node => ({ t: 'str', s })) },
    { weight: 4, arbitrary: fc.constantFrom(...TRICKY_WORDS.filter((w) => isPlainWord(w))).map(W) },
    { weight: 1, arbitrary: fc.constantFrom('!!str 0o17', '!!int "12"', '!!float 1', '!!bool yes', '!!binary aGVsbG8=', '!custom x', '! 12', '!!null ""', '!!str', '&anc value').map(W) },
    {
      weight: 1,
      arbitrary: fc.record({ keys: fc.array(str(identifier), { maxLength: 4 }), values: fc.array(tie('node'), { maxLength: 4 }), flow: fc.boolean() })
        .map(({ keys, values, flow }): Node => ({ t: 'map', flow, entries: keys.map((k, i) => ({ key: k, value: values[i] ?? W('~') })) })),
    },
    {
      weight: 1,
      arbitrary: fc.record({ items: fc.array(tie('node'), { maxLength: 4 }), flow: fc.boolean(), indentless: fc.boolean() })
        .map(({ items, flow, indentless }): Node => ({ t: 'seq', items, flow, indentless })),
    },
  ),
})).node;

/** True for a word that is a well-formed plain scalar in block and flow context. */
function isPlainWord(w: string): boolean {
  return w !== '' && w === w.trim() && !/[\n\r\t\u0085\u2028\u2029\ufeff\x00-\x1f\x7f-\x9f]/.test(w) && !/^[-?:,[\]{}#&*!|>'"%@`]/.test(w) &&
    !/: |:$| #|[,[\]{}]/.test(w);
}

/** A string field's text as kubectl must read a string: plain only where go-yaml resolves it to that string. */
function stringish(s: Str): Str {
  if (s.style === 'plain' && (!isPlainWord(s.value) || resolvePlain(s.value) !== s.value || /^(<<|=)$/.test(s.value))) return { ...s, style: 'double' };
  return s;
}

const container = fc.record({
  name: fc.constantFrom('main', 'app', 'worker', 'c'),
  image: str(fc.constantFrom('registry.example.com/app:1', 'busybox', 'registry.example.com/app@sha256:0123', 'x')),
  command: fc.option(fc.tuple(str(fc.constantFrom('/app', '/bin/sh', 'python', '/usr/bin/env')), fc.array(str(), { maxLength: 4 })), { nil: undefined, freq: 5 }),
  args: fc.option(fc.array(str(), { maxLength: 3 }), { nil: undefined }),
  env: fc.option(fc.array(fc.tuple(identifier, str()), { maxLength: 3 }), { nil: undefined }),
  envForm: fc.constantFrom('list', 'null', 'empty', 'anchored', 'alias'),
  mounts: fc.constantFrom('absent', 'null', 'empty', 'list'),
  extra: fc.option(anyNode, { nil: undefined, freq: 3 }),
  merge: fc.constantFrom('none', 'none', 'first', 'middle', 'last', 'list'),
  duplicateCommand: fc.oneof({ weight: 12, arbitrary: fc.constant('none') }, { weight: 1, arbitrary: fc.constant('before') }, { weight: 1, arbitrary: fc.constant('after') }),
  flow: fc.boolean(),
  keyStyle: fc.constantFrom<ScalarStyle>('plain', 'plain', 'plain', 'double', 'single'),
});
type Container = typeof container extends fc.Arbitrary<infer T> ? T : never;

const nullish = fc.constantFrom('absent', 'null', 'tilde', 'empty-map', 'value');
const labels = fc.array(fc.tuple(fc.constantFrom('app', 'team', 'tier', 'example.com/owner'), str()), { maxLength: 3 });

/** One generated document: its structure and how to write it. */
export const document = fc.record({
  kind: fc.constantFrom('Job', 'Job', 'Job', 'CronJob', 'CronJob', 'List', 'JobList', 'ConfigMap', 'Widget'),
  containers: fc.array(container, { minLength: 1, maxLength: 3 }),
  initContainer: fc.boolean(),
  volumes: fc.constantFrom('absent', 'null', 'tilde', 'empty', 'list'),
  initContainers: fc.constantFrom('absent', 'null', 'empty'),
  restartPolicy: fc.constantFrom(undefined, 'Never', 'OnFailure'),
  labels,
  annotations: labels,
  podLabels: labels,
  podAnnotations: labels,
  metadataForm: nullish,
  podMetadataForm: nullish,
  annotationsForm: nullish,
  optOut: fc.constantFrom(false, false, false, false, true),
  skip: fc.constantFrom(false, false, false, false, false, true),
  podFailurePolicy: fc.constantFrom('absent', 'null', 'rules'),
  extras: fc.uniqueArray(fc.tuple(fc.constantFrom('x-extra', 'x-note', 'status'), anyNode), { maxLength: 2, selector: ([k]) => k }),
  comments: fc.boolean(),
  crlf: fc.constantFrom(false, false, false, true),
  bom: fc.constantFrom(false, false, false, false, true),
  marker: fc.constantFrom('---', '---', '--- # a comment'),
  flowTemplate: fc.constantFrom(false, false, false, true),
  anchorLabels: fc.boolean(),
  aliases: fc.constantFrom(0, 0, 0, 3, 150),
  // 800 levels in one of 40 documents that are not Jobs (about one in 180 documents, some 28 in
  // 5,000): enough to show such a document passes every route, rare enough that its text, which
  // grows with the square of its depth, does not make most of the test's time (cdk8s's writer takes
  // 0.6 s for one). test/cli/findings.test.ts passes 2,000 levels in every run.
  depth: fc.oneof({ weight: 39, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(40) }),
  duplicateKind: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  nameStyle: fc.constantFrom<ScalarStyle>('plain', 'double', 'single'),
});
export type DocumentModel = typeof document extends fc.Arbitrary<infer T> ? T : never;

/** The document's text; `n` makes its name unique in a stream. */
export function writeDocument(d: DocumentModel, n: number): string {
  const name = `gen-${n}`;
  let body: string;
  if (d.kind === 'List' || d.kind === 'JobList') {
    const items = [jobNode({ ...d, kind: 'Job' }, `${name}-a`), jobNode({ ...d, kind: 'CronJob' }, `${name}-b`)];
    body = write({
      t: 'map',
      flow: false,
      entries: [
        E('apiVersion', S(d.kind === 'List' ? 'v1' : 'batch/v1')), E('kind', S(d.kind)), E('metadata', { t: 'map', flow: false, entries: [E('name', S(name))] }),
        E('items', { t: 'seq', flow: false, items }),
      ],
    }, 0, d.comments);
  } else if (d.kind === 'ConfigMap' || d.kind === 'Widget') {
    body = write(otherNode(d, name), 0, d.comments);
  } else {
    body = write(jobNode(d, name), 0, d.comments);
  }
  const text = `${d.bom ? '\ufeff' : ''}${d.marker}\n${body}`;
  return d.crlf ? text.replace(/\r?\n/g, '\r\n') : text;
}

/** A document that is not a Job but says "Job": duplicate keys, many aliases, deep nesting. */
function otherNode(d: DocumentModel, name: string): Node {
  const entries: Entry[] = [
    E('apiVersion', S(d.kind === 'ConfigMap' ? 'v1' : 'example.com/v1')),
    // A quoted key makes the transformer read the document in full rather than judge it by its lines.
    E('kind', S(d.kind), d.nameStyle),
    E('metadata', { t: 'map', flow: false, entries: [E('name', S(name)), E('annotations', { t: 'map', flow: false, entries: [E('description', S('runs a Job nightly'))] })] }),
  ];
  const data: Entry[] = d.containers.flatMap((c) => c.args ?? []).map((s, i) => ({ key: { value: `k${i}`, style: 'plain' as const, raw: false }, value: { t: 'str', s } }));
  const anchored: Node = { t: 'map', flow: true, anchor: 'shared', entries: [E('a', W('1')), E('b', S('Job'))] };
  entries.push(E(d.kind === 'ConfigMap' ? 'data' : 'spec', { t: 'map', flow: false, entries: [...data, E('shared', anchored)] }));
  for (let i = 0; i < d.aliases; i++) entries.push(E(`alias${i}`, { t: 'alias', name: 'shared' }));
  if (d.depth > 0) entries.push(E('deep', nested(d.depth * 20)));
  if (d.duplicateKind) entries.push(E('x-dup', S('first')), E('x-dup', S('second')));
  for (const [k, v] of d.extras) entries.push(E(k, v));
  return { t: 'map', flow: false, entries };
}

function nested(depth: number): Node {
  let node: Node = S('Job');
  for (let i = 0; i < depth; i++) node = i % 2 === 0 ? { t: 'seq', flow: false, items: [node] } : { t: 'map', flow: false, entries: [E('k', node)] };
  return node;
}

function jobNode(d: DocumentModel, name: string): Node {
  const meta: Entry[] = [E('name', { t: 'str', s: { value: name, style: d.nameStyle, raw: false } })];
  const annotations = labelEntries(d.annotations);
  if (d.skip) annotations.push(E('meshjob/skip', S('true', 'double')));
  const jobLabels = labelEntries(d.labels);
  const aliasLabels = d.anchorLabels && jobLabels.length > 0 && !d.optOut;
  meta.push(...withForm('labels', jobLabels, jobLabels.length > 0 ? 'value' : 'absent', aliasLabels ? 'labels' : undefined));
  meta.push(...withForm('annotations', annotations, annotations.length > 0 ? 'value' : d.annotationsForm));
  const podLabels = labelEntries(d.podLabels);
  if (d.optOut) podLabels.push(E('sidecar.istio.io/inject', S('false', 'double')));
  const podMeta: Entry[] = [
    ...(aliasLabels ? [E('labels', { t: 'alias', name: 'labels' })] : withForm('labels', podLabels, podLabels.length > 0 ? 'value' : 'null')),
    ...withForm('annotations', labelEntries(d.podAnnotations), d.podMetadataForm),
  ];
  const base: Node = {
    t: 'map',
    flow: false,
    anchor: 'base',
    entries: [
      E('image', S('registry.example.com/base:1')), E('command', { t: 'seq', flow: true, items: [S('/base')] }),
      E('env', { t: 'seq', flow: false, items: [{ t: 'map', flow: true, entries: [E('name', S('FROM_BASE')), E('value', S('1', 'double'))] }] }),
    ],
  };
  const other: Node = { t: 'map', flow: true, anchor: 'other', entries: [E('imagePullPolicy', S('IfNotPresent')), E('command', { t: 'seq', flow: true, items: [S('/other')] })] };
  const pod: Entry[] = [];
  if (d.restartPolicy) pod.push(E('restartPolicy', S(d.restartPolicy)));
  const envAnchors: string[] = [];
  pod.push(E('containers', { t: 'seq', flow: false, indentless: d.comments, items: d.containers.map((c, i) => containerNode(c, i, envAnchors)) }));
  if (d.initContainer) pod.push(E('initContainers', { t: 'seq', flow: false, items: [{ t: 'map', flow: false, entries: [E('name', S('setup')), E('image', S('busybox')), E('command', { t: 'seq', flow: true, items: [S('/bin/true')] })] }] }));
  else pod.push(...withForm('initContainers', [], d.initContainers === 'empty' ? 'empty-list' : d.initContainers));
  const volumes: Node = { t: 'seq', flow: false, items: [{ t: 'map', flow: false, entries: [E('name', S('data')), E('emptyDir', { t: 'map', flow: true, entries: [] })] }] };
  if (d.volumes === 'list') pod.push(E('volumes', volumes));
  else if (d.volumes !== 'absent') pod.push(E('volumes', d.volumes === 'null' ? W('null') : d.volumes === 'tilde' ? W('~') : d.volumes === 'empty' ? { t: 'seq', flow: true, items: [] } : W('')));
  const template: Entry[] = [];
  template.push(...withForm('metadata', podMeta, podMeta.length > 0 ? 'value' : d.podMetadataForm));
  template.push(E('spec', { t: 'map', flow: d.flowTemplate, entries: pod }));
  const jobSpec: Entry[] = [E('backoffLimit', W('2')), E('template', { t: 'map', flow: false, entries: template })];
  if (d.podFailurePolicy === 'null') jobSpec.push(E('podFailurePolicy', W('null')));
  if (d.podFailurePolicy === 'rules') jobSpec.push(E('podFailurePolicy', { t: 'map', flow: false, entries: [E('rules', { t: 'seq', flow: true, items: [] })] }));
  const spec: Node = d.kind === 'CronJob'
    ? { t: 'map', flow: false, entries: [E('schedule', S('*/5 * * * *', 'double')), E('jobTemplate', { t: 'map', flow: false, entries: [E('spec', { t: 'map', flow: false, entries: jobSpec })] })] }
    : { t: 'map', flow: false, entries: jobSpec };
  const root: Entry[] = [E('apiVersion', S('batch/v1'))];
  if (d.duplicateKind) root.push(E('kind', S('ConfigMap')));
  root.push(E('kind', S(d.kind)), ...withForm('metadata', meta, d.metadataForm === 'value' || meta.length > 0 ? 'value' : d.metadataForm));
  root.push(E('x-defaults', { t: 'map', flow: false, entries: [E('base', base), E('other', other)] }));
  for (const [k, v] of d.extras) root.push(E(k, v));
  root.push(E('spec', spec));
  return { t: 'map', flow: false, entries: root };
}

function containerNode(c: Container, i: number, envAnchors: string[]): Node {
  const entries: Entry[] = [E('name', S(`${c.name}${i}`), c.keyStyle), E('image', { t: 'str', s: stringish(c.image) }, c.keyStyle)];
  const command = c.command && [c.command[0], ...c.command[1]].map((s) => ({ t: 'str', s: stringish(s) }) as Node);
  if (command) {
    const seq: Node = { t: 'seq', flow: c.flow, items: command };
    if (c.duplicateCommand === 'before') entries.push(E('command', { t: 'seq', flow: true, items: [S('/decoy')] }));
    entries.push(E('command', seq, c.keyStyle));
    if (c.duplicateCommand === 'after') entries.push(E('command', { t: 'seq', flow: true, items: [S('/decoy')] }));
  }
  if (c.args) entries.push(E('args', { t: 'seq', flow: !c.flow, items: c.args.map((s) => ({ t: 'str', s: stringish(s) })) }));
  const env: Node = { t: 'seq', flow: false, items: (c.env ?? []).map(([n, v]) => ({ t: 'map', flow: c.flow, entries: [E('name', S(`E_${n.toUpperCase()}`)), E('value', { t: 'str', s: stringish(v) })] })) };
  if (c.envForm === 'list' && c.env) entries.push(E('env', env));
  if (c.envForm === 'null') entries.push(E('env', W('')));
  if (c.envForm === 'empty') entries.push(E('env', { t: 'seq', flow: true, items: [] }));
  if (c.envForm === 'anchored' && c.env) {
    entries.push(E('env', { ...env, anchor: `env${i}` } as Node));
    envAnchors.push(`env${i}`);
  }
  if (c.envForm === 'alias' && envAnchors.length > 0) entries.push(E('env', { t: 'alias', name: envAnchors[0] }));
  if (c.mounts !== 'absent') {
    entries.push(E('volumeMounts', c.mounts === 'null' ? W('~') : c.mounts === 'empty' ? { t: 'seq', flow: true, items: [] }
      : { t: 'seq', flow: false, items: [{ t: 'map', flow: true, entries: [E('name', S('data')), E('mountPath', S('/data'))] }] }));
  }
  if (c.extra) entries.push(E('x-extra', c.extra));
  const merge: Entry = { merge: c.merge === 'list' ? { t: 'seq', flow: true, items: [{ t: 'alias', name: 'base' }, { t: 'alias', name: 'other' }] } : { t: 'alias', name: c.merge === 'middle' ? 'other' : 'base' } };
  if (c.merge === 'first' || c.merge === 'list') entries.unshift(merge);
  if (c.merge === 'middle') entries.splice(2, 0, merge);
  if (c.merge === 'last') entries.push(merge);
  return { t: 'map', flow: false, entries };
}

function labelEntries(pairs: Array<[string, Str]>): Entry[] {
  const seen = new Set<string>();
  return pairs.filter(([k]) => !seen.has(k) && !!seen.add(k)).map(([k, v]) => ({ key: { value: k, style: 'plain', raw: false }, value: { t: 'str', s: stringish(v) } }));
}

/** An entry for a map field written as a value, or as null, `~`, `{}`, `[]`, or left out. */
function withForm(key: string, entries: Entry[], form: string, anchor?: string): Entry[] {
  switch (form) {
    case 'absent': return [];
    case 'null': return [E(key, W(''))];
    case 'tilde': return [E(key, W('~'))];
    case 'empty-map': return [E(key, { t: 'map', flow: true, entries: [] })];
    case 'empty-list': return [E(key, { t: 'seq', flow: true, items: [] })];
    default: return [E(key, { t: 'map', flow: false, entries, anchor })];
  }
}

// --- writing ------------------------------------------------------------------------------

const pad = (n: number) => ' '.repeat(n);

function write(node: Node, indent: number, comments: boolean): string {
  return blockLines(node, indent, comments).join('\n') + '\n';
}

/** The lines of a block node at `indent`. */
function blockLines(node: Node, indent: number, comments: boolean): string[] {
  if (node.t === 'map' && !node.flow && node.entries.length > 0) {
    const out: string[] = [];
    node.entries.forEach((e, i) => {
      if (comments && i === 1) out.push(`${pad(indent)}# a comment between entries`);
      const key = 'merge' in e ? '<<' : scalar(e.key, 'key', indent);
      const value = 'merge' in e ? e.merge : e.value;
      out.push(...entry(`${pad(indent)}${key}:`, value, indent, comments));
    });
    return out;
  }
  if (node.t === 'seq' && !node.flow && node.items.length > 0) {
    return node.items.flatMap((item) => {
      const lines = blockLines(item, indent + 2, comments);
      const inline = (item.t === 'map' && !item.flow && item.entries.length > 0 && !item.anchor) || (item.t === 'seq' && !item.flow && item.items.length > 0 && !item.anchor);
      if (inline) return [`${pad(indent)}- ${lines[0].slice(indent + 2)}`, ...lines.slice(1)];
      return entry(`${pad(indent)}-`, item, indent, comments);
    });
  }
  return [`${pad(indent)}${inlineNode(node, indent)}`];
}

/** A key or a dash, and the value after it. */
function entry(head: string, value: Node, indent: number, comments: boolean): string[] {
  if ((value.t === 'map' && !value.flow && value.entries.length > 0) || (value.t === 'seq' && !value.flow && value.items.length > 0)) {
    const child = value.t === 'seq' && value.indentless && head.endsWith(':') ? indent : indent + 2;
    const props = [value.anchor ? `&${value.anchor}` : '', value.t === 'map' && value.tag ? value.tag : ''].filter((p) => p);
    return [[head, ...props].join(' '), ...blockLines(value, child, comments)];
  }
  if (value.t === 'str' && (value.s.style === 'literal' || value.s.style === 'folded') && /\n/.test(value.s.value) && !/^[ \t\n]/.test(value.s.value) &&
    !/[\r\u0085\u2028\u2029\ufeff\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(value.s.value)) {
    return blockScalar(head, value.s, indent);
  }
  const text = [head, inlineNode(value, indent)].filter((p) => p !== '').join(' ');
  return [comments && value.t !== 'word' ? `${text} # comment` : text];
}

function blockScalar(head: string, s: Str, indent: number): string[] {
  const body = s.value.replace(/\n+$/, '');
  const trailing = s.value.length - body.length;
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
  const lines = body.split('\n').map((l) => (l === '' ? '' : pad(indent + 2) + l));
  for (let i = 1; i < trailing; i++) lines.push('');
  return [`${head} ${s.style === 'literal' ? '|' : '>'}${chomp}`, ...lines];
}

/** A node written on one line (flow style). */
function inlineNode(node: Node, indent: number): string {
  switch (node.t) {
    case 'word': return node.word;
    case 'alias': return `*${node.name}`;
    case 'str': return scalar(node.s, 'flow', indent);
    case 'map': return `${node.anchor ? `&${node.anchor} ` : ''}{${node.entries.map((e) => ('merge' in e ? `<<: ${inlineNode(e.merge, indent)}` : `${scalar(e.key, 'flow-key', indent)}: ${inlineNode(e.value, indent)}`)).join(', ')}}`;
    case 'seq': return `${node.anchor ? `&${node.anchor} ` : ''}[${node.items.map((i) => inlineNode(i, indent)).join(', ')}]`;
    default: return '';
  }
}

/** A scalar's text in its style; a style that cannot hold the string falls back to double quotes. */
function scalar(s: Str, where: 'key' | 'flow' | 'flow-key', indent: number): string {
  const v = s.value;
  const flow = where !== 'key';
  if (s.style === 'plain' && isPlainWord(v) && !(flow && /[?]/.test(v) && where === 'flow-key')) return v;
  if ((s.style === 'single' || s.style === 'plain') && !/[\n\r\u0085\u2028\u2029\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff]/.test(v)) return `'${v.replace(/'/g, '\'\'')}'`;
  if (s.style === 'single' && s.raw && !/[\n\r\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f]/.test(v)) return `'${v.replace(/'/g, '\'\'')}'`;
  return doubleQuoted(v, s.style === 'escaped', s.raw, where === 'key' ? 0 : indent);
}

function doubleQuoted(v: string, escapeAll: boolean, raw: boolean, indent: number): string {
  let out = '';
  for (const ch of v) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += raw && indent > 0 ? `\\n\\\n${pad(indent + 2)}` : '\\n';
    else if ((c === 0x85 || c === 0x2028 || c === 0x2029) && raw) out += ch;
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0xfeff || c === 0xfffe || c === 0xffff) out += c === 0x85 ? '\\N' : c === 0x2028 ? '\\L' : c === 0x2029 ? '\\P' : `\\x${c.toString(16).padStart(2, '0')}`.replace(/^\\x(....)$/, '\\u$1');
    else if (escapeAll && c > 0x7e) out += c > 0xffff ? `\\U${c.toString(16).padStart(8, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
    else if (escapeAll && ch === ' ') out += '\\x20';
    else out += ch;
  }
  return `"${out}"`;
}
