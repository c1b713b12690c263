// A YAML document read into JSON values as kubectl reads it: go-yaml v2 decodes into interface{}
// (goyaml.v2/decode.go) and sigs.k8s.io/yaml turns that into JSON (yaml.go
// `convertToJSONableObject`). As there:
// - keys and values are set in document order and the last one wins: a duplicate key replaces the
//   earlier one, and a merge key (`<<`) sets every key it brings even over an explicit key before
//   it (decode.go `mapping`, `merge`; in a list of merged maps the first wins);
// - an alias repeats its anchor's value; expanding aliases stops at go-yaml's ratio of aliases to
//   nodes (decode.go `allowedAliasRatio`), not at a fixed count;
// - map keys become strings: `y:` names the key "true", `0x1F:` the key "31";
// - tags: !!str, !!int, !!float, !!bool, !!null, !!binary, !!timestamp as go-yaml resolves them;
//   other tags leave the text a string.
//
// Besides the value, the reader records where the collections on requested paths sit in the text
// (`SourceMap`, `SourceSeq`), so that an edit can rewrite only what changed; nothing is recorded
// for the rest, which keeps a large document's memory close to its values'.
import { Ev, Parser, YamlEvent } from './parser';
import { goParseInt, jsonKey, resolvePlain, ScalarValue } from './resolve';
import { YamlError } from './scanner';

export { YamlError };

/** A mapping recorded with the positions of its entries. */
export interface SourceMap {
  readonly kind: 'map';
  readonly flow: boolean;
  readonly start: number;
  end: number;
  readonly anchor?: AnchorUse;
  readonly entries: MapEntry[];
}

/** One `key: value` of a recorded mapping, or one merge key (`key` undefined). */
export interface MapEntry {
  /** The key as JSON names it; undefined for a merge key. */
  readonly key: string | undefined;
  /** The keys a merge key set. */
  readonly merged?: readonly string[];
  readonly keyStart: number;
  readonly keyEnd: number;
  readonly valueStart: number;
  readonly valueEnd: number;
  /** The value when it is a recorded collection or an alias. */
  readonly value?: SourceNode;
}

/** A sequence recorded with the positions of its items. */
export interface SourceSeq {
  readonly kind: 'seq';
  readonly flow: boolean;
  readonly start: number;
  end: number;
  readonly anchor?: AnchorUse;
  readonly items: SeqItem[];
}

export interface SeqItem {
  /** Where the item's `-` is (block sequences), else -1. */
  readonly dash: number;
  readonly start: number;
  readonly end: number;
  readonly value?: SourceNode;
}

/** A value written as an alias (`*name`). */
export interface SourceAlias {
  readonly kind: 'alias';
  readonly start: number;
  readonly end: number;
}

export type SourceNode = SourceMap | SourceSeq | SourceAlias;

/** An anchor's definition, and whether an alias uses it. */
export interface AnchorUse {
  readonly name: string;
  aliased: boolean;
}

/**
 * Which collections to record, by path: a tree of keys, `*` standing for any key or index. A
 * collection is recorded when its path is in the tree.
 */
export interface PathTree {
  readonly [key: string]: PathTree;
}

/** A document as kubectl reads it, with the recorded collections. */
export interface ReadResult {
  /** The document's value; undefined when the text holds no document (comments, directives only). */
  readonly value: unknown;
  /** The root collection, when it is recorded. */
  readonly root?: SourceNode;
  /** Where the root node starts (its anchor or tag, else its content). */
  readonly contentStart: number;
  /** True when the document has an anchor, an alias, a tag or a merge key. */
  readonly shares: boolean;
  /** True when more follows the first document (go-yaml, hence kubectl, reads only the first). */
  readonly moreDocuments: boolean;
  /** True when a map sets a key twice (explicitly: merge keys aside). */
  readonly duplicateKeys: boolean;
}

