// The YAML 1.1 scanner of go-yaml v2, the reader kubectl and Helm use (sigs.k8s.io/yaml v1.4.0,
// goyaml.v2/scannerc.go, itself a translation of libyaml's scanner.c): the same tokens, the same
// simple-key and indentation rules, the same errors, so that a document reads here as it reads
// there. In particular, as in go-yaml:
// - NEL (U+0085), LS (U+2028) and PS (U+2029) are line breaks; inside a scalar NEL folds like LF
//   and LS/PS are kept (scannerc.go `read_line`);
// - a simple key ends on its line and within 1024 characters (`yaml_simple_key_is_valid`);
// - in a flow collection `?` ends a plain scalar (`yaml_parser_scan_plain_scalar`);
// - flow and block nesting stop at 10,000 levels (`max_flow_level`, `max_indents`).
// Offsets are UTF-16 offsets into the text; lines and columns count characters, as go-yaml's marks do.

/** Token types (goyaml.v2/yamlh.go `yaml_token_type_t`). */
export const Tok = {
  StreamStart: 1,
  StreamEnd: 2,
  VersionDirective: 3,
  TagDirective: 4,
  DocumentStart: 5,
  DocumentEnd: 6,
  BlockSequenceStart: 7,
  BlockMappingStart: 8,
  BlockEnd: 9,
  FlowSequenceStart: 10,
  FlowSequenceEnd: 11,
  FlowMappingStart: 12,
  FlowMappingEnd: 13,
  BlockEntry: 14,
  FlowEntry: 15,
  Key: 16,
  Value: 17,
  Alias: 18,
  Anchor: 19,
  Tag: 20,
  Scalar: 21,
} as const;

/** Scalar styles. */
export const Style = { Plain: 1, SingleQuoted: 2, DoubleQuoted: 3, Literal: 4, Folded: 5 } as const;

/** A position: UTF-16 offset, line and column from 0, and go-yaml's character index. */
export interface Mark {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
  readonly index: number;
}

export interface Token {
  readonly type: number;
  /** Where the token starts and ends, as UTF-16 offsets (`Scanner.markAt` gives line and column). */
  readonly start: number;
  readonly end: number;
  /** Scalar text, anchor or alias name, tag handle, or %TAG handle. */
  readonly value?: string;
  readonly style?: number;
  /** Tag suffix, or %TAG prefix. */
  readonly suffix?: string;
  readonly major?: number;
  readonly minor?: number;
}

/** A token; every token has every field, so that reading one is reading one shape. */
function makeToken(type: number, start: number, end: number, value?: string, style = 0, suffix?: string): Token {
  return { type, start, end, value, style, suffix, major: undefined, minor: undefined };
}

/** A YAML syntax error, in go-yaml's words, with where it was found. */
export class YamlError extends Error {
  constructor(readonly problem: string, readonly mark: Mark, readonly context?: string) {
    super(`${context ? `${context}: ` : ''}${problem} (line ${mark.line + 1}, column ${mark.column + 1})`);
  }
}

interface SimpleKey {
  possible: boolean;
  required: boolean;
  tokenNumber: number;
  /** Where the key would start. */
  offset: number;
  line: number;
  column: number;
  index: number;
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const NEL = 0x85;
const LS = 0x2028;
const PS = 0x2029;
const BOM = 0xfeff;

/** go-yaml's limits (scannerc.go `max_flow_level`, `max_indents`). */
const MAX_DEPTH = 10000;

const isBreakCode = (c: number) => c === LF || c === CR || c === NEL || c === LS || c === PS;
const isBlankCode = (c: number) => c === SPACE || c === TAB;
/** [0-9A-Za-z_-] (yamlprivateh.go `is_alpha`). */
const isAlphaCode = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2d;
const isHexCode = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const URI_CHARS = new Set(";/?:@&=+$,.!~*'()[]%".split('').map((ch) => ch.charCodeAt(0)));

// Characters go-yaml's reader accepts (readerc.go `yaml_parser_update_buffer`): tab, LF, CR,
// printable ASCII, NEL and the printable planes. UTF-16 surrogates stand for the astral planes.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ud800-\udfff\ue000-\ufffd]/;

export class Scanner {
  private pos = 0;
  private line = 0;
  private column = 0;
  private index = 0;
  private readonly tokens: Token[] = [];
  private head = 0;
  private tokensParsed = 0;
  private tokenAvailable = false;
  private streamStartProduced = false;
  private streamEndProduced = false;
  private indent = -1;
  private readonly indents: number[] = [];
  private simpleKeyAllowed = false;
  private readonly simpleKeys: SimpleKey[] = [];
  private readonly simpleKeysByTok = new Map<number, number>();
  private flowLevel = 0;
  private readonly len: number;

