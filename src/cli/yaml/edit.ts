// Writes a changed document by splicing its text: only the values that differ between `before` and
// `after` are written anew (write.ts); every other byte (comments, quoting, number forms, anchors,
// indentation, line endings) stays as it was. A map in which a changed key is set twice (a
// duplicate key, or a merge key that brings it) is written anew, each key once, since the tools
// that read the output disagree on which setting wins.
//
// Where the document shares nodes (anchors, aliases, merge keys) or names types (tags), an edit
// can change what another part means, so the result is read back and must equal `after`; if it
// does not (an edit inside an anchored node that an alias repeats, say), the document is written
// whole from `after` instead, keeping its leading comments, and checked the same way.
import { isPlainObject, MapEntry, readDocument, ReadResult, SeqItem, SourceMap, SourceNode, SourceSeq } from './read';
import { CannotWrite, documentLines, entryLines, flowKey, flowText, Lines, mapLines, nodeAt, seqLines } from './write';

export { CannotWrite };

/** How a document was written. */
export type Rewrite = 'spliced' | 'rewritten';

interface Splice { readonly start: number; readonly end: number; readonly text: string }

/** Where a value sits, so that it can be written over whole; `flow` when its collection is in flow style. */
type Slot = { readonly kind: 'root' }
  | { readonly kind: 'pair'; readonly entry: MapEntry; readonly flow: boolean }
  | { readonly kind: 'item'; readonly item: SeqItem; readonly flow: boolean };

class CannotSplice extends Error {}

/** A changed document's text, in parts to write one after the other (most are slices of the original text). */
export interface EditedDocument {
  readonly parts: string[];
  readonly how: Rewrite;
}

/**
 * The text of a document (read with `readDocument` into `read`) changed to mean `after`, `before`
 * being its value. `units`, when given, is the depth at which the document holds independent
 * parts (the items of a KRM ResourceList, at depth 2): a part that cannot be edited in place, or
 * whose edit does not read back as its value in `after`, is written anew alone, and the others are
 * edited as finely as they can be; failing that, every changed part is written anew; failing that,
 * the whole document is. Throws CannotWrite when no text that reads back as `after` can be written.
 */
export function editDocument(text: string, read: ReadResult, before: unknown, after: unknown, units?: number): EditedDocument {
  const finest = splice(new Splicer(text, units), read, before, after);
  if (finest !== undefined && (!read.shares || readsAs(finest.join(''), after))) return { parts: finest, how: 'spliced' };
  if (units !== undefined) {
    const alone = finest === undefined ? undefined : partsReadOtherwise(finest.join(''), after, units);
    for (const parts of alone === undefined ? ['all' as const] : [alone, 'all' as const]) {
      const spliced = splice(new Splicer(text, units, parts), read, before, after);
      if (spliced !== undefined && readsAs(spliced.join(''), after)) return { parts: spliced, how: 'spliced' };
    }
  }
  const whole = rewriteWhole(text, read, after);
  if (!readsAs(whole, after)) throw new CannotWrite('the rewritten document does not read back as the changed object');
  return { parts: [whole], how: 'rewritten' };
}

function splice(splicer: Splicer, read: ReadResult, before: unknown, after: unknown): string[] | undefined {
  try {
    return splicer.edit(read.root, before, after);
  } catch (e) {
    if (!(e instanceof CannotSplice)) throw e;
    return undefined;
  }
}

/**
 * The values at depth `depth` of `after` (by identity) that `text` reads otherwise; undefined when
 * `text` cannot be read, or differs above that depth.
 */
function partsReadOtherwise(text: string, after: unknown, depth: number): Set<unknown> | undefined {
  let value: unknown;
  try {
    value = readDocument(text).value;
  } catch {
    return undefined;
  }
  const out = new Set<unknown>();
  const compare = (a: unknown, b: unknown, d: number): boolean => {
    if (d === depth) {
      if (!deepEqual(a, b)) out.add(a);
      return true;
    }
    if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => compare(x, b[i], d + 1));
    if (isPlainObject(a)) {
      return isPlainObject(b) && Object.keys(a).length === Object.keys(b).length
        && Object.keys(a).every((k) => Object.prototype.hasOwnProperty.call(b, k) && compare(a[k], b[k], d + 1));
    }
    return deepEqual(a, b);
  };
  return compare(after, value, 0) ? out : undefined;
}

