// go-yaml v2's parser (sigs.k8s.io/yaml v1.4.0, goyaml.v2/parserc.go, from libyaml's parser.c): the
// tokens of scanner.ts become events by the same state machine, with the same errors. Nesting is
// held on explicit stacks, so a document nested 10,000 levels deep (go-yaml's limit) reads as well
// as a flat one.
import { Mark, Scanner, Style, Tok, Token, YamlError } from './scanner';

/** Event types (goyaml.v2/yamlh.go `yaml_event_type_t`). */
export const Ev = {
  StreamStart: 1,
  StreamEnd: 2,
  DocumentStart: 3,
  DocumentEnd: 4,
  Alias: 5,
  Scalar: 6,
  SequenceStart: 7,
  SequenceEnd: 8,
  MappingStart: 9,
  MappingEnd: 10,
} as const;

/** An event of the parser (one object, filled anew for each event: read it before asking for the next). */
export interface YamlEvent {
  readonly type: number;
  /** Where the event's node starts (its anchor or tag, else its content) and ends, as UTF-16 offsets. */
  readonly start: number;
  readonly end: number;
  readonly anchor?: string;
  /** The resolved tag, e.g. "tag:yaml.org,2002:str", "!local", or "!" for the non-specific tag. */
  readonly tag?: string;
  readonly value?: string;
  /** A plain scalar without a tag (or with the "!" tag): its type is resolved from its text. */
  readonly implicit?: boolean;
  readonly style?: number;
  readonly flow?: boolean;
  /** Where the `-` of the block sequence entry this node is the item of starts, if any. */
  readonly dash?: number;
}

const State = {
  StreamStart: 0,
  ImplicitDocumentStart: 1,
  DocumentStart: 2,
  DocumentContent: 3,
  DocumentEnd: 4,
  BlockNode: 5,
  BlockNodeOrIndentlessSequence: 6,
  FlowNode: 7,
  BlockSequenceFirstEntry: 8,
  BlockSequenceEntry: 9,
  IndentlessSequenceEntry: 10,
  BlockMappingFirstKey: 11,
  BlockMappingKey: 12,
  BlockMappingValue: 13,
  FlowSequenceFirstEntry: 14,
  FlowSequenceEntry: 15,
  FlowSequenceEntryMappingKey: 16,
  FlowSequenceEntryMappingValue: 17,
  FlowSequenceEntryMappingEnd: 18,
  FlowMappingFirstKey: 19,
  FlowMappingKey: 20,
  FlowMappingValue: 21,
  FlowMappingEmptyValue: 22,
  End: 23,
} as const;

const DEFAULT_TAGS: Array<[string, string]> = [['!', '!'], ['!!', 'tag:yaml.org,2002:']];

export class Parser {
  private readonly scanner: Scanner;
  private state: number = State.StreamStart;
  private readonly states: number[] = [];
  private readonly marks: number[] = [];
  private tagDirectives: Array<[string, string]> = [];
  /** The dash of the block sequence entry whose node comes next. */
  private dash = -1;
  private readonly event: { -readonly [K in keyof YamlEvent]: YamlEvent[K] } = {
    type: 0, start: 0, end: 0, dash: -1, anchor: undefined, tag: undefined, value: undefined, implicit: false, style: 0, flow: false,
  };

  constructor(text: string) {
    this.scanner = new Scanner(text);
  }

  /** The next event; after StreamEnd, StreamEnd again. */
  public next(): YamlEvent {
    const e = this.stateMachine();
    return e;
  }

  private peek(): Token {
    return this.scanner.peek();
  }

  private skip(): void {
    this.scanner.skipToken();
  }

  private pop(): number {
    return this.states.pop()!;
  }

  private fail(problem: string, at: number, context?: string): never {
    throw new YamlError(problem, this.scanner.markAt(at), context);
  }

  /** The line and column of an offset, for messages. */
  public markAt(offset: number): Mark {
    return this.scanner.markAt(offset);
  }