  constructor(private readonly src: string) {
    this.len = src.length;
    // A BOM that starts the stream tells the encoding and is no character (readerc.go `yaml_parser_determine_encoding`).
    if (src.charCodeAt(0) === BOM) this.pos = 1;
    const bad = FORBIDDEN.exec(src);
    if (bad) {
      // go-yaml stops at the character; point at it.
      const before = src.slice(0, bad.index);
      const line = before.split(/\r\n|[\r\n\x85\u2028\u2029]/).length - 1;
      const column = bad.index - Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r')) - 1;
      throw new YamlError('control characters are not allowed', { offset: bad.index, line, column, index: bad.index });
    }
  }

  /** The next token without taking it. */
  public peek(): Token {
    if (!this.tokenAvailable) this.fetchMoreTokens();
    return this.tokens[this.head];
  }

  /** Takes the token `peek` returned. */
  public skipToken(): void {
    this.tokenAvailable = false;
    this.tokensParsed++;
    this.streamEndProduced = this.tokens[this.head].type === Tok.StreamEnd;
    this.head++;
    if (this.head > 256 && this.head * 2 > this.tokens.length) {
      this.tokens.splice(0, this.head);
      this.head = 0;
    }
  }

  public get ended(): boolean {
    return this.streamEndProduced;
  }

  // --- characters --------------------------------------------------------------------------

  private code(off = 0): number {
    const at = this.pos + off;
    return at < this.len ? this.src.charCodeAt(at) : 0;
  }
  private atEnd(off = 0): boolean {
    return this.pos + off >= this.len;
  }
  private isBreak(off = 0): boolean {
    return !this.atEnd(off) && isBreakCode(this.code(off));
  }
  private isBlank(off = 0): boolean {
    return !this.atEnd(off) && isBlankCode(this.code(off));
  }
  private isBreakz(off = 0): boolean {
    return this.atEnd(off) || isBreakCode(this.code(off));
  }
  private isBlankz(off = 0): boolean {
    return this.atEnd(off) || isBlankCode(this.code(off)) || isBreakCode(this.code(off));
  }
  /** The width in UTF-16 units of the character at `pos + off`. */
  private width(off = 0): number {
    const c = this.code(off);
    return c >= 0xd800 && c <= 0xdbff ? 2 : 1;
  }

  private mark(): Mark {
    return { offset: this.pos, line: this.line, column: this.column, index: this.index };
  }

  private skip(): void {
    this.pos += this.width();
    this.column++;
    this.index++;
  }

  private skipLine(): void {
    const c = this.code();
    if (c === CR && this.code(1) === LF) {
      this.pos += 2;
      this.index += 2;
      this.column = 0;
      this.line++;
    } else if (this.isBreak()) {
      this.pos += 1;
      this.index++;
      this.column = 0;
      this.line++;
    }
  }

  /** Consumes a line break and returns what it reads as inside a scalar: LF, or LS/PS themselves. */
  private readLine(): string {
    const c = this.code();
    if (c === LS || c === PS) {
      this.skipLine();
      return String.fromCharCode(c);
    }
    this.skipLine();
    return '\n';
  }

  private error(context: string | undefined, problem: string, at: number = this.pos): never {
    throw new YamlError(problem, this.markAt(at), context);
  }

  /** The line and column of an offset (counted from the start: errors only). */
  public markAt(offset: number): Mark {
    if (offset === this.pos) return this.mark();
    let line = 0;
    let lineStart = 0;
    for (let i = 0; i < offset; i++) {
      const c = this.src.charCodeAt(i);
      if (c === CR && this.src.charCodeAt(i + 1) === LF) continue;
      if (isBreakCode(c)) {
        line++;
        lineStart = i + 1;
      }
    }
    return { offset, line, column: offset - lineStart, index: offset };
  }

  // --- the token queue ---------------------------------------------------------------------

  private insertToken(pos: number, token: Token): void {
    if (pos < 0) this.tokens.push(token);
    else this.tokens.splice(this.head + pos, 0, token);
  }

  private fetchMoreTokens(): void {
    for (;;) {
      if (this.head !== this.tokens.length) {
        const idx = this.simpleKeysByTok.get(this.tokensParsed);
        if (idx === undefined || !this.simpleKeyIsValid(this.simpleKeys[idx])) break;
      }
      this.fetchNextToken();
    }
    this.tokenAvailable = true;
  }

