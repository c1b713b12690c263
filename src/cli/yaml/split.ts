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

function isDocumentStart(buf: Buffer, start: number, end: number): boolean {
  if (end - start < 3 || buf[start] !== 0x2d || buf[start + 1] !== 0x2d || buf[start + 2] !== 0x2d) return false;
  if (end - start === 3) return true;
  const next = buf[start + 3];
  return next === 0x20 || next === 0x09 || next === 0x0d || next === NL;
}

/**
 * Collects chunks and hands out complete segments: each is the bytes from one document start marker
 * (or the stream's start) up to the next one. Concatenated, the segments are the input exactly.
 * Holds at most the current segment plus one chunk.
 */
export class DocumentSplitter {
  private buf = Buffer.alloc(64 * 1024);
  private len = 0;
  /** Where the current segment starts in `buf`. */
  private segment = 0;
  /** The first line not judged yet. */
  private scan = 0;
  /** Where a run of directive lines right before the scan point starts, or -1. */
  private directives = -1;

  /** Adds a chunk; returns the segments it completed. */
  public push(chunk: Buffer): Buffer[] {
    this.append(chunk);
    return this.judgeLines(this.buf.lastIndexOf(NL, this.len - 1) + 1);
  }

  /** The remaining segments, once the input has ended. */
  public end(): Buffer[] {
    const out = this.judgeLines(this.len);
    if (this.len > this.segment) out.push(Buffer.from(this.buf.subarray(this.segment, this.len)));
    this.segment = this.scan = this.len = 0;
    return out;
  }

  private judgeLines(limit: number): Buffer[] {
    const out: Buffer[] = [];
    while (this.scan < limit) {
      let eol = this.buf.indexOf(NL, this.scan);
      if (eol < 0 || eol >= limit) eol = limit;
      const start = this.scan;
      if (eol > start && this.buf[start] === 0x25 /* % */) {
        if (this.directives < 0) this.directives = start;
      } else {
        if (isDocumentStart(this.buf, start, eol)) {
          const at = this.directives >= 0 ? this.directives : start;
          if (at > this.segment) out.push(Buffer.from(this.buf.subarray(this.segment, at)));
          this.segment = at;
        }
        this.directives = -1;
      }
      this.scan = eol + 1;
    }
    if (this.scan > limit) this.scan = limit;
    return out;
  }

  private append(chunk: Buffer): void {
    if (this.len + chunk.length > this.buf.length) {
      // Drop what was handed out, then grow if the current segment still does not fit.
      const keep = this.len - this.segment;
      const size = Math.max(this.buf.length, 2 * (keep + chunk.length));
      const next = size === this.buf.length ? this.buf : Buffer.alloc(size);
      this.buf.copy(next, 0, this.segment, this.len);
      this.buf = next;
      this.scan -= this.segment;
      if (this.directives >= 0) this.directives -= this.segment;
      this.segment = 0;
      this.len = keep;
    }
    chunk.copy(this.buf, this.len);
    this.len += chunk.length;
  }
}