  private stateMachine(): YamlEvent {
    switch (this.state) {
      case State.StreamStart: return this.streamStart();
      case State.ImplicitDocumentStart: return this.documentStart(true);
      case State.DocumentStart: return this.documentStart(false);
      case State.DocumentContent: return this.documentContent();
      case State.DocumentEnd: return this.documentEnd();
      case State.BlockNode: return this.node(true, false);
      case State.BlockNodeOrIndentlessSequence: return this.node(true, true);
      case State.FlowNode: return this.node(false, false);
      case State.BlockSequenceFirstEntry: return this.blockSequenceEntry(true);
      case State.BlockSequenceEntry: return this.blockSequenceEntry(false);
      case State.IndentlessSequenceEntry: return this.indentlessSequenceEntry();
      case State.BlockMappingFirstKey: return this.blockMappingKey(true);
      case State.BlockMappingKey: return this.blockMappingKey(false);
      case State.BlockMappingValue: return this.blockMappingValue();
      case State.FlowSequenceFirstEntry: return this.flowSequenceEntry(true);
      case State.FlowSequenceEntry: return this.flowSequenceEntry(false);
      case State.FlowSequenceEntryMappingKey: return this.flowSequenceEntryMappingKey();
      case State.FlowSequenceEntryMappingValue: return this.flowSequenceEntryMappingValue();
      case State.FlowSequenceEntryMappingEnd: return this.flowSequenceEntryMappingEnd();
      case State.FlowMappingFirstKey: return this.flowMappingKey(true);
      case State.FlowMappingKey: return this.flowMappingKey(false);
      case State.FlowMappingValue: return this.flowMappingValue(false);
      case State.FlowMappingEmptyValue: return this.flowMappingValue(true);
      default: {
        const m = this.peek().start;
        return this.emit(Ev.StreamEnd, m, m);
      }
    }
  }

  private streamStart(): YamlEvent {
    const token = this.peek();
    if (token.type !== Tok.StreamStart) this.fail('did not find expected <stream-start>', token.start);
    this.state = State.ImplicitDocumentStart;
    this.skip();
    return this.emit(Ev.StreamStart, token.start, token.end);
  }

  private documentStart(implicit: boolean): YamlEvent {
    let token = this.peek();
    if (!implicit) {
      while (token.type === Tok.DocumentEnd) {
        this.skip();
        token = this.peek();
      }
    }
    if (implicit && token.type !== Tok.VersionDirective && token.type !== Tok.TagDirective &&
      token.type !== Tok.DocumentStart && token.type !== Tok.StreamEnd) {
      this.processDirectives();
      this.states.push(State.DocumentEnd);
      this.state = State.BlockNode;
      return this.emit(Ev.DocumentStart, token.start, token.end);
    }
    if (token.type !== Tok.StreamEnd) {
      const start = token.start;
      this.processDirectives();
      token = this.peek();
      if (token.type !== Tok.DocumentStart) this.fail('did not find expected <document start>', token.start);
      this.states.push(State.DocumentEnd);
      this.state = State.DocumentContent;
      this.skip();
      return this.emit(Ev.DocumentStart, start, token.end);
    }
    this.state = State.End;
    this.skip();
    return this.emit(Ev.StreamEnd, token.start, token.end);
  }

  private documentContent(): YamlEvent {
    const token = this.peek();
    if (token.type === Tok.VersionDirective || token.type === Tok.TagDirective || token.type === Tok.DocumentStart ||
      token.type === Tok.DocumentEnd || token.type === Tok.StreamEnd) {
      this.state = this.pop();
      return this.emptyScalar(token.start);
    }
    return this.node(true, false);
  }

  private documentEnd(): YamlEvent {
    const token = this.peek();
    let end = token.start;
    if (token.type === Tok.DocumentEnd) {
      end = token.end;
      this.skip();
    }
    this.tagDirectives = [];
    this.state = State.DocumentStart;
    return this.emit(Ev.DocumentEnd, token.start, end);
  }

