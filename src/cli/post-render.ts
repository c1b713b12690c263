import * as nodeBuffer from 'buffer';
import { isSelected, Selector } from './select';
import { annotateResult, describeOutcome, RESULT_ANNOTATION } from '../manifests/outcome';
import { CannotWrite, deepEqual, editDocument } from './yaml/edit';
import { PathTree, readDocument, ReadResult, YamlError } from './yaml/read';
import { DocumentSplitter } from './yaml/split';
import { applyToManifest, describeManifest, isJobManifest, isKubectlList, kubectlObjects, ManifestLifecycle, ManifestResult } from '../manifests/apply';

// A multi-document YAML stream in, the same stream out with its Jobs and CronJobs made mesh-safe,
// one document at a time. A document MeshJob does not change is written back byte for byte; a
// changed one is edited in place (src/cli/yaml/edit.ts), so only the fields MeshJob adds or
// replaces differ.

export { RESULT_ANNOTATION };

const EMPTY = Buffer.alloc(0);
const nodeIsUtf8 = (nodeBuffer as { isUtf8?: (b: Buffer) => boolean }).isUtf8;
const nodeIsAscii = (nodeBuffer as { isAscii?: (b: Buffer) => boolean }).isAscii;
/** How much text is encoded at a time for writing. */
const WRITE_SIZE = 1024 * 1024;

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
 * be used). The bytes given to `write` hold only during the call (text is encoded into one buffer,
 * used again): a `write` that keeps them copies them.
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
  /** Where text is encoded for writing: UTF-8 takes at most 3 bytes a UTF-16 unit. */
  private encoded: Buffer | undefined;

  constructor(private readonly options: StreamOptions, private readonly write: (bytes: Buffer) => void) {}

  public push(chunk: Buffer): void {
    this.segments(this.splitter.push(chunk));
  }

  public end(): void {
    this.segments(this.splitter.end());
  }

  /** Transforms each segment, letting go of each as soon as it is read. */
  private segments(segments: Buffer[]): void {
    for (let i = 0; i < segments.length; i++) this.segment(segments, i);
  }

  /** Transforms `segments[i]`; the array is the only other holder of its bytes, and lets go of them. */
  private segment(segments: Buffer[], i: number): void {
    let bytes = segments[i];
    segments[i] = EMPTY;
    this.bytes += bytes.length;
    const text = this.textToRead(bytes);
    if (text === undefined) return;
    // From here on the text stands for the bytes (decoding was exact): a large document is held once.
    bytes = EMPTY;
    let out: string[] | undefined;
    try {
      out = this.transformDocument(text, this.documents);
    } catch (e) {
      this.problems.push(`document ${this.documents}${guessSubject(text)}: cannot be read (${(e as Error).message.split('\n')[0]})`);
      return;
    }
    for (const part of out ?? [text]) this.writeText(part);
  }

  /**
   * The text of a document to read, or undefined when the document was copied as it is (blank, or
   * plainly not a Job) or refused (invalid UTF-8). What decides is ASCII, so the bytes are judged as
   * Latin-1 (a copy, no decoding); ASCII bytes read as Latin-1 are the text itself.
   */
  private textToRead(bytes: Buffer): string | undefined {
    const latin1 = bytes.toString('latin1');
    const content = hasContent(latin1);
    if (content) this.documents += 1;
    if (!content || plainlyNotAJob(latin1) || plainlyAnotherKind(latin1)) {
      if (isUtf8(bytes)) this.write(bytes);
      else this.invalidUtf8(bytes);
      return undefined;
    }
    if (isAscii(bytes)) return latin1;
    try {
      return this.decoder.decode(bytes);
    } catch {
      this.invalidUtf8(bytes);
      return undefined;
    }
  }

  private invalidUtf8(bytes: Buffer): void {
    const bad = firstInvalidUtf8(bytes);
    this.problems.push(`document ${this.documents}: invalid UTF-8 at byte ${this.bytes - bytes.length + bad} of the stream (line ${lineOf(bytes, bad)} of the document): YAML must be UTF-8; re-encode the input`);
  }

  /** Writes text as UTF-8, a megabyte at a time (never between the two halves of a surrogate pair). */
  private writeText(text: string): void {
    for (let at = 0; at < text.length;) {
      let end = Math.min(at + WRITE_SIZE, text.length);
      const last = text.charCodeAt(end - 1);
      if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
      this.encoded ??= Buffer.allocUnsafe(3 * WRITE_SIZE);
      const n = this.encoded.write(text.slice(at, end), 0, 'utf-8');
      this.write(this.encoded.subarray(0, n));
      at = end;
    }
  }

  /** The document's new text, in parts, or undefined to keep it as it was. */
  private transformDocument(text: string, index: number): string[] | undefined {
    // Only messages need the subject guessed from the text, and guessing is not free.
    const guess = () => `document ${index}${guessSubject(text)}`;
    let read: ReadResult;
    try {
      read = readDocument(text, DOCUMENT_PATHS);
    } catch (e) {
      if (!(e instanceof YamlError)) throw e;
      // kubectl refuses it too; a document that is not a Job is left for it to say so.
      if (mayHoldJobs(text)) this.problems.push(`${guess()}: invalid YAML: ${e.message}`);
      return undefined;
    }
    const before = read.value;
    const jobs = kubectlObjects(before).filter(isJobManifest);
    if (jobs.length === 0) return undefined;
    if (read.moreDocuments) {
      this.problems.push(`${guess()}: a second document follows "..." without a "---" line (kubectl reads only the first); start every document with "---"`);
      return undefined;
    }
    freezeDeep(before);
    const list = isKubectlList(before) ? ` item of ${describeManifest(before).split(' ')[0]} ${(before as any).metadata?.name ?? '(unnamed)'}` : '';
    const after = changeJobs(before, (copy, original) => this.transformObject(copy, original, index, list));
    if (deepEqual(before, after)) return undefined;
    try {
      return editDocument(text, read, before, after).parts;
    } catch (e) {
      if (!(e instanceof CannotWrite)) throw e;
      this.problems.push(`${guess()}: cannot write the changed document (${e.message}); use meshjob/skip on it and report this`);
      return undefined;
    }
  }

  /** Applies the lifecycle to a copy of a Job; returns the copy, changed (or the object, if it fails). */
  private transformObject(copy: any, original: any, index: number, inList: string): any {
    const where = `document ${index} (${describeManifest(copy)}${inList})`;
    if (!isSelected(copy, this.options.select ?? [], this.options.exclude ?? [])) return copy;
    const applied = applyToCopy(copy, original, this.options.lifecycle);
    if ('error' in applied) {
      // A TypeError is a field of a type the checks in applyToManifest did not expect (an env
      // name that reads as a number, say): say so instead of showing JavaScript's words.
      const message = applied.error instanceof TypeError
        ? 'a container field has a type Kubernetes rejects (names, images, env names and mount paths must be strings): quote it in the manifest'
        : applied.error.message;
      this.problems.push(problemLine(index, where, describeManifest(original), message));
      return original;
    }
    const { obj, result } = applied;
    this.reports.push({ where, index, result });
    result.warnings.forEach((w) => this.warnings.push(`${where}: ${w}`));
    if (result.outcome === 'left-unchanged') this.warnings.push(`${where}: ${describeOutcome(result)}`);
    annotateResult(obj, result);
    return obj;
  }
}