  private fetchNextToken(): void {
    if (!this.streamStartProduced) return this.fetchStreamStart();
    this.scanToNextToken();
    this.unrollIndent(this.column);
    if (this.atEnd()) return this.fetchStreamEnd();
    const c = this.code();
    if (this.column === 0 && c === 0x25 /* % */) return this.fetchDirective();
    if (this.column === 0 && this.isDocumentIndicator(0x2d)) return this.fetchDocumentIndicator(Tok.DocumentStart);
    if (this.column === 0 && this.isDocumentIndicator(0x2e)) return this.fetchDocumentIndicator(Tok.DocumentEnd);
    switch (c) {
      case 0x5b: return this.fetchFlowCollectionStart(Tok.FlowSequenceStart);
      case 0x7b: return this.fetchFlowCollectionStart(Tok.FlowMappingStart);
      case 0x5d: return this.fetchFlowCollectionEnd(Tok.FlowSequenceEnd);
      case 0x7d: return this.fetchFlowCollectionEnd(Tok.FlowMappingEnd);
      case 0x2c: return this.fetchFlowEntry();
      default:
    }
    if (c === 0x2d && this.isBlankz(1)) return this.fetchBlockEntry();
    if (c === 0x3f && (this.flowLevel > 0 || this.isBlankz(1))) return this.fetchKey();
    if (c === 0x3a && (this.flowLevel > 0 || this.isBlankz(1))) return this.fetchValue();
    if (c === 0x2a) return this.fetchAnchor(Tok.Alias);
    if (c === 0x26) return this.fetchAnchor(Tok.Anchor);
    if (c === 0x21) return this.fetchTag();
    if (c === 0x7c && this.flowLevel === 0) return this.fetchBlockScalar(true);
    if (c === 0x3e && this.flowLevel === 0) return this.fetchBlockScalar(false);
    if (c === 0x27) return this.fetchFlowScalar(true);
    if (c === 0x22) return this.fetchFlowScalar(false);
    // A plain scalar starts with any non-blank character but the indicators; '-' too when a
    // non-blank follows, and in the block context '?' and ':' when a non-blank follows.
    const indicator = '-?:,[]{}#&*!|>\'"%@`'.includes(String.fromCharCode(c));
    if (!(this.isBlankz() || indicator) || (c === 0x2d && !this.isBlank(1)) ||
      (this.flowLevel === 0 && (c === 0x3f || c === 0x3a) && !this.isBlankz(1))) {
      return this.fetchPlainScalar();
    }
    return this.error('while scanning for the next token', 'found character that cannot start any token');
  }

  /** `---` or `...` (by its character) followed by a blank, a break or the end. */
  private isDocumentIndicator(c: number): boolean {
    return this.code() === c && this.code(1) === c && this.code(2) === c && !this.atEnd(2) && this.isBlankz(3);
  }

  private simpleKeyIsValid(key: SimpleKey): boolean {
    if (!key.possible) return false;
    if (key.line < this.line || key.index + 1024 < this.index) {
      if (key.required) this.error('while scanning a simple key', 'could not find expected \':\'', key.offset);
      key.possible = false;
      // go-yaml keeps the entry; nothing looks it up again, and a long document would keep them all.
      this.simpleKeysByTok.delete(key.tokenNumber);
      return false;
    }
    return true;
  }

  private saveSimpleKey(): void {
    if (!this.simpleKeyAllowed) return;
    const required = this.flowLevel === 0 && this.indent === this.column;
    this.removeSimpleKey();
    // The key slot of this flow level is reused: one object per level, not one per scalar.
    const top = this.simpleKeys.length - 1;
    const key = this.simpleKeys[top];
    this.simpleKeysByTok.delete(key.tokenNumber);
    key.possible = true;
    key.required = required;
    key.tokenNumber = this.tokensParsed + (this.tokens.length - this.head);
    key.offset = this.pos;
    key.line = this.line;
    key.column = this.column;
    key.index = this.index;
    this.simpleKeysByTok.set(key.tokenNumber, top);
  }

  private removeSimpleKey(): void {
    const key = this.simpleKeys[this.simpleKeys.length - 1];
    if (key.possible) {
      if (key.required) this.error('while scanning a simple key', 'could not find expected \':\'', key.offset);
      key.possible = false;
      this.simpleKeysByTok.delete(key.tokenNumber);
    }
  }

  private increaseFlowLevel(): void {
    this.simpleKeys.push(this.noKey(this.tokensParsed + (this.tokens.length - this.head)));
    this.flowLevel++;
    if (this.flowLevel > MAX_DEPTH) this.error('while increasing flow level', `exceeded max depth of ${MAX_DEPTH}`);
  }