/** True when `text` reads (as kubectl reads it) as `expected`. */
export function readsAs(text: string, expected: unknown): boolean {
  try {
    return deepEqual(readDocument(text).value, expected);
  } catch {
    return false;
  }
}

function rewriteWhole(text: string, read: ReadResult, after: unknown): string {
  const nl = text.includes('\r\n') ? '\r\n' : '\n';
  const at = read.value === undefined ? text.length : lineStart(text, read.contentStart);
  let prefix = text.slice(0, at);
  // Keep the leading comments, BOM, directives and marker line; not content that shares the marker's line.
  if (read.value !== undefined && text.slice(at, read.contentStart).trimStart().startsWith('---')) prefix += `---${nl}`;
  return prefix + documentLines(after).lines.join(nl) + nl;
}

class Splicer {
  private readonly splices: Splice[] = [];
  private readonly nl: string;

  /**
   * `units`: the depth of the document's independent parts, each edited on its own (one that
   * cannot be edited in place is written anew alone); `alone`: the parts (values of `after` at
   * that depth, by identity), or all of them, written anew whatever their edit would be.
   */
  constructor(private readonly text: string, private readonly units?: number, private readonly alone?: Set<unknown> | 'all') {
    this.nl = text.includes('\r\n') ? '\r\n' : '\n';
  }

  /** The document's new text, in parts. */
  public edit(root: SourceNode | undefined, before: unknown, after: unknown): string[] {
    this.walk(root, before, after, { kind: 'root' }, 0);
    if (overlapping(this.splices)) throw new CannotSplice('overlapping edits');
    const out: string[] = [];
    let at = 0;
    for (const s of inOrder(this.splices)) {
      out.push(this.text.slice(at, s.start), s.text);
      at = s.end;
    }
    out.push(this.text.slice(at));
    return out;
  }

  private walk(node: SourceNode | undefined, before: unknown, after: unknown, slot: Slot, depth: number): void {
    // What the change did not touch is the same object (the changed Job shares it): no need to compare.
    if (before === after) return;
    if (depth === this.units) return this.walkPart(node, before, after, slot, depth);
    this.walkNode(node, before, after, slot, depth);
  }

  /** One independent part: edited in place when it can be, on its own, else written anew alone. */
  private walkPart(node: SourceNode | undefined, before: unknown, after: unknown, slot: Slot, depth: number): void {
    const mark = this.splices.length;
    if (this.alone !== 'all' && !this.alone?.has(after)) {
      try {
        this.walkNode(node, before, after, slot, depth);
        if (!overlapping(this.splices.slice(mark))) return;
      } catch (e) {
        if (!(e instanceof CannotSplice)) throw e;
      }
      this.splices.length = mark;
    }
    if (!deepEqual(before, after)) this.replace(slot, after);
  }

  private walkNode(node: SourceNode | undefined, before: unknown, after: unknown, slot: Slot, depth: number): void {
    // An anchored node that an alias repeats cannot change in place: the alias would change too.
    const editable = node !== undefined && node.kind !== 'alias' && !node.anchor?.aliased;
    if (editable && node.kind === 'map' && isPlainObject(before) && isPlainObject(after)) return this.walkMap(node, before, after, slot, depth);
    if (editable && node.kind === 'seq' && Array.isArray(before) && Array.isArray(after) && node.items.length === before.length) {
      return this.walkSeq(node, before, after, slot, depth);
    }
    if (!deepEqual(before, after)) this.replace(slot, after);
  }

  private walkMap(node: SourceMap, before: Record<string, unknown>, after: Record<string, unknown>, slot: Slot, depth: number): void {
    const removed = Object.keys(before).filter((k) => !Object.prototype.hasOwnProperty.call(after, k));
    if ((node.entries.length === 0 && !node.flow) || (removed.length > 0 && !removed.every((k) => this.removeEntry(node, k)))) {
      return this.replace(slot, after);
    }
    const added: Record<string, unknown> = {};
    for (const key of Object.keys(after)) {
      const value = after[key];
      if (!Object.prototype.hasOwnProperty.call(before, key)) {
        added[key] = value;
        continue;
      }
      if (before[key] === value) continue;
      // A key set twice (a duplicate, or a merge key that brings it) is read differently by
      // different tools (go-yaml: the last one wins; YAML 1.1 readers: explicit keys win over
      // merged ones; kpt's kyaml: the first one), and a third setting would only add to that: the
      // map is written anew, each key once.
      const setters = node.entries.filter((e) => e.key === key || e.merged?.includes(key));
      if (setters.length !== 1 || setters[0].key !== key) {
        if (deepEqual(before[key], value)) continue;
        return this.rewriteMap(node, before, after, slot);
      }
      this.walk(setters[0].value, before[key], value, { kind: 'pair', entry: setters[0], flow: node.flow }, depth + 1);
    }
    if (Object.keys(added).length > 0) this.addEntries(node, added);
  }