/**
 * Applies the lifecycle to a copy made by `changeJobs`. The copy shares, frozen, what MeshJob
 * is not expected to change: if applying fails, it is applied again to a copy of the whole
 * object, so that the manifest, not the sharing, decides the outcome.
 */
export function applyToCopy(copy: any, original: any, lifecycle: ManifestLifecycle): { obj: any; result: ManifestResult } | { error: Error } {
  try {
    return { obj: copy, result: applyToManifest(copy, lifecycle) };
  } catch {
    const obj = structuredClone(original);
    try {
      return { obj, result: applyToManifest(obj, lifecycle) };
    } catch (e) {
      return { error: e as Error };
    }
  }
}

// Where MeshJob changes a Job or CronJob (src/manifests/write-plan.ts `writePlan`, src/manifests/outcome.ts
// `annotateResult`), and the maps and lists on the way there: the collections the reader records,
// so that an edit rewrites only those fields. Of a container, only the fields MeshJob writes (a
// container's env, say, may be a large list that is never edited and need not be recorded).
const POD_TEMPLATE: PathTree = {
  metadata: { labels: {}, annotations: {} },
  spec: { containers: { '*': { command: {}, volumeMounts: {} } }, initContainers: { '*': {} }, volumes: {} },
};
const JOB_SPEC: PathTree = { template: POD_TEMPLATE, podFailurePolicy: {} };
const JOB_PATHS: PathTree = { metadata: { annotations: {} }, spec: { ...JOB_SPEC, jobTemplate: { spec: JOB_SPEC } } };
/** A document: a Job, or an object whose `items` kubectl applies one by one. */
export const DOCUMENT_PATHS: PathTree = { ...JOB_PATHS, items: { '*': JOB_PATHS } };