  private node(block: boolean, indentlessSequence: boolean): YamlEvent {
    let token = this.peek();
    const dash = this.dash;
    this.dash = -1;
    if (token.type === Tok.Alias) {
      this.state = this.pop();
      this.skip();
      return this.emit(Ev.Alias, token.start, token.end, dash, token.value);
    }
    let start = token.start;
    let end = token.start;
    let anchor: string | undefined;
    let tagToken: Token | undefined;
    if (token.type === Tok.Anchor) {
      anchor = token.value;
      end = token.end;
      this.skip();
      token = this.peek();
      if (token.type === Tok.Tag) {
        tagToken = token;
        end = token.end;
        this.skip();
        token = this.peek();
      }
    } else if (token.type === Tok.Tag) {
      tagToken = token;
      end = token.end;
      this.skip();
      token = this.peek();
      if (token.type === Tok.Anchor) {
        anchor = token.value;
        end = token.end;
        this.skip();
        token = this.peek();
      }
    }
    let tag: string | undefined;
    if (tagToken) {
      const handle = tagToken.value!;
      if (handle === '') {
        tag = tagToken.suffix;
      } else {
        const found = this.tagDirectives.find(([h]) => h === handle);
        if (!found) this.fail('found undefined tag handle', tagToken.start, 'while parsing a node');
        tag = found[1] + tagToken.suffix;
      }
      if (tag === '') tag = undefined;
    }
    const implicit = tag === undefined;
    if (indentlessSequence && token.type === Tok.BlockEntry) {
      this.state = State.IndentlessSequenceEntry;
      return this.emit(Ev.SequenceStart, start, token.end, dash, anchor, tag, undefined, implicit, 0, false);
    }
    if (token.type === Tok.Scalar) {
      const plainImplicit = (tag === undefined && token.style === Style.Plain) || tag === '!';
      this.state = this.pop();
      this.skip();
      return this.emit(Ev.Scalar, start, token.end, dash, anchor, tag, token.value, plainImplicit, token.style!, false);
    }
    if (token.type === Tok.FlowSequenceStart) {
      this.state = State.FlowSequenceFirstEntry;
      return this.emit(Ev.SequenceStart, start, token.end, dash, anchor, tag, undefined, implicit, 0, true);
    }
    if (token.type === Tok.FlowMappingStart) {
      this.state = State.FlowMappingFirstKey;
      return this.emit(Ev.MappingStart, start, token.end, dash, anchor, tag, undefined, implicit, 0, true);
    }
    if (block && token.type === Tok.BlockSequenceStart) {
      this.state = State.BlockSequenceFirstEntry;
      return this.emit(Ev.SequenceStart, start, token.end, dash, anchor, tag, undefined, implicit, 0, false);
    }
    if (block && token.type === Tok.BlockMappingStart) {
      this.state = State.BlockMappingFirstKey;
      return this.emit(Ev.MappingStart, start, token.end, dash, anchor, tag, undefined, implicit, 0, false);
    }
    if (anchor !== undefined || tag !== undefined) {
      this.state = this.pop();
      return this.emit(Ev.Scalar, start, end, dash, anchor, tag, '', implicit, Style.Plain, false);
    }
    return this.fail('did not find expected node content', token.start, block ? 'while parsing a block node' : 'while parsing a flow node');
  }

  /** The end of a collection at `token` (`]`, `}` or a block's end): back to the state that holds it. */
  private collectionEnd(type: number, token: Token): YamlEvent {
    this.state = this.pop();
    this.marks.pop();
    this.skip();
    return this.emit(type, token.start, token.end);
  }

  private blockSequenceEntry(first: boolean): YamlEvent {
    if (first) {
      this.marks.push(this.peek().start);
      this.skip();
    }
    let token = this.peek();
    if (token.type === Tok.BlockEntry) {
      const mark = token.end;
      const dash = token.start;
      this.skip();
      token = this.peek();
      if (token.type !== Tok.BlockEntry && token.type !== Tok.BlockEnd) {
        this.states.push(State.BlockSequenceEntry);
        this.dash = dash;
        return this.node(true, false);
      }
      this.state = State.BlockSequenceEntry;
      return this.emptyScalar(mark, dash);
    }
    if (token.type === Tok.BlockEnd) {
      return this.collectionEnd(Ev.SequenceEnd, token);
    }
    return this.fail('did not find expected \'-\' indicator', token.start, 'while parsing a block collection');
  }

