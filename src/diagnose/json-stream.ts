// Finds the pods in `kubectl get pods -A -o json` output chunk by chunk, without holding the whole
// text: each element of a top-level object's `items` array is cut out as its own bytes and parsed
// alone (JSON.parse), so memory follows the largest pod, not the list. Members of a top-level
// object other than `items` (a List's `kind` and `metadata`, or a whole single Pod) are cut out the
// same way, member by member. Concatenated top-level values (`kubectl get pod a -o json; kubectl
// get pod b -o json`) are documents 1, 2, ….
//
// The scanner follows only JSON's structure (RFC 8259 §2: the six structural characters, strings
// with their escapes, the literal names and numbers as runs of other characters); JSON.parse checks
// each piece it cuts out. Any piece larger than `maxValueBytes` is skipped, not held, and reported.
//
// kubectl prints JSON indented (k8s.io/cli-runtime pkg/printers/json.go: json.MarshalIndent with
// four spaces), so an item that opens with `{` after a line break and N spaces closes with a line
// break, N spaces and `}`: no string holds a raw line break (RFC 8259 §7), and every nested value
// is indented deeper. An item is first cut there, with one native search instead of a look at
// every byte; JSON.parse succeeding proves the cut, as a complete JSON value is complete at one
// place only. Should it fail (JSON laid out otherwise), the item is scanned byte by byte, and so is
// every item after it.

const enum State {
  /** Between top-level values. */
  TOP,
  /** Right after a top-level `{`: a member name, or `}`. */
  FIRST_KEY,
  /** After `,` in a top-level object: a member name. */
  KEY,
  /** Inside a member name. */
  IN_KEY,
  /** After a member name: `:`. */
  COLON,
  /** After `:`: the member's value. */
  VALUE,
  /** After a member's value: `,` or `}`. */
  AFTER_VALUE,
  /** Right after `"items": [`: an element, or `]`. */
  FIRST_ITEM,
  /** After `,` in `items`: an element. */
  ITEM,
  /** After an element of `items`: `,` or `]`. */
  AFTER_ITEM,
  /** Cutting out a value (see `startPiece`). */
  CAPTURE,
  /** After the input has ended or failed. */
  DONE,
}

/** What is being cut out. */
const enum Piece { MEMBER, ITEM, TOP_ARRAY, TOP_SCALAR }

/** What the scanner finds, in input order. */
export interface JsonScanEvents {
  /** A top-level object begins: document `doc` (from 1). */
  objectStart(doc: number): void;
  /** A member of the top-level object other than an `items` array, parsed, and the bytes of its value. */
  member(doc: number, key: string, value: unknown, bytes: number): void;
  /** An element of the top-level object's `items` array (`item` from 1), parsed. */
  item(doc: number, item: number, value: unknown): void;
  /** The top-level object ended; `items` says whether it had an `items` array. */
  objectEnd(doc: number, items: boolean): void;
  /** A top-level value that is not an object (an array is given as an empty one, unread). */
  notAnObject(doc: number, value: unknown): void;
  /** A member or element over `maxValueBytes`, skipped. */
  tooLarge(doc: number, item: number | undefined, key: string | undefined, bytes: number): void;
}

const WS = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const UTF8_BOM = [0xef, 0xbb, 0xbf];
/** The spaces right before a `{` at `at` when a line break comes before them in the chunk, else -1. */
function indentAt(chunk: Buffer, at: number): number {
  let k = at - 1;
  while (k >= 0 && chunk[k] === 0x20) k--;
  return k >= 0 && chunk[k] === 0x0a && k < at - 1 ? at - 1 - k : -1;
}

/** True when the `n` bytes before `at` are spaces. */
function spacesBefore(chunk: Buffer, at: number, n: number): boolean {
  for (let j = at - n; j < at; j++) if (chunk[j] !== 0x20) return false;
  return true;
}

/** Member names of a top-level object are Kubernetes field names: a few dozen bytes. */
const MAX_KEY_BYTES = 4096;
const KIND_QUOTE = 1;
const KIND_OPEN = 2;
const KIND_CLOSE = 3;
/** What a byte means to `containerEnd`: 0 for every byte but `"{}[]`. */
const BYTE_KIND = new Uint8Array(256);
BYTE_KIND[QUOTE] = KIND_QUOTE;
BYTE_KIND[OPEN_BRACE] = BYTE_KIND[OPEN_BRACKET] = KIND_OPEN;
BYTE_KIND[CLOSE_BRACE] = BYTE_KIND[CLOSE_BRACKET] = KIND_CLOSE;
/** Bytes that cannot start a value. */
const STRUCTURAL = (c: number) => c === COMMA || c === COLON || c === CLOSE_BRACE || c === CLOSE_BRACKET;

