import { Document, isAlias, isMap, isScalar, isSeq, Node, Pair, parseDocument, visit, YAMLMap, YAMLSeq } from 'yaml';
import { stringifyValue, YAML11 } from './yaml11';

// Writes a changed document by splicing its source text: only the values that differ between
// `before` and `after` are written anew; every other byte (comments, quoting, number forms, anchors,
// merge keys, indentation, line endings) stays as it was. Where the document shares nodes (anchors,
// aliases, merge keys) or names types (tags), an edit can change what another part means, so the
// result is read back with the same YAML 1.1 rules and must equal `after`; if it does not (an edit
// inside an anchored node that an alias repeats, say), the document is written whole from `after`
// instead, keeping its leading comments, and checked the same way. Splices into a document without
// them only touch the values they replace and the lines they add, so they are not read back: that
// read is most of the cost of a changed Job.

/** How a document was written. */
export type Rewrite = 'spliced' | 'rewritten';

interface Splice { readonly start: number; readonly end: number; readonly text: string }

/** Where a value sits, so that it can be written over whole. */
type Slot = { readonly kind: 'root' } | { readonly kind: 'pair'; readonly pair: Pair } | { readonly kind: 'item'; readonly node: unknown };

class CannotSplice extends Error {}

const PLACEHOLDER_KEY = 'meshjob-placeholder-key';

/**
 * The text of `doc` (parsed from `text` with YAML11) changed to mean `after`, `before` being what it
 * means now. Throws when no text that reads back as `after` could be written (a bug, not bad input).
 */
export function rewriteDocument(text: string, doc: Document, before: unknown, after: unknown): { text: string; how: Rewrite } {
  let spliced: string | undefined;
  try {
    spliced = new Splicer(text).edit(doc, before, after);
  } catch (e) {
    if (!(e instanceof CannotSplice)) throw e;
  }
  // Anchors (&), aliases (*) and tags (!) cannot be written without their sign: text without any needs no visit.
  const mayShare = /[&*!]/.test(text) && sharesNodes(doc);
  if (spliced !== undefined && (!mayShare || readsAs(spliced, after))) return { text: spliced, how: 'spliced' };
  const whole = rewriteWhole(text, doc, after);
  if (!readsAs(whole, after)) throw new Error('the rewritten document does not read back as the changed object');
  return { text: whole, how: 'rewritten' };
}

/** True when the document has anchors, aliases (merge keys use them) or explicit tags (the parser sets `tag` only for those). */
function sharesNodes(doc: Document): boolean {
  let shares = false;
  visit(doc, (_key, node) => {
    if (isAlias(node) || ((isScalar(node) || isMap(node) || isSeq(node)) && (node.anchor !== undefined || !!node.tag))) {
      shares = true;
      return visit.BREAK;
    }
    return undefined;
  });
  return shares;
}

/** True when `text` parses without errors and means `expected` under YAML 1.1. */
export function readsAs(text: string, expected: unknown): boolean {
  const doc = parseDocument(text, YAML11);
  return doc.errors.length === 0 && deepEqual(doc.toJS(), expected);
}

function rewriteWhole(text: string, doc: Document, after: unknown): string {
  const nl = text.includes('\r\n') ? '\r\n' : '\n';
  const contents = doc.contents as Node | null;
  const at = contents?.range ? lineStart(text, contents.range[0]) : text.length;
  let prefix = text.slice(0, at);
  // Keep the leading comments, BOM, directives and marker line; not content that shares the marker's line.
  if (contents?.range && text.slice(at, contents.range[0]).trimStart().startsWith('---')) prefix += `---${nl}`;
  return prefix + stringifyValue(after).split('\n').join(nl) + nl;
}

class Splicer {
  private readonly splices: Splice[] = [];
  private readonly nl: string;

  constructor(private readonly text: string) {
    this.nl = text.includes('\r\n') ? '\r\n' : '\n';
  }

  public edit(doc: Document, before: unknown, after: unknown): string {
    this.walk(doc.contents, before, after, { kind: 'root' });
    const sorted = this.splices.map((s, i) => ({ ...s, i })).sort((a, b) => a.start - b.start || a.i - b.i);
    let out = '';
    let at = 0;
    for (const s of sorted) {
      if (s.start < at) throw new CannotSplice('overlapping edits');
      out += this.text.slice(at, s.start) + s.text;
      at = s.end;
    }
    return out + this.text.slice(at);
  }

  private walk(node: unknown, before: unknown, after: unknown, slot: Slot): void {
    if (deepEqual(before, after)) return;
    if (isMap(node) && !node.flow && isPlainObject(before) && isPlainObject(after)) return this.walkMap(node, before, after, slot);
    if (isSeq(node) && !node.flow && Array.isArray(before) && Array.isArray(after) && node.items.length === before.length) {
      return this.walkSeq(node, before, after, slot);
    }
    this.replace(slot, after);
  }

