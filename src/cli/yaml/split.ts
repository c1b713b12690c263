// Splits a YAML stream into its documents' exact bytes, chunk by chunk, so that a stream of any
// size is held one document at a time.
//
// A document starts at a line that begins with the marker `---` followed by a space, a tab or the
// line's end (YAML 1.1 spec §9.1 "c-document-start"; go-yaml scannerc.go
// `yaml_parser_fetch_document_indicator` checks the same). No scalar or collection goes on past
// such a line in any YAML parser, so the cut never falls inside a value. `%` directive lines right
// before a marker belong to the document that follows it. The bytes before the first marker
// (comments, a BOM, or a whole document written without a marker) are the first segment.

const NL = 0x0a;

/**
 * Collects chunks and hands out complete segments: each is the bytes from one document start marker
 * (or the stream's start) up to the next one. Concatenated, the segments are the input exactly.
 * It holds the chunks of the current segment as they came (no growing buffer), and a segment is
 * copied once, to its exact size, when it is complete; one that is a single chunk's slice is not
 * copied at all (the chunks must not be changed after they are pushed).
 */
export class DocumentSplitter {
  /** The current segment's bytes so far. */
  private parts: Buffer[] = [];
  private size = 0;
  /** Where the line being read starts, in the current segment. */
  private lineStart = 0;
  /** The first bytes of that line (4 decide whether it is a marker or a directive). */
  private readonly head = Buffer.alloc(4);
  private headLength = 0;
  private judged = false;
  /** Where a run of directive lines right before the current line starts, or -1. */
  private directives = -1;

  /** Adds a chunk; returns the segments it completed. */
  public push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.parts.push(chunk);
    this.size += chunk.length;
    let i = 0;
    while (i < chunk.length) {
      if (!this.judged) {
        while (this.headLength < 4 && i < chunk.length && chunk[i] !== NL) this.head[this.headLength++] = chunk[i++];
        if (this.headLength < 4 && i >= chunk.length) break;
        this.judge(out);
      }
      const nl = chunk.indexOf(NL, i);
      if (nl < 0) break;
      i = nl + 1;
      // The chunk's bytes from i on end the segment (cuts only ever take from its front).
      this.newLine(this.size - (chunk.length - i));
    }
    return out;
  }

  /** The remaining segments, once the input has ended. */
  public end(): Buffer[] {
    const out: Buffer[] = [];
    if (!this.judged && this.headLength > 0) this.judge(out);
    if (this.size > 0) out.push(this.take(this.size));
    this.parts = [];
    this.size = this.lineStart = this.headLength = 0;
    this.judged = false;
    this.directives = -1;
    return out;
  }

  /** Starts the line that begins `offset` bytes into the current segment. */
  private newLine(offset: number): void {
    this.lineStart = offset;
    this.headLength = 0;
    this.judged = false;
  }

  /** Decides, from its first bytes, whether the current line starts a document or is a directive. */
  private judge(out: Buffer[]): void {
    this.judged = true;
    const h = this.head;
    const n = this.headLength;
    if (n > 0 && h[0] === 0x25 /* % */) {
      if (this.directives < 0) this.directives = this.lineStart;
      return;
    }
    const marker = n >= 3 && h[0] === 0x2d && h[1] === 0x2d && h[2] === 0x2d && (n === 3 || h[3] === 0x20 || h[3] === 0x09 || h[3] === 0x0d);
    if (marker) {
      const at = this.directives >= 0 ? this.directives : this.lineStart;
      if (at > 0) out.push(this.take(at));
    }
    this.directives = -1;
  }

  /** Removes the first `n` bytes of the current segment and returns them as one buffer. */
  private take(n: number): Buffer {
    const taken: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const p = this.parts[0];
      if (p.length <= left) {
        taken.push(p);
        this.parts.shift();
        left -= p.length;
      } else {
        taken.push(p.subarray(0, left));
        this.parts[0] = p.subarray(left);
        left = 0;
      }
    }
    this.size -= n;
    this.lineStart -= n;
    if (this.directives >= 0) this.directives -= n;
    return taken.length === 1 ? taken[0] : Buffer.concat(taken, n);
  }
}