/** Why the bytes are not JSON: a message, the byte offset in the input, and the document and item it is in, if known. */
export interface JsonSyntaxError {
  readonly message: string;
  readonly offset: number;
  readonly doc?: number;
  readonly item?: number;
}

/**
 * A push scanner: `push` each chunk, then `end`. After a syntax error it reads nothing more and
 * `error` says where; the events before it stand.
 */
export class JsonItemScanner {
  public error: JsonSyntaxError | undefined;
  /** Top-level values seen. */
  public documents = 0;

  private state = State.TOP;
  /** The input's bytes before the current chunk. */
  private offset = 0;
  private key = '';
  private keyParts: Buffer[] = [];
  private keyEscape = false;
  private keyBytes = 0;
  private bomBytes = 0;
  private hasItems = false;
  private itemCount = 0;

  // The value being cut out.
  private piece = Piece.MEMBER;
  /** Where it starts in the current chunk. */
  private pieceFrom = 0;
  /** Its bytes from earlier chunks (none once it is known to be too large). */
  private parts: Buffer[] = [];
  private partBytes = 0;
  private tooLarge = false;
  /** Where it starts in the input. */
  private pieceStart = 0;
  /** For an item that opens with `{` after a line break and spaces: how many spaces (its closing `}` has as many), else -1. */
  private indent = -1;
  /** False once an item was not where kubectl's layout puts its end: every item is scanned byte by byte then. */
  private layoutHolds = true;
  /** Nesting inside it: 0 for a scalar or string at its top. */
  private depth = 0;
  private inString = false;
  private escape = false;
  /** A scalar (number or literal) is being cut: it ends before the first structural or space byte. */
  private scalar = false;

  constructor(private readonly events: JsonScanEvents, private readonly maxValueBytes: number) {}

  public push(chunk: Buffer): void {
    if (this.state === State.DONE) return;
    const n = chunk.length;
    let i = 0;
    /** Where the piece being cut out starts in this chunk. */
    let from = this.state === State.CAPTURE ? 0 : -1;
    while (i < n) {
      const c = chunk[i];
      switch (this.state) {
        case State.CAPTURE: {
          if (this.indent > 0 && from >= 0 && this.parts.length === 0) {
            // The item started in this chunk: look for its end where kubectl's layout puts it.
            const cut = this.cutAsKubectlPrints(chunk, from, i);
            this.indent = -1;
            if (cut >= 0) {
              from = -1;
              i = cut;
              break;
            }
          }
          const end = this.scalar ? this.scalarEnd(chunk, i) : this.containerEnd(chunk, i);
          if (end < 0) { i = n; break; }
          this.finishPiece(chunk.subarray(from, end));
          if (this.failed) return;
          from = -1;
          i = end;
          break;
        }
        case State.TOP:
          if (WS(c)) { i++; break; }
          // A UTF-8 byte order mark may open the input, in one chunk or cut between chunks.
          if (this.offset + i < 3 && this.offset + i === this.bomBytes && c === UTF8_BOM[this.bomBytes]) { this.bomBytes++; i++; break; }
          if (STRUCTURAL(c)) return this.fail('a JSON value', i);
          this.documents++;
          if (c === OPEN_BRACE) {
            this.hasItems = false;
            this.itemCount = 0;
            this.events.objectStart(this.documents);
            this.state = State.FIRST_KEY;
            i++;
            break;
          }
          i = this.startPiece(c === OPEN_BRACKET ? Piece.TOP_ARRAY : Piece.TOP_SCALAR, c, i, chunk);
          from = this.pieceFrom;
          break;
        case State.FIRST_KEY:
        case State.KEY:
          if (WS(c)) { i++; break; }
          if (c === QUOTE) {
            this.state = State.IN_KEY;
            this.keyParts = [];
            this.keyBytes = 0;
            this.keyEscape = false;
            i++;
            break;
          }
          if (c === CLOSE_BRACE && this.state === State.FIRST_KEY) { this.endObject(); i++; break; }
          return this.fail('a member name in double quotes', i);
        case State.IN_KEY: {
          let j = i;
          let escape = this.keyEscape;
          while (j < n && (escape || chunk[j] !== QUOTE)) {
            escape = !escape && chunk[j] === BACKSLASH;
            j++;
          }
          this.keyEscape = escape;
          this.keyParts.push(Buffer.from(chunk.subarray(i, j)));
          this.keyBytes += j - i;
          if (this.keyBytes > MAX_KEY_BYTES) return this.fail(`a member name under ${MAX_KEY_BYTES} bytes`, i);
          if (j === n) { i = n; break; }
          try {
            this.key = JSON.parse(`"${Buffer.concat(this.keyParts).toString('utf-8')}"`);
          } catch {
            return this.fail('a valid member name', i);
          }
          this.keyParts = [];
          this.state = State.COLON;
          i = j + 1;
          break;
        }
        case State.COLON:
          if (WS(c)) { i++; break; }
          if (c === COLON) { this.state = State.VALUE; i++; break; }
          return this.fail('":" after a member name', i);
        case State.VALUE:
          if (WS(c)) { i++; break; }
          if (this.key === 'items' && c === OPEN_BRACKET) {
            this.hasItems = true;
            this.state = State.FIRST_ITEM;
            i++;
            break;
          }
          if (STRUCTURAL(c)) return this.fail('a value', i);
          i = this.startPiece(Piece.MEMBER, c, i, chunk);
          from = this.pieceFrom;
          break;
        case State.AFTER_VALUE:
          if (WS(c)) { i++; break; }
          if (c === COMMA) { this.state = State.KEY; i++; break; }
          if (c === CLOSE_BRACE) { this.endObject(); i++; break; }
          return this.fail('"," or "}" after a member', i);
        case State.FIRST_ITEM:
        case State.ITEM:
          if (WS(c)) { i++; break; }
          if (c === CLOSE_BRACKET && this.state === State.FIRST_ITEM) { this.state = State.AFTER_VALUE; i++; break; }
          if (STRUCTURAL(c)) return this.fail('an element of items', i);
          this.itemCount++;
          i = this.startPiece(Piece.ITEM, c, i, chunk);
          from = this.pieceFrom;
          break;
        case State.AFTER_ITEM:
          if (WS(c)) { i++; break; }
          if (c === COMMA) { this.state = State.ITEM; i++; break; }
          if (c === CLOSE_BRACKET) { this.state = State.AFTER_VALUE; i++; break; }
          return this.fail('"," or "]" after an element of items', i);
        default:
          return;
      }
    }
    if (this.state === State.CAPTURE && from >= 0) this.keepPart(chunk.subarray(from));
    this.offset += n;
  }