  private walkSeq(node: SourceSeq, before: unknown[], after: unknown[], slot: Slot, depth: number): void {
    const n = before.length;
    const extra = after.length - n;
    if (extra === 0) {
      node.items.forEach((item, i) => this.walk(item.value, before[i], after[i], { kind: 'item', item, flow: node.flow }, depth + 1));
    } else if (node.flow && extra > 0 && before.every((x, i) => deepEqual(x, after[i]))) {
      this.insertInFlow(node.end - 1, after.slice(n).map(flowText));
    } else if (node.flow && extra > 0 && before.every((x, i) => deepEqual(x, after[extra + i]))) {
      const items = after.slice(0, extra).map(flowText).join(', ');
      this.splices.push({ start: node.start + this.text.slice(node.start).indexOf('[') + 1, end: node.start + this.text.slice(node.start).indexOf('[') + 1, text: n > 0 ? `${items}, ` : items });
    } else if (extra > 0 && n > 0 && before.every((x, i) => deepEqual(x, after[i]))) {
      this.insertLines(node.items[n - 1].end, seqLines(after.slice(n), this.column(node.items[0].dash)));
    } else if (extra > 0 && n > 0 && before.every((x, i) => deepEqual(x, after[extra + i])) && this.startsItsLine(node.items[0].dash)) {
      const dash = node.items[0].dash;
      const start = lineStart(this.text, dash);
      this.splices.push({ start, end: start, text: seqLines(after.slice(0, extra), dash - start).lines.join(this.nl) + this.nl });
    } else {
      this.replace(slot, after);
    }
  }

  /**
   * Writes a map anew, each key once and no merge key, where it was: an entry that sets its key
   * alone and keeps its value is copied as it was written (with its anchors, comments and forms);
   * the others are written from `after`.
   */
  private rewriteMap(node: SourceMap, before: Record<string, unknown>, after: Record<string, unknown>, slot: Slot): void {
    if (slot.kind === 'root' || node.entries.length === 0) return this.replace(slot, after);
    const column = this.column(node.entries[0].keyStart);
    const parts: string[] = [];
    for (const key of Object.keys(after)) {
      const setters = node.entries.filter((e) => e.key === key || e.merged?.includes(key));
      const last = setters[setters.length - 1];
      const kept = last?.key === key && Object.prototype.hasOwnProperty.call(before, key) && deepEqual(before[key], after[key]);
      if (kept && node.flow) parts.push(this.text.slice(last.keyStart, this.trimBack(Math.max(last.keyEnd, last.valueEnd))));
      else if (kept) parts.push(this.entryText(last).join(this.nl));
      else if (node.flow) parts.push(`${flowKey(key)}: ${flowText(after[key])}`);
      else parts.push(this.newEntryText(setters, key, after[key], column));
    }
    if (node.flow) {
      this.splices.push({ start: node.start, end: node.end, text: `{${parts.join(', ')}}` });
      return;
    }
    // The first entry starts where the map starts (after a key's line, or a dash); the others at its column.
    const text = parts.join(this.nl);
    this.splices.push({ start: node.entries[0].keyStart, end: this.entryEnd(node.entries[node.entries.length - 1]), text: text.slice(column) });
  }

  /**
   * A block map's entry written anew from `value`: on its key's line, in flow style, when the last
   * entry that names the key itself has a comment after its value there (the one kpt copies, see
   * commentOnItsLine), else as block lines.
   */
  private newEntryText(setters: MapEntry[], key: string, value: unknown, column: number): string {
    const explicit = setters.filter((e) => e.key === key).pop();
    const comment = explicit && this.commentOnItsLine(explicit.keyEnd, explicit.valueEnd, value);
    if (explicit === undefined || comment === undefined) return mapLines({ [key]: value }, column).lines.join(this.nl);
    return `${' '.repeat(column)}${this.text.slice(explicit.keyStart, explicit.keyEnd)}: ${flowText(value)} ${comment}`;
  }