  private decreaseFlowLevel(): void {
    if (this.flowLevel > 0) {
      this.flowLevel--;
      const key = this.simpleKeys.pop()!;
      this.simpleKeysByTok.delete(key.tokenNumber);
    }
  }

  private noKey(tokenNumber: number): SimpleKey {
    return { possible: false, required: false, tokenNumber, offset: this.pos, line: this.line, column: this.column, index: this.index };
  }

  private rollIndent(column: number, number: number, type: number, at: number): void {
    if (this.flowLevel > 0) return;
    if (this.indent < column) {
      this.indents.push(this.indent);
      this.indent = column;
      if (this.indents.length > MAX_DEPTH) this.error('while increasing indent level', `exceeded max depth of ${MAX_DEPTH}`);
      this.insertToken(number > -1 ? number - this.tokensParsed : -1, makeToken(type, at, at));
    }
  }

  private unrollIndent(column: number): void {
    if (this.flowLevel > 0) return;
    while (this.indent > column) {
      this.insertToken(-1, makeToken(Tok.BlockEnd, this.pos, this.pos));
      this.indent = this.indents.pop()!;
    }
  }

  // --- fetchers ------------------------------------------------------------------------------

  private fetchStreamStart(): void {
    this.indent = -1;
    this.simpleKeys.push(this.noKey(0));
    this.simpleKeyAllowed = true;
    this.streamStartProduced = true;
    this.insertToken(-1, makeToken(Tok.StreamStart, this.pos, this.pos));
  }

  private fetchStreamEnd(): void {
    if (this.column !== 0) {
      this.column = 0;
      this.line++;
    }
    this.unrollIndent(-1);
    this.removeSimpleKey();
    this.simpleKeyAllowed = false;
    this.insertToken(-1, makeToken(Tok.StreamEnd, this.pos, this.pos));
  }

  private fetchDirective(): void {
    this.unrollIndent(-1);
    this.removeSimpleKey();
    this.simpleKeyAllowed = false;
    this.insertToken(-1, this.scanDirective());
  }

  private fetchDocumentIndicator(type: number): void {
    this.unrollIndent(-1);
    this.removeSimpleKey();
    this.simpleKeyAllowed = false;
    const start = this.pos;
    this.skip();
    this.skip();
    this.skip();
    this.insertToken(-1, makeToken(type, start, this.pos));
  }

  private fetchFlowCollectionStart(type: number): void {
    this.saveSimpleKey();
    this.increaseFlowLevel();
    this.simpleKeyAllowed = true;
    this.indicatorToken(type);
  }

  private fetchFlowCollectionEnd(type: number): void {
    this.removeSimpleKey();
    this.decreaseFlowLevel();
    this.simpleKeyAllowed = false;
    this.indicatorToken(type);
  }

  private fetchFlowEntry(): void {
    this.fetchIndicator(Tok.FlowEntry, true);
  }

  private fetchBlockEntry(): void {
    if (this.flowLevel === 0) {
      if (!this.simpleKeyAllowed) this.error(undefined, 'block sequence entries are not allowed in this context');
      this.rollIndent(this.column, -1, Tok.BlockSequenceStart, this.pos);
    }
    this.fetchIndicator(Tok.BlockEntry, true);
  }

  private fetchKey(): void {
    if (this.flowLevel === 0) {
      if (!this.simpleKeyAllowed) this.error(undefined, 'mapping keys are not allowed in this context');
      this.rollIndent(this.column, -1, Tok.BlockMappingStart, this.pos);
    }
    this.fetchIndicator(Tok.Key, this.flowLevel === 0);
  }

  /** The one-character indicator token at the current position (`,`, `-`, `?`); a simple key may follow it when `keyAllowed`. */
  private fetchIndicator(type: number, keyAllowed: boolean): void {
    this.removeSimpleKey();
    this.simpleKeyAllowed = keyAllowed;
    this.indicatorToken(type);
  }

  /** Queues the one-character indicator at the current position as a token of `type`. */
  private indicatorToken(type: number): void {
    const start = this.pos;
    this.skip();
    this.insertToken(-1, makeToken(type, start, this.pos));
  }

  private fetchValue(): void {
    const key = this.simpleKeys[this.simpleKeys.length - 1];
    if (this.simpleKeyIsValid(key)) {
      this.insertToken(key.tokenNumber - this.tokensParsed, makeToken(Tok.Key, key.offset, key.offset));
      this.rollIndent(key.column, key.tokenNumber, Tok.BlockMappingStart, key.offset);
      key.possible = false;
      this.simpleKeysByTok.delete(key.tokenNumber);
      this.simpleKeyAllowed = false;
    } else {
      if (this.flowLevel === 0) {
        if (!this.simpleKeyAllowed) this.error(undefined, 'mapping values are not allowed in this context');
        this.rollIndent(this.column, -1, Tok.BlockMappingStart, this.pos);
      }
      this.simpleKeyAllowed = this.flowLevel === 0;
    }
    this.indicatorToken(Tok.Value);
  }