  /** The input has ended: a value left open is a syntax error. */
  public end(): void {
    if (this.state === State.DONE) return;
    // A scalar at the very end of the input ends with it.
    if (this.state === State.CAPTURE && this.scalar) this.finishPiece(Buffer.alloc(0));
    if (this.failed) return;
    if (this.state !== State.TOP) this.error = { message: 'the input ends inside a value', offset: this.offset };
    this.state = State.DONE;
  }

  /** Where a number or literal name ends in the chunk (before the next structural or space byte), or -1. */
  private scalarEnd(chunk: Buffer, from: number): number {
    for (let j = from; j < chunk.length; j++) {
      const b = chunk[j];
      if (WS(b) || STRUCTURAL(b) || b === QUOTE || b === OPEN_BRACE || b === OPEN_BRACKET) return j;
    }
    return -1;
  }

  /**
   * Where a string, object or array ends in the chunk (just after its closing byte), or -1. The hot
   * loop: most of the input is inside items. Bytes that are none of `"{}[]` are passed over with one
   * table lookup; a string is passed over with indexOf to its next quote.
   */
  private containerEnd(chunk: Buffer, from: number): number {
    let depth = this.depth;
    const n = chunk.length;
    let j = from;
    if (this.inString) {
      const end = this.stringEnd(chunk, j);
      if (end < 0) return -1;
      if (depth === 0) return end + 1;
      j = end + 1;
    }
    for (; j < n; j++) {
      const kind = BYTE_KIND[chunk[j]];
      if (kind === 0) continue;
      if (kind === KIND_QUOTE) {
        this.escape = false;
        const end = this.stringEnd(chunk, j + 1);
        if (end < 0) {
          this.depth = depth;
          return -1;
        }
        j = end;
      } else if (kind === KIND_OPEN) {
        depth++;
      } else if (--depth === 0) {
        this.depth = 0;
        return j + 1;
      }
    }
    this.depth = depth;
    return -1;
  }

  /**
   * The closing quote of the string whose content goes on at `from`, or -1 when the chunk ends
   * inside it (`inString` and `escape` then carry it into the next chunk).
   */
  private stringEnd(chunk: Buffer, from: number): number {
    let start = from;
    // A backslash at the end of the last chunk escapes this chunk's first byte.
    if (this.escape) start++;
    let q = start;
    for (;;) {
      q = chunk.indexOf(QUOTE, q);
      if (q < 0) {
        let run = 0;
        for (let k = chunk.length - 1; k >= start && chunk[k] === BACKSLASH; k--) run++;
        this.inString = true;
        this.escape = run % 2 === 1;
        return -1;
      }
      // The quote ends the string unless an odd run of backslashes stands right before it.
      let run = 0;
      for (let k = q - 1; k >= start && chunk[k] === BACKSLASH; k--) run++;
      if (run % 2 === 0) {
        this.inString = false;
        this.escape = false;
        return q;
      }
      q++;
    }
  }