const isMap = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The value of a document with each Job and CronJob kubectl would apply from it (the value itself,
 * or a list's items) replaced by what `change` makes of a copy of it. The copy is made along the
 * fields MeshJob changes and shares the rest, frozen (see freezeDeep): changing it leaves the
 * original as it was, at the cost of a few objects per Job whatever the document's size.
 */
export function changeJobs(value: unknown, change: (copy: any, original: any) => unknown): unknown {
  if (isKubectlList(value)) {
    const items = (value as any).items;
    if (!Array.isArray(items)) return value;
    return { ...(value as object), items: items.map((i) => (isJobManifest(i) ? change(jobCopy(i), i) : i)) };
  }
  return isJobManifest(value) ? change(jobCopy(value), value) : value;
}

function jobCopy(job: any): any {
  const copy = { ...job };
  if (isMap(job.metadata)) copy.metadata = { ...job.metadata };
  if (job.kind === 'CronJob') {
    if (isMap(job.spec)) {
      copy.spec = { ...job.spec };
      if (isMap(job.spec.jobTemplate)) copy.spec.jobTemplate = { ...job.spec.jobTemplate, spec: jobSpecCopy(job.spec.jobTemplate.spec) };
    }
  } else {
    copy.spec = jobSpecCopy(job.spec);
  }
  return copy;
}

function jobSpecCopy(spec: any): any {
  if (!isMap(spec)) return spec;
  const copy = { ...spec };
  if (isMap(spec.template)) {
    const template = copy.template = { ...spec.template };
    if (isMap(template.metadata)) template.metadata = { ...template.metadata };
    if (isMap(template.spec)) {
      const pod = template.spec = { ...template.spec };
      for (const field of ['containers', 'initContainers']) {
        if (Array.isArray(pod[field])) pod[field] = pod[field].map((c: unknown) => (isMap(c) ? { ...c } : c));
      }
      if (Array.isArray(pod.volumes)) pod.volumes = [...pod.volumes];
    }
  }
  return copy;
}

/** Freezes a value and everything in it, without recursion. */
export function freezeDeep(value: unknown): void {
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) continue;
    Object.freeze(v);
    for (const k of Object.keys(v)) stack.push((v as any)[k]);
  }
}

/** A problem line: "document 3: Job ns/name …" when the message names the object, else "document 3 (Job ns/name): …". */
function problemLine(index: number, where: string, subject: string, message: string): string {
  return message.startsWith(`${subject} `) || message.startsWith(`${subject}:`) ? `document ${index}: ${message}` : `${where}: ${message}`;
}

/**
 * True for a document that cannot hold a Job or CronJob: the word `Job` is nowhere in it, and
 * nothing in it could spell it otherwise: a hex escape of J, o or b (`\x4a`, `\u006f`,
 * `\U00000062`), an escaped line break (`"Jo\` then `b"` on the next line), a `!!binary` or
 * other tag, a %TAG directive. (Other backslashes, as in a CRD's patterns, spell none of them.)
 * Such documents are copied without being read, which keeps the stream fast; their syntax is
 * checked by whatever applies the stream.
 */
function plainlyNotAJob(latin1: string): boolean {
  // The text is the document's bytes read as Latin-1: a line break may be \n, \r, or NEL, LS or PS as UTF-8
  // bytes (go-yaml v2 scannerc.go, is_break), and a backslash before one in a double-quoted scalar joins "J" and "ob".
  return !/Job|\\(?:x|u00|U000000)(?:4[aA]|6[fF]|62)|\\(?:[\r\n]|\xc2\x85|\xe2\x80[\xa8\xa9])|!!|!<|%TAG/.test(latin1);
}