const STR = 'tag:yaml.org,2002:str';
const INT = 'tag:yaml.org,2002:int';
const FLOAT = 'tag:yaml.org,2002:float';
const BOOL = 'tag:yaml.org,2002:bool';
const NULL = 'tag:yaml.org,2002:null';
const BINARY = 'tag:yaml.org,2002:binary';
const TIMESTAMP = 'tag:yaml.org,2002:timestamp';
const MERGE = 'tag:yaml.org,2002:merge';
const RESOLVABLE = new Set([STR, INT, FLOAT, BOOL, NULL, TIMESTAMP]);

/** A finished node: its value, how many go-yaml decode steps it costs, whether it is a mapping. */
interface Done {
  readonly value: unknown;
  readonly cost: number;
  readonly isMap: boolean;
  /** Written as an alias. */
  readonly alias?: boolean;
  /** Where the node starts (its anchor or tag, else its content), as a UTF-16 offset. */
  readonly start: number;
  readonly end: number;
  readonly node?: SourceNode;
  /** A plain `<<` (or `!!merge <<`), which is a merge key in key position. */
  readonly merge?: boolean;
  /** An integer key's exact decimal text. */
  readonly integer?: string;
  readonly dash: number;
}

interface Anchored {
  readonly use: AnchorUse;
  done?: Done;
}

/** A collection being composed. Frames are reused (a document opens many collections, few at a time). */
interface Frame {
  isMap: boolean;
  value: any;
  start: number;
  flow: boolean;
  dash: number;
  tree: PathTree | undefined;
  node: SourceMap | SourceSeq | undefined;
  anchored: Anchored | undefined;
  cost: number;
  end: number;
  /** A mapping's key has come and waits for its value: where it is, whether it is a merge key, its JSON name. */
  keyPending: boolean;
  keyMerge: boolean;
  keyStart: number;
  keyEnd: number;
  keyName: string | undefined;
  /** Items composed so far (for the merge of a sequence of maps). */
  index: number;
  /** A mapping's keys set by explicit entries, once a merge key has set others. */
  explicit: Set<string> | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** go-yaml's alias expansion limits (decode.go `allowedAliasRatio` and `unmarshal`). */
function allowedAliasRatio(decodeCount: number): number {
  if (decodeCount <= 400000) return 0.99;
  if (decodeCount >= 4000000) return 0.10;
  return 0.99 - 0.89 * ((decodeCount - 400000) / 3600000);
}

/**
 * Reads the first document of `text` as kubectl does, recording the collections on `record`'s
 * paths. Throws a YamlError, in go-yaml's words, for what kubectl would refuse.
 */
export function readDocument(text: string, record: PathTree = {}): ReadResult {
  return new Composer(text, record).read();
}

class Composer {
  private readonly parser: Parser;
  private readonly anchors = new Map<string, Anchored>();
  private readonly stack: Frame[] = [];
  /** Frames of collections already closed, to be used again. */
  private readonly spare: Frame[] = [];
  /** The Done of a node that is not anchored: deliver() uses it before the next one is made. */
  private readonly scratch: Mutable<Done> = {
    value: undefined, cost: 1, isMap: false, alias: false, start: 0, end: 0, node: undefined, merge: false, integer: undefined, dash: -1,
  };
  private decodeCount = 0;
  private aliasCount = 0;
  private shares = false;
  private duplicateKeys = false;
  private result: Done | undefined;

  constructor(text: string, private readonly record: PathTree) {
    this.parser = new Parser(text);
  }

  public read(): ReadResult {
    let e = this.parser.next();
    if (e.type === Ev.StreamStart) e = this.parser.next();
    if (e.type !== Ev.DocumentStart) return { value: undefined, contentStart: 0, shares: false, moreDocuments: false, duplicateKeys: false };
    // The document node itself is one decode step.
    this.decodeCount = 1;
    for (;;) {
      e = this.parser.next();
      if (e.type === Ev.DocumentEnd) break;
      this.event(e);
    }
    let more = false;
    try {
      more = this.parser.next().type !== Ev.StreamEnd;
    } catch {
      more = true;
    }
    const done = this.result!;
    const { shares, duplicateKeys } = this;
    return { value: done.value, root: done.node, contentStart: done.start, shares, moreDocuments: more, duplicateKeys };
  }