  /** Starts cutting out a value whose first byte `first` is at `at`; returns where scanning goes on. */
  private startPiece(piece: Piece, first: number, at: number, chunk: Buffer): number {
    this.piece = piece;
    this.pieceFrom = at;
    this.pieceStart = this.offset + at;
    this.parts = [];
    this.partBytes = 0;
    // A top-level array is only said to be one: none of it is held.
    this.tooLarge = piece === Piece.TOP_ARRAY;
    this.scalar = first !== OPEN_BRACE && first !== OPEN_BRACKET && first !== QUOTE;
    this.depth = first === OPEN_BRACE || first === OPEN_BRACKET ? 1 : 0;
    this.inString = first === QUOTE;
    this.escape = false;
    this.state = State.CAPTURE;
    this.indent = piece === Piece.ITEM && first === OPEN_BRACE && this.layoutHolds ? indentAt(chunk, at) : -1;
    // A scalar is scanned from its first byte; a string or container from the byte after it.
    return this.scalar ? at : at + 1;
  }

  /**
   * Cuts the item that starts at `from` where kubectl's layout closes it, searching from `at`:
   * returns where scanning goes on, or -1 when the chunk holds no such end or the cut does not
   * parse (then the item is scanned byte by byte, and the layout is not trusted again).
   */
  private cutAsKubectlPrints(chunk: Buffer, from: number, at: number): number {
    const indent = this.indent;
    // The closing `}` (memchr, native), then the line break and spaces before it: a multi-byte
    // indexOf is slower here, as every indented line starts like the pattern.
    const closes = (k: number) => k - indent - 1 >= at && chunk[k - indent - 1] === 0x0a && spacesBefore(chunk, k, indent);
    let k = chunk.indexOf(CLOSE_BRACE, at);
    while (k >= 0 && !closes(k)) k = chunk.indexOf(CLOSE_BRACE, k + 1);
    if (k < 0) return -1;
    const end = k + 1;
    if (end - from > this.maxValueBytes) return -1;
    let value: unknown;
    try {
      value = JSON.parse(chunk.toString('utf-8', from, end));
    } catch {
      this.layoutHolds = false;
      return -1;
    }
    this.state = State.AFTER_ITEM;
    this.events.item(this.documents, this.itemCount, value);
    return end;
  }

  private keepPart(part: Buffer): void {
    this.partBytes += part.length;
    if (this.tooLarge) return;
    if (this.partBytes > this.maxValueBytes) {
      this.tooLarge = true;
      this.parts = [];
      return;
    }
    // A copy: a slice would keep the whole chunk alive.
    this.parts.push(Buffer.from(part));
  }

  /** The piece ends with `last`, its bytes in the current chunk: parses it and hands it on. */
  private finishPiece(last: Buffer): void {
    const earlier = this.parts;
    this.parts = [];
    const bytes = this.partBytes + last.length;
    if (bytes > this.maxValueBytes) this.tooLarge = true;
    const doc = this.documents;
    const piece = this.piece;
    this.state = piece === Piece.MEMBER ? State.AFTER_VALUE : piece === Piece.ITEM ? State.AFTER_ITEM : State.TOP;
    if (piece === Piece.TOP_ARRAY) return this.events.notAnObject(doc, []);
    const item = piece === Piece.ITEM ? this.itemCount : undefined;
    if (this.tooLarge) return this.events.tooLarge(doc, item, piece === Piece.MEMBER ? this.key : undefined, bytes);
    let value: unknown;
    try {
      value = JSON.parse((earlier.length === 0 ? last : Buffer.concat([...earlier, last])).toString('utf-8'));
    } catch (e) {
      this.error = { message: (e as Error).message, offset: this.pieceStart, doc, item };
      this.state = State.DONE;
      return;
    }
    if (piece === Piece.ITEM) this.events.item(doc, item!, value);
    else if (piece === Piece.MEMBER) this.events.member(doc, this.key, value, bytes);
    else this.events.notAnObject(doc, value);
  }

  /** True once the input failed to be JSON (or has ended). */
  private get failed(): boolean {
    return this.state === State.DONE;
  }

  private endObject(): void {
    this.state = State.TOP;
    this.events.objectEnd(this.documents, this.hasItems);
  }

  private fail(expected: string, at: number): void {
    this.error = { message: `expected ${expected}`, offset: this.offset + at };
    this.state = State.DONE;
  }
}