  private fetchAnchor(type: number): void {
    this.saveSimpleKey();
    this.simpleKeyAllowed = false;
    this.insertToken(-1, this.scanAnchor(type));
  }

  private fetchTag(): void {
    this.saveSimpleKey();
    this.simpleKeyAllowed = false;
    this.insertToken(-1, this.scanTag());
  }

  private fetchBlockScalar(literal: boolean): void {
    this.removeSimpleKey();
    this.simpleKeyAllowed = true;
    this.insertToken(-1, this.scanBlockScalar(literal));
  }

  private fetchFlowScalar(single: boolean): void {
    this.saveSimpleKey();
    this.simpleKeyAllowed = false;
    this.insertToken(-1, this.scanFlowScalar(single));
  }

  private fetchPlainScalar(): void {
    this.saveSimpleKey();
    this.simpleKeyAllowed = false;
    this.insertToken(-1, this.scanPlainScalar());
  }

  // --- scanners ------------------------------------------------------------------------------

  private scanToNextToken(): void {
    for (;;) {
      if (this.column === 0 && this.code() === BOM && !this.atEnd()) this.skip();
      // Tabs are allowed in the flow context, and in the block context where no simple key may start.
      while (!this.atEnd() && (this.code() === SPACE || ((this.flowLevel > 0 || !this.simpleKeyAllowed) && this.code() === TAB))) this.skip();
      if (this.code() === 0x23 && !this.atEnd()) {
        while (!this.isBreakz()) this.skip();
      }
      if (!this.isBreak()) break;
      this.skipLine();
      if (this.flowLevel === 0) this.simpleKeyAllowed = true;
    }
  }

  /** The rest of a directive's or block scalar header's line: blanks, a comment, the break. */
  private scanLineEnd(context: string, start: number): void {
    while (this.isBlank()) this.skip();
    if (this.code() === 0x23 && !this.atEnd()) {
      while (!this.isBreakz()) this.skip();
    }
    if (!this.isBreakz()) this.error(context, 'did not find expected comment or line break', start);
    if (this.isBreak()) this.skipLine();
  }

  private scanDirective(): Token {
    const start = this.pos;
    this.skip();
    let name = '';
    while (isAlphaCode(this.code()) && !this.atEnd()) {
      name += this.src[this.pos];
      this.skip();
    }
    if (name === '') this.error('while scanning a directive', 'could not find expected directive name', start);
    if (!this.isBlankz()) this.error('while scanning a directive', 'found unexpected non-alphabetical character', start);
    let token: Token;
    if (name === 'YAML') {
      while (this.isBlank()) this.skip();
      const major = this.scanVersionNumber(start);
      if (this.code() !== 0x2e) this.error('while scanning a %YAML directive', 'did not find expected digit or \'.\' character', start);
      this.skip();
      const minor = this.scanVersionNumber(start);
      token = { ...makeToken(Tok.VersionDirective, start, this.pos), major, minor };
    } else if (name === 'TAG') {
      while (this.isBlank()) this.skip();
      const handle = this.scanTagHandle(true, start);
      if (!this.isBlank()) this.error('while scanning a %TAG directive', 'did not find expected whitespace', start);
      while (this.isBlank()) this.skip();
      const prefix = this.scanTagUri(true, '', start);
      if (!this.isBlankz()) this.error('while scanning a %TAG directive', 'did not find expected whitespace or line break', start);
      token = makeToken(Tok.TagDirective, start, this.pos, handle, 0, prefix);
    } else {
      return this.error('while scanning a directive', 'found unknown directive name', start);
    }
    this.scanLineEnd('while scanning a directive', start);
    return token;
  }

  private scanVersionNumber(start: number): number {
    let value = 0;
    let length = 0;
    while (!this.atEnd() && this.code() >= 0x30 && this.code() <= 0x39) {
      if (++length > 2) this.error('while scanning a %YAML directive', 'found extremely long version number', start);
      value = value * 10 + (this.code() - 0x30);
      this.skip();
    }
    if (length === 0) this.error('while scanning a %YAML directive', 'did not find expected version number', start);
    return value;
  }