  private event(e: YamlEvent): void {
    switch (e.type) {
      case Ev.Scalar: return this.deliver(this.scalar(e));
      case Ev.Alias: return this.deliver(this.alias(e));
      case Ev.MappingStart:
      case Ev.SequenceStart: return this.open(e);
      case Ev.MappingEnd:
      case Ev.SequenceEnd: return this.close(e);
      default: throw new YamlError(`unexpected event ${e.type}`, this.parser.markAt(e.start));
    }
  }

  /** The path tree of the node about to be delivered to the top frame (or the root). */
  private childTree(): PathTree | undefined {
    const top = this.stack[this.stack.length - 1];
    if (!top) return this.record;
    if (!top.tree || (top.isMap && !top.keyPending)) return undefined;
    const key = top.isMap ? top.keyName : String(top.index);
    return (key !== undefined ? top.tree[key] : undefined) ?? top.tree['*'];
  }

  private open(e: YamlEvent): void {
    const isMap = e.type === Ev.MappingStart;
    // go-yaml decodes a merge key's list of maps item by item, never the list itself.
    const top = this.stack[this.stack.length - 1];
    const mergeList = !isMap && !!top?.isMap && top.keyPending && top.keyMerge;
    if (!mergeList) this.decodeCount++;
    if (e.anchor !== undefined || e.tag !== undefined) this.shares = true;
    const tree = this.childTree();
    const anchored = e.anchor === undefined ? undefined : this.defineAnchor(e.anchor);
    const node: SourceMap | SourceSeq | undefined = tree === undefined ? undefined : isMap
      ? { kind: 'map', flow: !!e.flow, start: e.start, end: e.end, anchor: anchored?.use, entries: [] }
      : { kind: 'seq', flow: !!e.flow, start: e.start, end: e.end, anchor: anchored?.use, items: [] };
    const f = this.spare.pop() ?? newFrame();
    f.isMap = isMap;
    f.value = isMap ? {} : [];
    f.start = e.start;
    f.flow = !!e.flow;
    f.dash = e.dash ?? -1;
    f.tree = tree;
    f.node = node;
    f.anchored = anchored;
    f.cost = mergeList ? 0 : 1;
    f.end = e.end;
    f.index = 0;
    this.stack.push(f);
    if (this.stack.length > 10002) throw new YamlError('exceeded max depth of 10000', this.parser.markAt(e.start));
  }

  private close(e: YamlEvent): void {
    const f = this.stack.pop()!;
    // A flow collection ends at its bracket; a block one where its last item ends.
    const end = f.flow ? e.end : f.end;
    if (f.node) f.node.end = end;
    // As a scalar's: an anchored collection's Done is kept for its aliases, any other used at once.
    const done: Mutable<Done> = f.anchored ? { ...this.scratch } : this.scratch;
    done.value = f.value;
    done.cost = f.cost;
    done.isMap = f.isMap;
    done.start = f.start;
    done.end = end;
    done.node = f.node;
    done.merge = false;
    done.integer = undefined;
    done.dash = f.dash;
    if (f.anchored) f.anchored.done = done;
    f.value = f.tree = f.node = f.anchored = f.explicit = f.keyName = undefined;
    f.keyPending = false;
    this.spare.push(f);
    this.deliver(done);
  }

  private defineAnchor(name: string): Anchored {
    const anchored: Anchored = { use: { name, aliased: false } };
    this.anchors.set(name, anchored);
    return anchored;
  }