/**
 * True when the document's lines say plainly that it is neither a Job, a CronJob nor a list, without
 * parsing it: a CustomResourceDefinition that describes Jobs is not read. Its top level must be a
 * block mapping at column 0, whose keys all start lines at column 0 (go-yaml v2 scannerc.go: a plain
 * scalar goes on only on lines indented more than its mapping, a block scalar's lines are indented,
 * an implicit key is one line). When every line at column 0 is a `key:` line, a sequence entry, a
 * comment or blank, and exactly one is `kind: Word` (Word not Job or CronJob), and none is `items:`,
 * the document's kind is Word (or Word and more, when the scalar goes on) or, if that line is inside a
 * multi-line quoted scalar or flow collection, it has none; no merge key (`<<`) can set another. Any
 * other shape, and any line break but \n and \r\n (go-yaml breaks lines at \r, NEL, LS and PS too),
 * is read in full.
 */
function plainlyAnotherKind(latin1: string): boolean {
  if (/\r(?!\n)|\xc2\x85|\xe2\x80[\xa8\xa9]/.test(latin1)) return false;
  let kind: string | undefined;
  let started = false;
  let at = latin1.startsWith('\xef\xbb\xbf') ? 3 : 0;
  while (at < latin1.length) {
    let end = latin1.indexOf('\n', at);
    if (end < 0) end = latin1.length;
    const first = latin1.charCodeAt(at);
    const line = () => latin1.slice(at, end);
    if (first === 0x20 /* space */) {
      if (!started && !/^ *(#.*)?\r?$/.test(line())) return false;
    } else if (first === 0x23 /* # */ || first === 0x0d /* \r */ || at === end) {
      // a comment or a blank line
    } else if (first === 0x2d /* - */) {
      const l = line();
      if (/^---(?:[ \t]+#.*|[ \t]*)\r?$/.test(l)) {
        if (started) return false;
      } else if (!started || !/^-(?:[ \t]|\r?$)/.test(l)) {
        return false;
      }
    } else {
      const l = line();
      const key = /^([A-Za-z_][\w./-]*):(?:[ \t]|\r?$)/.exec(l)?.[1];
      if (key === undefined || key === 'items') return false;
      if (key === 'kind') {
        const word = /^kind:[ \t]+(["']?)([A-Za-z][A-Za-z0-9]*)\1[ \t]*(?:#.*)?\r?$/.exec(l)?.[2];
        if (kind !== undefined || word === undefined || word === 'Job' || word === 'CronJob') return false;
        kind = word;
      }
      started = true;
    }
    at = end + 1;
  }
  return kind !== undefined;
}

/** True when a document kubectl cannot read may be a Job, a CronJob or a list of objects. */
function mayHoldJobs(text: string): boolean {
  return /^[ \t]*["']?kind["']?[ \t]*:[ \t]*["']?(Cron)?Job\b/m.test(text) || /^["']?items["']?[ \t]*:/m.test(text);
}

/** True when the text has more than comments, blank lines, directives and markers. */
function hasContent(text: string): boolean {
  // A BOM, as UTF-8 bytes read as Latin-1, starts no content.
  return /^(?![ \t\r]*(#|$)|%|(---|\.\.\.)[ \t]*(#.*)?\r?$)/m.test(text.replace(/^(\ufeff|\xef\xbb\xbf)/, ''));
}

/** True when every byte is ASCII (Node's own check where it has one: buffer.isAscii came in Node 18.15). */
function isAscii(bytes: Buffer): boolean {
  if (typeof nodeIsAscii === 'function') return nodeIsAscii(bytes);
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 0x7f) return false;
  return true;
}

/** True for valid UTF-8 (Node's own check where it has one: buffer.isUtf8 came in Node 18.14). */
function isUtf8(bytes: Buffer): boolean {
  if (typeof nodeIsUtf8 === 'function') return nodeIsUtf8(bytes);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
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

function lineOf(bytes: Buffer, at: number): number {
  let line = 1;
  for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line++;
  return line;
}