  private scanAnchor(type: number): Token {
    const start = this.pos;
    this.skip();
    const from = this.pos;
    while (!this.atEnd() && isAlphaCode(this.code())) this.skip();
    const value = this.src.slice(from, this.pos);
    const end = this.pos;
    const c = this.code();
    if (value === '' || !(this.isBlankz() || c === 0x3f || c === 0x3a || c === 0x2c || c === 0x5d || c === 0x7d || c === 0x25 || c === 0x40 || c === 0x60)) {
      this.error(type === Tok.Anchor ? 'while scanning an anchor' : 'while scanning an alias', 'did not find expected alphabetic or numeric character', start);
    }
    return makeToken(type, start, end, value);
  }

  private scanTag(): Token {
    const start = this.pos;
    let handle: string;
    let suffix: string;
    if (this.code(1) === 0x3c /* < */) {
      this.skip();
      this.skip();
      handle = '';
      suffix = this.scanTagUri(false, '', start);
      if (this.code() !== 0x3e || this.atEnd()) this.error('while scanning a tag', 'did not find the expected \'>\'', start);
      this.skip();
    } else {
      handle = this.scanTagHandle(false, start);
      if (handle.length > 1 && handle[0] === '!' && handle[handle.length - 1] === '!') {
        suffix = this.scanTagUri(false, '', start);
      } else {
        suffix = this.scanTagUri(false, handle, start);
        handle = '!';
        // The '!' tag alone: handle '' and suffix '!'.
        if (suffix === '') {
          suffix = '!';
          handle = '';
        }
      }
    }
    if (!this.isBlankz()) this.error('while scanning a tag', 'did not find expected whitespace or line break', start);
    return makeToken(Tok.Tag, start, this.pos, handle, 0, suffix);
  }

  private scanTagHandle(directive: boolean, start: number): string {
    const context = directive ? 'while parsing a %TAG directive' : 'while parsing a tag';
    if (this.code() !== 0x21 || this.atEnd()) this.error(context, 'did not find expected \'!\'', start);
    const from = this.pos;
    this.skip();
    while (!this.atEnd() && isAlphaCode(this.code())) this.skip();
    if (this.code() === 0x21 && !this.atEnd()) {
      this.skip();
    } else if (directive && this.pos - from !== 1) {
      this.error(context, 'did not find expected \'!\'', start);
    }
    return this.src.slice(from, this.pos);
  }

  private scanTagUri(directive: boolean, head: string, start: number): string {
    const context = directive ? 'while parsing a %TAG directive' : 'while parsing a tag';
    // The head's leading '!' is not part of the URI.
    let s = head.length > 1 ? head.slice(1) : '';
    let hasTag = head.length > 0;
    while (!this.atEnd() && (isAlphaCode(this.code()) || URI_CHARS.has(this.code()))) {
      if (this.code() === 0x25) {
        s += this.scanUriEscapes(context, start);
      } else {
        s += this.src[this.pos];
        this.skip();
      }
      hasTag = true;
    }
    if (!hasTag) this.error(context, 'did not find expected tag URI', start);
    return s;
  }

  /** One %-escaped UTF-8 character (scannerc.go `yaml_parser_scan_uri_escapes`). */
  private scanUriEscapes(context: string, start: number): string {
    const bytes: number[] = [];
    let w = 1024;
    while (w > 0) {
      if (!(this.code() === 0x25 && isHexCode(this.code(1)) && isHexCode(this.code(2)) && !this.atEnd(2))) {
        this.error(context, 'did not find URI escaped octet', start);
      }
      const octet = parseInt(this.src.slice(this.pos + 1, this.pos + 3), 16);
      if (w === 1024) {
        w = octet < 0x80 ? 1 : (octet & 0xe0) === 0xc0 ? 2 : (octet & 0xf0) === 0xe0 ? 3 : (octet & 0xf8) === 0xf0 ? 4 : 0; // eslint-disable-line no-bitwise
        if (w === 0) this.error(context, 'found an incorrect leading UTF-8 octet', start);
      } else if ((octet & 0xc0) !== 0x80) { // eslint-disable-line no-bitwise
        this.error(context, 'found an incorrect trailing UTF-8 octet', start);
      }
      bytes.push(octet);
      this.skip();
      this.skip();
      this.skip();
      w--;
    }
    return Buffer.from(bytes).toString('utf-8');
  }