  /** An entry's lines as written, the first from its key on, a comment after it kept. */
  private entryText(e: MapEntry): string[] {
    const end = this.entryEnd(e);
    const column = this.column(e.keyStart);
    return [' '.repeat(column) + this.text.slice(e.keyStart, end)].join('').split(/\r?\n/);
  }

  /** Where an entry's text ends: its value, and a comment after it on the same line. */
  private entryEnd(e: MapEntry): number {
    const end = this.trimBack(Math.max(e.keyEnd, e.valueEnd));
    const eol = this.lineEnd(end);
    return /^[ \t]*#/.test(this.text.slice(end, eol)) ? eol : end;
  }

  /** Writes a new value over a pair (keeping its key's text) or a sequence item. */
  private replace(slot: Slot, value: unknown): void {
    if (slot.kind === 'root') throw new CannotSplice('the document itself changes');
    if (slot.flow) {
      const { start, end } = slot.kind === 'pair' ? { start: slot.entry.keyStart, end: Math.max(slot.entry.keyEnd, slot.entry.valueEnd) } : slot.item;
      const head = slot.kind === 'pair' ? `${this.text.slice(slot.entry.keyStart, slot.entry.keyEnd)}: ` : '';
      this.splices.push({ start, end: this.trimBack(end), text: head + flowText(value) });
      return;
    }
    if (slot.kind === 'pair') {
      const { keyStart, keyEnd, valueEnd } = slot.entry;
      if (this.commentOnItsLine(keyEnd, valueEnd, value) !== undefined) {
        this.splices.push({ start: keyStart, end: this.trimBack(valueEnd), text: `${this.text.slice(keyStart, keyEnd)}: ${flowText(value)}` });
        return;
      }
      // `? key` (an explicit key) would not stay one key once its value moves onto its line.
      if (/\?[ \t]*$/.test(this.text.slice(lineStart(this.text, keyStart), keyStart))) throw new CannotSplice('an explicit key');
      const { lines, endsInBlock } = entryLines(this.text.slice(keyStart, keyEnd), value, this.column(keyStart));
      this.replaceRange(keyStart, Math.max(keyEnd, valueEnd), { lines: [lines[0].trimStart(), ...lines.slice(1)], endsInBlock });
      return;
    }
    const { start, end } = slot.item;
    if (slot.item.dash < 0) throw new CannotSplice('an item of a flow sequence');
    if (this.commentOnItsLine(slot.item.dash + 1, end, value) !== undefined) {
      this.splices.push({ start, end: this.trimBack(end), text: flowText(value) });
      return;
    }
    this.replaceRange(start, end, nodeAt(value, this.column(start)));
  }

