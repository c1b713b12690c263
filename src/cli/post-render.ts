import { parseAllDocuments } from 'yaml';
import { annotateResult, describeOutcome, RESULT_ANNOTATION } from './outcome';
import { isSelected, Selector } from './select';
import { applyToManifest, describeManifest, isJobManifest, ManifestLifecycle, ManifestResult } from '../manifests/apply';
import { deepEqual, rewriteDocument } from './yaml/edit';
import { DocumentSplitter } from './yaml/split';
import { YAML11 } from './yaml/yaml11';

// A multi-document YAML stream in, the same stream out with its Jobs and CronJobs made mesh-safe,
// one document at a time. A document MeshJob does not change is written back byte for byte; a
// changed one is edited in place (src/cli/yaml/edit.ts), so only the fields MeshJob adds or
// replaces differ.

export { RESULT_ANNOTATION };

/** What to do to a stream. */
export interface StreamOptions {
  readonly lifecycle: ManifestLifecycle;
  readonly select?: readonly Selector[];
  readonly exclude?: readonly Selector[];
}

/** What happened to one Job or CronJob, with the document it is in. */
export interface JobReport {
  /** "document 3 (Job prod/migrate)". */
  readonly where: string;
  /** The document's place in the stream, from 1. */
  readonly index: number;
  readonly result: ManifestResult;
}

/**
 * Transforms a stream pushed to it chunk by chunk. Each complete document is written to `write` as
 * soon as it is read; `problems` says whether the stream must be refused (then nothing written may
 * be used).
 */
export class StreamTransformer {
  /** One line per problem; non-empty means the stream is refused. */
  public readonly problems: string[] = [];
  /** Every Job and CronJob seen. */
  public readonly reports: JobReport[] = [];
  /** Warnings to show, one line each. */
  public readonly warnings: string[] = [];
  /** How many documents the stream had. */
  public documents = 0;

  private readonly splitter = new DocumentSplitter();
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private bytes = 0;

  constructor(private readonly options: StreamOptions, private readonly write: (bytes: Buffer) => void) {}

  public push(chunk: Buffer): void {
    for (const segment of this.splitter.push(chunk)) this.segment(segment);
  }

  public end(): void {
    for (const segment of this.splitter.end()) this.segment(segment);
  }

  private segment(bytes: Buffer): void {
    const offset = this.bytes;
    this.bytes += bytes.length;
    let text: string;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      this.documents += 1;
      const bad = firstInvalidUtf8(bytes);
      this.problems.push(`document ${this.documents}: invalid UTF-8 at byte ${offset + bad} of the stream (line ${lineOf(bytes, bad)} of the document): YAML must be UTF-8; re-encode the input`);
      return;
    }
    if (!hasContent(text)) return this.write(bytes);
    this.documents += 1;
    if (plainlyNotAJob(text)) return this.write(bytes);
    let out: string | undefined;
    try {
      out = this.transformDocument(text, this.documents);
    } catch (e) {
      // Nesting deep enough to exhaust the stack, say: still one line about the document.
      this.problems.push(`document ${this.documents}${guessSubject(text)}: cannot be read (${(e as Error).message.split('\n')[0]})`);
      return;
    }
    this.write(out === undefined ? bytes : Buffer.from(out, 'utf-8'));
  }

  /** The document's new text, or undefined to keep its bytes. */
  private transformDocument(text: string, index: number): string | undefined {
    const docs = parseAllDocuments(text, YAML11);
    const doc = docs[0];
    // Only messages need the subject guessed from the text, and guessing is not free.
    const guess = () => `document ${index}${guessSubject(text)}`;
    if (!doc) return undefined;
    if (docs.length > 1) {
      this.problems.push(`${guess()}: a second document follows "..." without a "---" line; start every document with "---"`);
      return undefined;
    }
    if (doc.errors.length > 0) {
      for (const e of doc.errors) this.problems.push(`${guess()}: invalid YAML: ${e.message.split('\n')[0]} (${position(text, e.pos[0])})`);
      return undefined;
    }
    let before: any;
    try {
      before = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      this.problems.push(`${guess()}: ${(e as Error).message.split('\n')[0]}`);
      return undefined;
    }
    if (!before || typeof before !== 'object') return undefined;
    const after = structuredClone(before);
    const items: any[] = after.kind === 'List' && Array.isArray(after.items) ? after.items : [after];
    for (const item of items) this.transformObject(item, index, after === item ? '' : ` item of List ${after.metadata?.name ?? '(unnamed)'}`);
    if (deepEqual(before, after)) return undefined;
    try {
      return rewriteDocument(text, doc, before, after).text;
    } catch (e) {
      this.problems.push(`${guess()}: cannot write the changed document (${(e as Error).message}); use meshjob/skip on it and report this`);
      return undefined;
    }
  }

  private transformObject(obj: any, index: number, inList: string): void {
    if (!isJobManifest(obj)) return;
    const where = `document ${index} (${describeManifest(obj)}${inList})`;
    if (!isSelected(obj, this.options.select ?? [], this.options.exclude ?? [])) return;
    let result: ManifestResult;
    try {
      result = applyToManifest(obj, this.options.lifecycle);
    } catch (e) {
      // A TypeError is a field of a type the checks in applyToManifest did not expect (an env
      // name that reads as a number, say): say so instead of showing JavaScript's words.
      const message = e instanceof TypeError
        ? 'a container field has a type Kubernetes rejects (names, images, env names and mount paths must be strings): quote it in the manifest'
        : (e as Error).message;
      this.problems.push(problemLine(index, where, describeManifest(obj), message));
      return;
    }
    this.reports.push({ where, index, result });
    const outcome = result.outcome;
    result.warnings.forEach((w) => this.warnings.push(`${where}: ${w}`));
    if (outcome === 'left-unchanged') this.warnings.push(`${where}: ${describeOutcome(result)}`);
    annotateResult(obj, result);
  }
}