  private scanBlockScalar(literal: boolean): Token {
    const start = this.pos;
    this.skip();
    let chomping = 0;
    let increment = 0;
    const context = 'while scanning a block scalar';
    const readChomping = () => {
      if (this.code() === 0x2b || this.code() === 0x2d) {
        chomping = this.code() === 0x2b ? 1 : -1;
        this.skip();
        return true;
      }
      return false;
    };
    const readIncrement = () => {
      if (!this.atEnd() && this.code() >= 0x30 && this.code() <= 0x39) {
        if (this.code() === 0x30) this.error(context, 'found an indentation indicator equal to 0', start);
        increment = this.code() - 0x30;
        this.skip();
      }
    };
    if (readChomping()) {readIncrement();} else if (!this.atEnd() && this.code() >= 0x30 && this.code() <= 0x39) {
      readIncrement();
      readChomping();
    }
    this.scanLineEnd(context, start);
    let end = this.pos;
    let indent = increment > 0 ? (this.indent >= 0 ? this.indent + increment : increment) : 0;

    const parts: string[] = [];
    let leadingBreak = '';
    let trailingBreaks = '';
    const breaks = () => {
      // Indentation spaces and empty lines; sets `indent` when it is still to be found.
      end = this.pos;
      let maxIndent = 0;
      for (;;) {
        while ((indent === 0 || this.column < indent) && this.code() === SPACE && !this.atEnd()) this.skip();
        if (this.column > maxIndent) maxIndent = this.column;
        if ((indent === 0 || this.column < indent) && this.code() === TAB && !this.atEnd()) {
          this.error(context, 'found a tab character where an indentation space is expected', start);
        }
        if (!this.isBreak()) break;
        trailingBreaks += this.readLine();
        end = this.pos;
      }
      if (indent === 0) {
        indent = Math.max(maxIndent, this.indent + 1, 1);
      }
    };
    breaks();
    let leadingBlank = false;
    while (this.column === indent && !this.atEnd()) {
      const trailingBlank = this.isBlank();
      if (!literal && !leadingBlank && !trailingBlank && leadingBreak.startsWith('\n')) {
        if (trailingBreaks === '') parts.push(' ');
      } else {
        parts.push(leadingBreak);
      }
      leadingBreak = '';
      parts.push(trailingBreaks);
      trailingBreaks = '';
      leadingBlank = this.isBlank();
      const from = this.pos;
      while (!this.isBreakz()) this.skip();
      parts.push(this.src.slice(from, this.pos));
      leadingBreak = this.atEnd() ? '' : this.readLine();
      breaks();
    }
    if (chomping !== -1) parts.push(leadingBreak);
    if (chomping === 1) parts.push(trailingBreaks);
    return makeToken(Tok.Scalar, start, end, parts.join(''), literal ? Style.Literal : Style.Folded);
  }

  private scanFlowScalar(single: boolean): Token {
    const start = this.pos;
    this.skip();
    const parts: string[] = [];
    let leadingBreak = '';
    let trailingBreaks = '';
    let whitespaces = '';
    const quote = single ? 0x27 : 0x22;
    for (;;) {
      if (this.column === 0 && (this.isDocumentIndicator(0x2d) || this.isDocumentIndicator(0x2e))) {
        this.error('while scanning a quoted scalar', 'found unexpected document indicator', start);
      }
      if (this.atEnd()) this.error('while scanning a quoted scalar', 'found unexpected end of stream', start);
      let leadingBlanks = false;
      let from = this.pos;
      while (!this.isBlankz()) {
        const c = this.code();
        if (single && c === 0x27 && this.code(1) === 0x27 && !this.atEnd(1)) {
          parts.push(this.src.slice(from, this.pos), '\'');
          this.skip();
          this.skip();
          from = this.pos;
        } else if (c === quote) {
          break;
        } else if (!single && c === 0x5c && this.isBreak(1)) {
          parts.push(this.src.slice(from, this.pos));
          this.skip();
          this.skipLine();
          leadingBlanks = true;
          from = this.pos;
          break;
        } else if (!single && c === 0x5c) {
          parts.push(this.src.slice(from, this.pos), this.scanEscape(start));
          from = this.pos;
        } else {
          this.skip();
        }
      }
      parts.push(this.src.slice(from, this.pos));
      if (this.code() === quote && !this.atEnd()) break;
      while (this.isBlank() || this.isBreak()) {
        if (this.isBlank()) {
          if (!leadingBlanks) whitespaces += this.src[this.pos];
          this.skip();
        } else if (!leadingBlanks) {
          whitespaces = '';
          leadingBreak = this.readLine();
          leadingBlanks = true;
        } else {
          trailingBreaks += this.readLine();
        }
      }
      if (leadingBlanks) {
        if (leadingBreak.startsWith('\n')) parts.push(trailingBreaks === '' ? ' ' : trailingBreaks);
        else parts.push(leadingBreak, trailingBreaks);
        leadingBreak = '';
        trailingBreaks = '';
      } else {
        parts.push(whitespaces);
        whitespaces = '';
      }
    }
    this.skip();
    return makeToken(Tok.Scalar, start, this.pos, parts.join(''), single ? Style.SingleQuoted : Style.DoubleQuoted);
  }