  private indentlessSequenceEntry(): YamlEvent {
    let token = this.peek();
    if (token.type === Tok.BlockEntry) {
      const mark = token.end;
      const dash = token.start;
      this.skip();
      token = this.peek();
      if (token.type !== Tok.BlockEntry && token.type !== Tok.Key && token.type !== Tok.Value && token.type !== Tok.BlockEnd) {
        this.states.push(State.IndentlessSequenceEntry);
        this.dash = dash;
        return this.node(true, false);
      }
      this.state = State.IndentlessSequenceEntry;
      return this.emptyScalar(mark, dash);
    }
    this.state = this.pop();
    return this.emit(Ev.SequenceEnd, token.start, token.start);
  }

  private blockMappingKey(first: boolean): YamlEvent {
    if (first) {
      this.marks.push(this.peek().start);
      this.skip();
    }
    let token = this.peek();
    if (token.type === Tok.Key) {
      const mark = token.end;
      this.skip();
      token = this.peek();
      if (token.type !== Tok.Key && token.type !== Tok.Value && token.type !== Tok.BlockEnd) {
        this.states.push(State.BlockMappingValue);
        return this.node(true, true);
      }
      this.state = State.BlockMappingValue;
      return this.emptyScalar(mark);
    }
    if (token.type === Tok.BlockEnd) {
      return this.collectionEnd(Ev.MappingEnd, token);
    }
    return this.fail('did not find expected key', token.start, 'while parsing a block mapping');
  }

  private blockMappingValue(): YamlEvent {
    let token = this.peek();
    if (token.type === Tok.Value) {
      const mark = token.end;
      this.skip();
      token = this.peek();
      if (token.type !== Tok.Key && token.type !== Tok.Value && token.type !== Tok.BlockEnd) {
        this.states.push(State.BlockMappingKey);
        return this.node(true, true);
      }
      this.state = State.BlockMappingKey;
      return this.emptyScalar(mark);
    }
    this.state = State.BlockMappingKey;
    return this.emptyScalar(token.start);
  }

  /**
   * The token that starts a flow collection's next entry, past its `[` or `{` (the first) or the `,`
   * that must come between entries (go-yaml v2 parserc.go, the start of
   * yaml_parser_parse_flow_sequence_entry and yaml_parser_parse_flow_mapping_key).
   */
  private flowEntryToken(first: boolean, end: number): Token {
    if (first) {
      this.marks.push(this.peek().start);
      this.skip();
    }
    const token = this.peek();
    if (first || token.type === end) return token;
    if (token.type !== Tok.FlowEntry) {
      const [close, context] = end === Tok.FlowSequenceEnd ? [']', 'while parsing a flow sequence'] : ['}', 'while parsing a flow mapping'];
      this.fail(`did not find expected ',' or '${close}'`, token.start, context);
    }
    this.skip();
    return this.peek();
  }

  private flowSequenceEntry(first: boolean): YamlEvent {
    const token = this.flowEntryToken(first, Tok.FlowSequenceEnd);
    if (token.type === Tok.Key) {
      this.state = State.FlowSequenceEntryMappingKey;
      this.skip();
      return this.emit(Ev.MappingStart, token.start, token.end, -1, undefined, undefined, undefined, true, 0, true);
    }
    if (token.type !== Tok.FlowSequenceEnd) {
      this.states.push(State.FlowSequenceEntry);
      return this.node(false, false);
    }
    return this.collectionEnd(Ev.SequenceEnd, token);
  }