/** A problem line: "document 3: Job ns/name …" when the message names the object, else "document 3 (Job ns/name): …". */
function problemLine(index: number, where: string, subject: string, message: string): string {
  return message.startsWith(`${subject} `) || message.startsWith(`${subject}:`) ? `document ${index}: ${message}` : `${where}: ${message}`;
}

/**
 * True for a document that names another kind on a plain top-level `kind:` line and has no `Job`,
 * `List` or backslash anywhere: a Job, CronJob or List needs its kind spelled out (or escaped) in
 * the text. Such documents are copied without being parsed, which keeps the stream fast; their
 * syntax is checked by whatever applies the stream.
 */
function plainlyNotAJob(text: string): boolean {
  return !/Job|List|\\/.test(text) && /^kind:[ \t]*(["']?)[A-Za-z0-9]+\1[ \t]*(#.*)?\r?$/m.test(text);
}

/** True when the text has more than comments, blank lines, directives and markers. */
function hasContent(text: string): boolean {
  return /^(?![ \t\r]*(#|$)|%|(---|\.\.\.)[ \t]*(#.*)?\r?$)/m.test(text.replace(/^\ufeff/, ''));
}

/** " (Kind ns/name)" read from the text without parsing it, for messages about text that does not parse. */
function guessSubject(text: string): string {
  const kind = /^kind:[ \t]*["']?([A-Za-z]+)/m.exec(text)?.[1];
  const name = /^metadata:[ \t]*\r?\n(?:[ \t]+.*\r?\n)*?[ \t]+name:[ \t]*["']?([^"'\s#]+)/m.exec(text)?.[1];
  return kind ? ` (${kind}${name ? ` ${name}` : ''})` : '';
}

function firstInvalidUtf8(bytes: Buffer): number {
  // Byte by byte, streaming: the first byte the decoder refuses (only run on a refused document).
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  for (let i = 0; i < bytes.length; i++) {
    try {
      decoder.decode(bytes.subarray(i, i + 1), { stream: true });
    } catch {
      // Refused at i: name the lead byte of the sequence i broke, if i is not one itself.
      // (Continuation bytes are 0x80-0xBF, lead bytes of longer sequences 0xC0 and up.)
      const continuation = (b: number) => b >= 0x80 && b <= 0xbf;
      let lead = i - 1;
      while (lead >= 0 && i - lead < 4 && continuation(bytes[lead])) lead--;
      return lead >= 0 && bytes[lead] >= 0xc0 && !continuation(bytes[i]) ? lead : i;
    }
  }
  return bytes.length;
}

/** "line L, column C" of an offset in a document, both from 1. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

function lineOf(bytes: Buffer, at: number): number {
  let line = 1;
  for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line++;
  return line;
}