  private scalar(e: YamlEvent): Done {
    if (e.anchor !== undefined || e.tag !== undefined) this.shares = true;
    const text = e.value ?? '';
    let value: ScalarValue;
    let integer: string | undefined;
    const merge = text === '<<' && (e.implicit === true || e.tag === MERGE);
    if (e.tag === undefined && !e.implicit) {
      value = text;
    } else {
      value = this.resolveTagged(e, text);
      if ((typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint') {
        const n = goParseInt(text.replace(/_/g, ''));
        if (n !== undefined) integer = n.toString();
      }
    }
    if (merge) this.shares = true;
    const top = this.stack[this.stack.length - 1];
    if (!(merge && top?.isMap && !top.keyPending)) this.decodeCount++;
    // An anchored scalar's Done is kept for its aliases; any other is used once, at once.
    const done: Mutable<Done> = e.anchor === undefined ? this.scratch : { ...this.scratch };
    done.value = value;
    done.cost = 1;
    done.isMap = false;
    done.node = undefined;
    done.start = e.start;
    done.end = e.end;
    done.merge = merge;
    done.integer = integer;
    done.dash = e.dash ?? -1;
    if (e.anchor !== undefined) this.defineAnchor(e.anchor).done = done;
    return done;
  }

  /** goyaml.v2/resolve.go `resolve` for a scalar with a tag (or a plain one). */
  private resolveTagged(e: YamlEvent, text: string): ScalarValue {
    const tag = e.tag === '!' ? undefined : e.tag;
    if (e.tag === '!') return text;
    if (tag === BINARY) {
      const decoded = decodeBinary(text);
      if (decoded === undefined) throw new YamlError('!!binary value contains invalid base64 data', this.parser.markAt(e.start));
      return decoded;
    }
    if (tag !== undefined && !RESOLVABLE.has(tag)) return text;
    if (tag === STR || tag === TIMESTAMP) return text;
    const value = resolvePlain(text);
    if (tag === undefined) return value;
    const kind = value === null ? NULL : typeof value === 'boolean' ? BOOL : typeof value === 'bigint' ? INT : typeof value === 'number'
      ? (Number.isInteger(value) && !/[.eE]/.test(text) && !/^[-+]?\.(inf|nan)/i.test(text) ? INT : FLOAT) : STR;
    if (kind === tag) return value;
    // An integer given as !!float is a float of the same value.
    if (tag === FLOAT && kind === INT) return Number(value);
    throw new YamlError(`cannot decode ${shortTag(kind)} \`${text}\` as a ${shortTag(tag)}`, this.parser.markAt(e.start));
  }

  private alias(e: YamlEvent): Done {
    this.shares = true;
    const anchored = this.anchors.get(e.anchor!);
    if (!anchored) throw new YamlError(`unknown anchor '${e.anchor}' referenced`, this.parser.markAt(e.start));
    if (!anchored.done) throw new YamlError(`anchor '${e.anchor}' value contains itself`, this.parser.markAt(e.start));
    anchored.use.aliased = true;
    const target = anchored.done;
    // The alias node is one decode step, and each step of its anchor's value one more, counted as
    // aliasing; within one alias the ratio only grows, so checking after it is checking each step.
    this.decodeCount += 1 + target.cost;
    this.aliasCount += target.cost;
    if (this.aliasCount > 100 && this.decodeCount > 1000 && this.aliasCount / this.decodeCount > allowedAliasRatio(this.decodeCount)) {
      throw new YamlError('document contains excessive aliasing', this.parser.markAt(e.start));
    }
    return {
      value: target.value,
      cost: 1 + target.cost,
      isMap: target.isMap,
      alias: true,
      start: e.start,
      end: e.end,
      node: this.childTree() === undefined ? undefined : { kind: 'alias', start: e.start, end: e.end },
      integer: target.integer,
      dash: e.dash ?? -1,
    };
  }

  /** Hands a finished node to the frame it belongs to. */
  private deliver(d: Done): void {
    const f = this.stack[this.stack.length - 1];
    if (!f) {
      this.result = d;
      return;
    }
    if (d.start !== d.end || d.end > f.end) f.end = Math.max(f.end, d.end);
    if (!f.isMap) {
      this.count(f, d);
      (f.value as unknown[]).push(d.value);
      if (f.node) (f.node as SourceSeq).items.push({ dash: d.dash, start: d.start, end: d.end, value: d.node });
      f.index++;
      return;
    }
    if (!f.keyPending) {
      f.keyPending = true;
      f.keyMerge = !!d.merge;
      f.keyStart = d.start;
      f.keyEnd = d.end;
      if (!d.merge) {
        this.count(f, d);
        if (d.isMap || Array.isArray(d.value)) throw new YamlError(`invalid map key: ${JSON.stringify(d.value)}`, this.parser.markAt(d.start));
        // go-yaml gives an integer beyond int64 as uint64, which has no JSON key form.
        if (d.integer !== undefined && BigInt(d.integer) >= 2n ** 63n) throw new YamlError(`unsupported map key of type uint64: ${d.integer}`, this.parser.markAt(d.start));
        const name = jsonKey(d.value, d.integer);
        if (name === undefined) {
          throw new YamlError(d.value === null ? 'a map key is null, which JSON cannot name' : `unsupported map key ${JSON.stringify(d.value)}`, this.parser.markAt(d.start));
        }
        f.keyName = name;
      }
      return;
    }
    f.keyPending = false;
    if (f.keyMerge) {
      const merged = this.merge(f, d);
      if (f.node) this.entry(f, d, undefined, merged);
      return;
    }
    this.count(f, d);
    if (f.explicit ? f.explicit.has(f.keyName!) : Object.prototype.hasOwnProperty.call(f.value, f.keyName!)) this.duplicateKeys = true;
    f.explicit?.add(f.keyName!);
    setKey(f.value, f.keyName!, d.value);
    if (f.node) this.entry(f, d, f.keyName, undefined);
    f.keyName = undefined;
  }

  /** Records a recorded map's entry: the pending key and its value `d`. */
  private entry(f: Frame, d: Done, key: string | undefined, merged: string[] | undefined): void {
    const entry: MapEntry = { key, merged, keyStart: f.keyStart, keyEnd: f.keyEnd, valueStart: d.start, valueEnd: d.end, value: d.node };
    (f.node as SourceMap).entries.push(entry);
  }

  private count(f: Frame, d: Done): void {
    f.cost += d.cost;
  }

  /** Sets the keys a merge value brings (decode.go `merge`); returns them. */
  private merge(f: Frame, d: Done): string[] {
    const fail = () => new YamlError('map merge requires map or sequence of maps as the value', this.parser.markAt(d.start));
    let maps: Array<Record<string, unknown>>;
    if (d.isMap) {
      maps = [d.value as Record<string, unknown>];
    } else if (Array.isArray(d.value) && !d.alias) {
      // Each item a map (or an alias to one), the first one winning: applied last to first.
      maps = (d.value as unknown[]).map((v) => {
        if (!isPlainObject(v)) throw fail();
        return v;
      }).reverse();
    } else {
      throw fail();
    }
    f.cost += d.cost;
    f.explicit ??= new Set(Object.keys(f.value));
    const keys: string[] = [];
    for (const m of maps) {
      for (const k of Object.keys(m)) {
        setKey(f.value, k, m[k]);
        keys.push(k);
      }
    }
    return keys;
  }
}

function newFrame(): Frame {
  return {
    isMap: false,
    value: undefined,
    start: 0,
    flow: false,
    dash: -1,
    tree: undefined,
    node: undefined,
    anchored: undefined,
    cost: 0,
    end: 0,
    keyPending: false,
    keyMerge: false,
    keyStart: 0,
    keyEnd: 0,
    keyName: undefined,
    index: 0,
    explicit: undefined,
  };
}

function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function shortTag(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
}

/** A !!binary scalar's bytes as a string (decode.go `scalar`; Go's base64.StdEncoding.DecodeString). */
function decodeBinary(text: string): string | undefined {
  const clean = text.replace(/[\r\n]/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(clean)) return undefined;
  return Buffer.from(clean, 'base64').toString('utf-8');
}