  /**
   * The comment (from its `#`) after the value that ends at `end`, when that value sits on the
   * line of its key or dash (ending at `from`) and `value`, a collection written over it, must stay
   * there, in flow style, the comment after it. kpt copies a comment from each value of its input
   * onto the function's output value, and kyaml (go-yaml v3) writes one on a block collection
   * after the whole collection: on the next key's line, before that value's anchor or tag, which
   * then starts a line of its own at column 0, a file kubectl cannot read (found by the
   * differential test; test/cli/findings.test.ts).
   */
  private commentOnItsLine(from: number, end: number, value: unknown): string | undefined {
    if (!Array.isArray(value) && !isPlainObject(value)) return undefined;
    const stop = this.trimBack(end);
    if (stop <= from || this.text.slice(from, stop).includes('\n')) return undefined;
    return /^[ \t]*(#.*)$/.exec(this.text.slice(stop, this.lineEnd(stop)))?.[1];
  }

  /**
   * Writes `lines` over [start, end). A comment after `end` on its line stays after the new text,
   * unless the new text ends inside a block scalar, where it would become text: then it goes.
   */
  private replaceRange(start: number, end: number, lines: Lines): void {
    let stop = this.trimBack(end);
    if (lines.endsInBlock) {
      const eol = this.lineEnd(stop);
      if (/^[ \t]*(#.*)?$/.test(this.text.slice(stop, eol))) stop = eol;
    }
    this.splices.push({ start, end: stop, text: lines.lines.join(this.nl) });
  }

  /**
   * Removes the lines of the one entry that sets `key`; false when it cannot (the key is set more
   * than once, it shares its lines, or it is the map's only entry).
   */
  private removeEntry(node: SourceMap, key: string): boolean {
    const setters = node.entries.filter((e) => e.key === key || e.merged?.includes(key));
    if (node.flow || setters.length !== 1 || setters[0].key !== key || node.entries.length === 1) return false;
    const { keyStart, keyEnd, valueEnd } = setters[0];
    const end = this.trimBack(Math.max(keyEnd, valueEnd));
    const eol = this.lineEnd(end);
    if (!this.startsItsLine(keyStart) || !/^[ \t]*(#.*)?$/.test(this.text.slice(end, eol))) return false;
    const next = this.text.indexOf('\n', eol);
    this.splices.push({ start: lineStart(this.text, keyStart), end: next < 0 ? this.text.length : next + 1, text: '' });
    return true;
  }

  private addEntries(node: SourceMap, entries: Record<string, unknown>): void {
    if (node.flow) return this.insertInFlow(node.end - 1, Object.keys(entries).map((k) => `${flowKey(k)}: ${flowText(entries[k])}`));
    const first = node.entries[0];
    const last = node.entries[node.entries.length - 1];
    this.insertLines(Math.max(last.keyEnd, last.valueEnd), mapLines(entries, this.column(first.keyStart)));
  }

  /** Inserts items or entries before a flow collection's closing bracket at `close`. */
  private insertInFlow(close: number, parts: string[]): void {
    if (!/[\]}]/.test(this.text[close] ?? '')) throw new CannotSplice('a flow collection without its closing bracket');
    const before = this.trimBack(close);
    const open = /[[{,]/.test(this.text[before - 1] ?? '');
    this.splices.push({ start: before, end: before, text: `${open ? ' ' : ', '}${parts.join(', ')}` });
  }

  /** Inserts whole lines after the line where `end` falls. */
  private insertLines(end: number, lines: Lines): void {
    let at = end > 0 && this.text[end - 1] === '\n' ? end : this.text.indexOf('\n', end);
    let text = lines.lines.join(this.nl) + this.nl;
    if (at < 0) {
      at = this.text.length;
      text = this.nl + text;
    } else if (this.text[at] === '\n') {
      at += 1;
    }
    this.splices.push({ start: at, end: at, text });
  }

  private startsItsLine(offset: number): boolean {
    return offset >= 0 && this.text.slice(lineStart(this.text, offset), offset).trim() === '';
  }

  private column(offset: number): number {
    return offset - lineStart(this.text, offset);
  }

  private lineEnd(offset: number): number {
    const nl = this.text.indexOf('\n', offset);
    const end = nl < 0 ? this.text.length : nl;
    return end > offset && this.text[end - 1] === '\r' ? end - 1 : end;
  }

  private trimBack(end: number): number {
    while (end > 0 && /\s/.test(this.text[end - 1])) end--;
    return end;
  }
}

/** Splices in the order they apply: by start, then in the order they were made. */
function inOrder(splices: readonly Splice[]): Splice[] {
  return splices.map((s, i) => ({ s, i })).sort((a, b) => a.s.start - b.s.start || a.i - b.i).map(({ s }) => s);
}

/** True when a splice starts inside the text an earlier one replaces. */
function overlapping(splices: readonly Splice[]): boolean {
  let at = 0;
  for (const s of inOrder(splices)) {
    if (s.start < at) return true;
    at = s.end;
  }
  return false;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** Equality of JSON values; maps are unordered. Walks with its own stack, so any depth compares. */
export function deepEqual(a: unknown, b: unknown): boolean {
  const stack: Array<[unknown, unknown]> = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (x === y || Object.is(x, y)) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (Array.isArray(x)) {
      if (!Array.isArray(y) || x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) stack.push([x[i], y[i]]);
      continue;
    }
    if (Array.isArray(y)) return false;
    const kx = Object.keys(x);
    if (kx.length !== Object.keys(y).length) return false;
    for (const k of kx) {
      if (!Object.prototype.hasOwnProperty.call(y, k)) return false;
      stack.push([(x as any)[k], (y as any)[k]]);
    }
  }
  return true;
}