  private walkMap(node: YAMLMap, before: Record<string, unknown>, after: Record<string, unknown>, slot: Slot): void {
    if (Object.keys(before).some((k) => !(k in after))) return this.replace(slot, after);
    const added: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(after)) {
      if (!(key in before)) {
        added[key] = value;
        continue;
      }
      if (deepEqual(before[key], value)) continue;
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      // A key that only comes from a merge (`<<: *base`) is overridden by an explicit one.
      if (pair) this.walk(pair.value, before[key], value, { kind: 'pair', pair });
      else added[key] = value;
    }
    if (Object.keys(added).length > 0) this.addPairs(node, added);
  }

  private walkSeq(node: YAMLSeq, before: unknown[], after: unknown[], slot: Slot): void {
    const n = before.length;
    const extra = after.length - n;
    if (extra === 0) {
      node.items.forEach((item, i) => this.walk(item, before[i], after[i], { kind: 'item', node: item }));
    } else if (extra > 0 && before.every((x, i) => deepEqual(x, after[i]))) {
      this.appendItems(node, after.slice(n));
    } else if (extra > 0 && before.every((x, i) => deepEqual(x, after[extra + i]))) {
      this.prependItems(node, after, extra, slot);
    } else {
      this.replace(slot, after);
    }
  }

  /** Writes a new value over a pair (keeping its key's text) or a sequence item. */
  private replace(slot: Slot, value: unknown): void {
    if (slot.kind === 'root') throw new CannotSplice('the document itself changes type');
    if (slot.kind === 'pair') {
      const key = slot.pair.key as Node;
      const val = slot.pair.value as Node | null;
      if (!key?.range) throw new CannotSplice('a key without a source range');
      const start = key.range[0];
      const end = this.trimBack(Math.max(key.range[1], val?.range?.[1] ?? 0));
      const lines = stringifyValue({ [PLACEHOLDER_KEY]: value }).split('\n');
      if (!lines[0].startsWith(PLACEHOLDER_KEY)) throw new CannotSplice('unexpected key form');
      lines[0] = this.text.slice(key.range[0], key.range[1]) + lines[0].slice(PLACEHOLDER_KEY.length);
      this.splices.push({ start, end, text: this.indent(lines, this.column(start), false) });
      return;
    }
    const item = slot.node as Node | null;
    if (!item?.range || item.anchor !== undefined || isAlias(item)) throw new CannotSplice('an item without its own source');
    // `- value` with the value's further lines two columns in: drop the dash and those two columns.
    const lines = stringifyValue([value]).split('\n').map((l) => l.slice(2));
    this.splices.push({ start: item.range[0], end: this.trimBack(item.range[1]), text: this.indent(lines, this.column(item.range[0]), false) });
  }

  private addPairs(node: YAMLMap, pairs: Record<string, unknown>): void {
    const first = node.items[0]?.key as Node | undefined;
    const last = node.items[node.items.length - 1];
    if (!first?.range || !last) throw new CannotSplice('a map without source ranges');
    const lastEnd = Math.max((last.key as Node).range?.[1] ?? 0, (last.value as Node | null)?.range?.[1] ?? 0);
    this.insertLines(lastEnd, stringifyValue(pairs).split('\n'), this.column(first.range[0]));
  }

  private appendItems(node: YAMLSeq, items: unknown[]): void {
    const last = node.items[node.items.length - 1] as Node | null;
    if (!last?.range) throw new CannotSplice('a sequence item without a source range');
    this.insertLines(last.range[1], stringifyValue(items).split('\n'), this.column(this.firstDash(node)));
  }

  private prependItems(node: YAMLSeq, after: unknown[], count: number, slot: Slot): void {
    const dash = this.firstDash(node);
    const start = lineStart(this.text, dash);
    // `- - x` or `key: - x` style: the first item does not start its line; write the whole sequence.
    if (this.text.slice(start, dash).trim() !== '') return this.replace(slot, after);
    this.splices.push({ start, end: start, text: this.indent(stringifyValue(after.slice(0, count)).split('\n'), dash - start, true) + this.nl });
  }

  private firstDash(node: YAMLSeq): number {
    const token = (node as any).srcToken;
    const dash = token?.items?.[0]?.start?.find((t: any) => t.type === 'seq-item-ind');
    if (typeof dash?.offset !== 'number') throw new CannotSplice('a sequence without its dash');
    return dash.offset;
  }

  /** Inserts whole lines after the line where `end` falls. */
  private insertLines(end: number, lines: string[], column: number): void {
    let at = end > 0 && this.text[end - 1] === '\n' ? end : this.text.indexOf('\n', end);
    let text = this.indent(lines, column, true) + this.nl;
    if (at < 0) {
      at = this.text.length;
      text = this.nl + text;
    } else if (this.text[at] === '\n') {
      at += 1;
    }
    this.splices.push({ start: at, end: at, text });
  }

  private indent(lines: string[], column: number, first: boolean): string {
    const pad = ' '.repeat(column);
    return lines.map((l, i) => ((i > 0 || first) && l !== '' ? pad + l : l)).join(this.nl);
  }

  private column(offset: number): number {
    return offset - lineStart(this.text, offset);
  }

  private trimBack(end: number): number {
    while (end > 0 && /\s/.test(this.text[end - 1])) end--;
    return end;
  }
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

const tagOf = (v: unknown): string => Object.prototype.toString.call(v);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return tagOf(v) === '[object Object]';
}

/**
 * Equality of the values YAML 1.1 documents read as (numbers, strings, bools, dates, binary, maps,
 * sets), whatever realm created them (structuredClone and the `yaml` package may differ under jest).
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const tag = tagOf(a);
  if (tag !== tagOf(b)) return false;
  if (tag === '[object Date]') return (a as Date).getTime() === (b as Date).getTime();
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }
  if (tag === '[object Map]' || tag === '[object Set]') return deepEqual([...(a as Map<unknown, unknown>).entries()], [...(b as Map<unknown, unknown>).entries()]);
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  // Maps are unordered in YAML: the same keys with the same values.
  const ka = Object.keys(a);
  const has = (k: string) => Object.prototype.hasOwnProperty.call(b, k);
  return ka.length === Object.keys(b).length && ka.every((k) => has(k) && deepEqual((a as any)[k], (b as any)[k]));
}