  /** A backslash escape of a double-quoted scalar (scannerc.go `yaml_parser_scan_flow_scalar`). */
  private scanEscape(start: number): string {
    const e = this.src[this.pos + 1];
    let length = 0;
    let out: string | undefined;
    switch (e) {
      case '0': out = '\0'; break;
      case 'a': out = '\x07'; break;
      case 'b': out = '\b'; break;
      case 't': case '\t': out = '\t'; break;
      case 'n': out = '\n'; break;
      case 'v': out = '\v'; break;
      case 'f': out = '\f'; break;
      case 'r': out = '\r'; break;
      case 'e': out = '\x1b'; break;
      case ' ': out = ' '; break;
      case '"': out = '"'; break;
      case '\'': out = '\''; break;
      case '\\': out = '\\'; break;
      case 'N': out = '\x85'; break;
      case '_': out = '\xa0'; break;
      case 'L': out = '\u2028'; break;
      case 'P': out = '\u2029'; break;
      case 'x': length = 2; break;
      case 'u': length = 4; break;
      case 'U': length = 8; break;
      default: this.error('while parsing a quoted scalar', 'found unknown escape character', start);
    }
    this.skip();
    this.skip();
    if (length === 0) return out!;
    let value = 0;
    for (let k = 0; k < length; k++) {
      if (this.atEnd(k) || !isHexCode(this.code(k))) this.error('while parsing a quoted scalar', 'did not find expected hexdecimal number', start);
      value = value * 16 + parseInt(this.src[this.pos + k], 16);
    }
    if ((value >= 0xd800 && value <= 0xdfff) || value > 0x10ffff) {
      this.error('while parsing a quoted scalar', 'found invalid Unicode character escape code', start);
    }
    for (let k = 0; k < length; k++) this.skip();
    return String.fromCodePoint(value);
  }

  private scanPlainScalar(): Token {
    const start = this.pos;
    // Where the last non-blank character ends.
    let endPos = this.pos;
    // Built by concatenation: a scalar of one piece (the most) is that piece's slice, no array.
    let value = '';
    let leadingBreak = '';
    let trailingBreaks = '';
    let whitespaces = '';
    let leadingBlanks = false;
    const indent = this.indent + 1;
    const src = this.src;
    const len = this.len;
    const flow = this.flowLevel > 0;
    for (;;) {
      if (this.column === 0 && (this.isDocumentIndicator(0x2d) || this.isDocumentIndicator(0x2e))) break;
      if (this.code() === 0x23 && !this.atEnd()) break;
      let from = -1;
      while (this.pos < len) {
        const c = src.charCodeAt(this.pos);
        if (c === SPACE || c === TAB || isBreakCode(c)) break;
        if (c === 0x3a) {
          const n = this.pos + 1 < len ? src.charCodeAt(this.pos + 1) : 0;
          if (this.pos + 1 >= len || n === SPACE || n === TAB || isBreakCode(n)) break;
        }
        if (flow && (c === 0x2c || c === 0x3f || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d)) break;
        if (from < 0) {
          if (leadingBlanks) {
            if (leadingBreak.startsWith('\n')) value += trailingBreaks === '' ? ' ' : trailingBreaks;
            else value += leadingBreak + trailingBreaks;
            leadingBreak = '';
            trailingBreaks = '';
            leadingBlanks = false;
          } else if (whitespaces !== '') {
            value += whitespaces;
            whitespaces = '';
          }
          from = this.pos;
        }
        // skip(), inline: one character, two UTF-16 units for a surrogate pair.
        this.pos += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
        this.column++;
        this.index++;
        endPos = this.pos;
      }
      if (from >= 0) value += src.slice(from, this.pos);
      if (!(this.isBlank() || this.isBreak())) break;
      while (this.isBlank() || this.isBreak()) {
        if (this.isBlank()) {
          if (leadingBlanks && this.column < indent && this.code() === TAB) {
            this.error('while scanning a plain scalar', 'found a tab character that violates indentation', start);
          }
          if (!leadingBlanks) whitespaces += src[this.pos];
          this.skip();
        } else if (!leadingBlanks) {
          whitespaces = '';
          leadingBreak = this.readLine();
          leadingBlanks = true;
        } else {
          trailingBreaks += this.readLine();
        }
      }
      if (this.flowLevel === 0 && this.column < indent) break;
    }
    if (leadingBlanks) this.simpleKeyAllowed = true;
    return makeToken(Tok.Scalar, start, endPos, value, Style.Plain);
  }
}