  private flowSequenceEntryMappingKey(): YamlEvent {
    const token = this.peek();
    if (token.type !== Tok.Value && token.type !== Tok.FlowEntry && token.type !== Tok.FlowSequenceEnd) {
      this.states.push(State.FlowSequenceEntryMappingValue);
      return this.node(false, false);
    }
    const mark = token.end;
    this.skip();
    this.state = State.FlowSequenceEntryMappingValue;
    return this.emptyScalar(mark);
  }

  private flowSequenceEntryMappingValue(): YamlEvent {
    let token = this.peek();
    if (token.type === Tok.Value) {
      this.skip();
      token = this.peek();
      if (token.type !== Tok.FlowEntry && token.type !== Tok.FlowSequenceEnd) {
        this.states.push(State.FlowSequenceEntryMappingEnd);
        return this.node(false, false);
      }
    }
    this.state = State.FlowSequenceEntryMappingEnd;
    return this.emptyScalar(token.start);
  }

  private flowSequenceEntryMappingEnd(): YamlEvent {
    const token = this.peek();
    this.state = State.FlowSequenceEntry;
    return this.emit(Ev.MappingEnd, token.start, token.start);
  }

  private flowMappingKey(first: boolean): YamlEvent {
    let token = this.flowEntryToken(first, Tok.FlowMappingEnd);
    if (token.type === Tok.Key) {
      this.skip();
      token = this.peek();
      if (token.type !== Tok.Value && token.type !== Tok.FlowEntry && token.type !== Tok.FlowMappingEnd) {
        this.states.push(State.FlowMappingValue);
        return this.node(false, false);
      }
      this.state = State.FlowMappingValue;
      return this.emptyScalar(token.start);
    }
    if (token.type !== Tok.FlowMappingEnd) {
      this.states.push(State.FlowMappingEmptyValue);
      return this.node(false, false);
    }
    return this.collectionEnd(Ev.MappingEnd, token);
  }

  private flowMappingValue(empty: boolean): YamlEvent {
    let token = this.peek();
    if (empty) {
      this.state = State.FlowMappingKey;
      return this.emptyScalar(token.start);
    }
    if (token.type === Tok.Value) {
      this.skip();
      token = this.peek();
      if (token.type !== Tok.FlowEntry && token.type !== Tok.FlowMappingEnd) {
        this.states.push(State.FlowMappingKey);
        return this.node(false, false);
      }
    }
    this.state = State.FlowMappingKey;
    return this.emptyScalar(token.start);
  }

  private emptyScalar(at: number, dash = -1): YamlEvent {
    return this.emit(Ev.Scalar, at, at, dash, undefined, undefined, '', true, Style.Plain, false);
  }

  /**
   * The event, in the one object the parser hands out: it holds until the next call of next()
   * (the composer reads each event before it asks for the next), so that no event is allocated.
   */
  private emit(type: number, start: number, end: number, dash = -1, anchor?: string, tag?: string, value?: string,
    implicit = false, style = 0, flow = false): YamlEvent {
    const e = this.event;
    e.type = type;
    e.start = start;
    e.end = end;
    e.dash = dash;
    e.anchor = anchor;
    e.tag = tag;
    e.value = value;
    e.implicit = implicit;
    e.style = style;
    e.flow = flow;
    return e;
  }

  private processDirectives(): void {
    let version = false;
    let token = this.peek();
    while (token.type === Tok.VersionDirective || token.type === Tok.TagDirective) {
      if (token.type === Tok.VersionDirective) {
        if (version) this.fail('found duplicate %YAML directive', token.start);
        // go-yaml v2 reads YAML 1.1 only.
        if (token.major !== 1 || token.minor !== 1) this.fail('found incompatible YAML document', token.start);
        version = true;
      } else {
        if (this.tagDirectives.some(([h]) => h === token.value)) this.fail('found duplicate %TAG directive', token.start);
        this.tagDirectives.push([token.value!, token.suffix!]);
      }
      this.skip();
      token = this.peek();
    }
    for (const [handle, prefix] of DEFAULT_TAGS) {
      if (!this.tagDirectives.some(([h]) => h === handle)) this.tagDirectives.push([handle, prefix]);
    }
  }
}
