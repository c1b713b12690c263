import { copyJob, copyPod, Interner } from './fields';
import { JsonItemScanner, JsonScanEvents, JsonSyntaxError } from './json-stream';
import { Job, jobNameOf, Pod } from './pod';
import { readDocument } from '../cli/yaml/read';
import { DocumentSplitter } from '../cli/yaml/split';

// Reads what `kubectl get pods -A -o json` (or `-o yaml`) prints: a List of Pods, a single Pod,
// concatenated JSON objects or several YAML documents; Jobs (`kubectl get jobs -A -o json`, or
// `kubectl get pods,jobs`) may come along to tell which CronJob owns each Job.
//
// Every input is read chunk by chunk, as it arrives, and bounded in memory and time:
// - JSON (the first byte that is not a space is `{` or `[`) is cut into pods by a streaming scanner
//   (./json-stream.ts) and each pod parsed alone, so memory follows the pods diagnose keeps, not the
//   text. Of each pod only the fields diagnose reads are kept (./fields.ts), and only for pods of a
//   Job.
// - YAML is read one document at a time, each document at most `INPUT_LIMITS.yamlDocumentBytes`,
//   by the reader the transformer uses (src/cli/yaml/read.ts): as kubectl reads it, aliases bounded
//   as go-yaml bounds them.
// - An input that starts like JSON but is not JSON throughout (JSON documents between `---` lines,
//   a YAML flow map) is read as YAML when it is small enough to be.

/** The bounds on what one input may hold. */
export const INPUT_LIMITS = {
  /**
   * The largest object read from JSON: a pod in a List, or a whole top-level object. The API server
   * refuses request bodies over 3 MiB (k8s.io/apiserver pkg/server/config.go, MaxRequestBodyBytes)
   * and etcd values over 1.5 MiB (etcd --max-request-bytes), so no stored pod comes near it, even
   * as kubectl indents it.
   */
  jsonObjectBytes: 8 * 1024 * 1024,
  /**
   * The largest YAML document. The `yaml` package holds some forty times a document's size while it
   * reads it (its syntax tree and the values): a 4 MiB List of 400 pods took 224 MB of RSS and 3.4 s
   * of CPU, 8 MiB took 358 MB. `kubectl get pods -o json` is read pod by pod instead.
   */
  yamlDocumentBytes: 4 * 1024 * 1024,
  /** Problem lines given; the rest are counted. */
  problemLines: 20,
} as const;

const LIST_KINDS = ['List', 'PodList', 'JobList'];
const UTF8_BOM = [0xef, 0xbb, 0xbf];
const MIB = 1024 * 1024;
const AS_KUBECTL_PRINTS = 'give the output of kubectl get pods -A -o json';

/** The pods and Jobs of the inputs, or the problems that kept them from being read. */
export interface DiagnoseInput {
  /** The pods of Jobs, with the fields diagnose reads (./fields.ts). */
  readonly pods: Pod[];
  readonly jobs: Job[];
  /** One line each, naming the input, document and item, and the fix; at most `INPUT_LIMITS.problemLines` and a count of the rest. */
  readonly problems: string[];
  /** Every Pod read, of a Job or not. */
  readonly podCount: number;
  /** Lines about inputs that were read but held no pods. */
  readonly notes: string[];
}

/** One input and the name messages call it by (`stdin`, a file name). */
export interface InputText {
  readonly source: string;
  readonly text: string;
}

/** Where in an input a problem is: a document (from 1) and, within it, an item path (" item 3"). */
interface Place {
  readonly doc: number;
  readonly at: string;
}

interface Problem {
  readonly source: SourceReader;
  readonly place?: Place;
  readonly text: string;
}

/** What the inputs gave so far, shared by their readers. */
class Results {
  public readonly pods: Pod[] = [];
  public readonly jobs: Job[] = [];
  /** The first problems, up to `INPUT_LIMITS.problemLines`. */
  public readonly problems: Problem[] = [];
  public problemCount = 0;
  public podCount = 0;
  public readonly interner = new Interner();

  /** Where the results stand, to go back to. */
  public mark() {
    const { pods, jobs, problems, problemCount, podCount } = this;
    return { pods: pods.length, jobs: jobs.length, problems: problems.length, problemCount, podCount };
  }

  public reset(to: ReturnType<Results['mark']>): void {
    this.pods.length = to.pods;
    this.jobs.length = to.jobs;
    this.problems.length = to.problems;
    this.problemCount = to.problemCount;
    this.podCount = to.podCount;
  }
}

/**
 * Reads inputs one after another: `source(name)` gives the reader of the next one, which takes its
 * chunks; `result()` once every input has ended.
 */
export class InputReader {
  private readonly results = new Results();
  private readonly sources: SourceReader[] = [];

  /** The reader of the next input. */
  public source(name: string): SourceReader {
    const reader = new SourceReader(this.results, name);
    this.sources.push(reader);
    return reader;
  }

  /** A problem that is not about one input's content (a file that cannot be read). */
  public problem(source: string, text: string): void {
    this.source(source).fail(text);
  }

  public result(): DiagnoseInput {
    const r = this.results;
    const where = (p: Problem) => `${p.source.name}${p.place && p.source.documents > 1 ? ` document ${p.place.doc}` : ''}${p.place?.at ?? ''}`;
    const lines = r.problems.map((p) => `${where(p)}: ${p.text}`);
    const more = r.problemCount - r.problems.length;
    if (more > 0) lines.push(`${more} more problem${more === 1 ? '' : 's'} not shown`);
    const notes = this.sources.filter((s) => s.empty()).map((s) => `${s.name}: no pods in it: kubectl found none (check the namespace and the context, or use -A)`);
    return { pods: r.pods, jobs: r.jobs, problems: lines, podCount: r.podCount, notes };
  }
}

type Mode =
  /** Nothing but spaces yet. */
  | 'start'
  | 'json'
  | 'yaml'
  /** Not JSON throughout, but small enough to read as YAML once it has ended. */
  | 'json-as-yaml'
  /** Read no further. */
  | 'stopped';

/**
 * The reader of one input: `push` its chunks, then `end`. A chunk is read when `push` returns:
 * what is kept of it is copied, so the caller may read the next chunk into the same memory.
 */
export class SourceReader {
  /** Documents seen, for naming them in messages. */
  public documents = 0;
  private mode: Mode = 'start';
  private pods = 0;
  private jobs = 0;
  private problems = 0;
  /** The input's first bytes, while they could still be read as YAML. */
  private retained: Buffer[] | undefined = [];
  private retainedBytes = 0;
  private json: JsonItemScanner | undefined;
  private yaml: YamlDocuments | undefined;
  /** Where the results stood before this input: a JSON input read as YAML after all starts again from there. */
  private readonly mark: ReturnType<Results['mark']>;
  /** The members of the top-level JSON object being read. */
  private head: Record<string, unknown> = {};
  private headBytes = 0;
  /** Why the input is not JSON, once it is known. */
  private notJson: { place?: Place; message: string } | undefined;
  /** Bytes read before JSON or YAML was decided on, and of those, the bytes of a byte order mark. */
  private startBytes = 0;
  private bomBytes = 0;

  constructor(private readonly results: Results, public readonly name: string) {
    this.mark = results.mark();
  }

  /** True once the reader needs no more chunks. */
  public get done(): boolean {
    return this.mode === 'stopped' || this.yaml?.stopped === true;
  }

  public push(chunk: Buffer): void {
    if (this.mode === 'stopped' || chunk.length === 0) return;
    this.retain(chunk);
    if (this.mode === 'start') this.start(chunk);
    else if (this.mode === 'json') this.pushJson(chunk);
    else if (this.mode === 'yaml') this.yaml!.push(chunk);
    else if (this.mode === 'json-as-yaml' && this.retained === undefined) this.failJson();
  }

  public end(): void {
    if (this.mode === 'start') this.fail('empty input: pipe in kubectl get pods -A -o json, or name files holding its output');
    if (this.mode === 'json') {
      this.json!.end();
      if (this.json!.error) this.scannerFailed(this.json!.error);
    }
    if (this.mode === 'json-as-yaml') {
      this.documents = 0;
      this.yaml = new YamlDocuments(this);
      this.mode = 'yaml';
      for (const chunk of this.retained ?? []) this.yaml.push(chunk);
    }
    this.retained = undefined;
    if (this.mode === 'yaml') this.yaml!.end();
    this.mode = 'stopped';
  }

  /** The input could not be read on (a file that cannot be opened): says why, and takes no more chunks. */
  public abandon(why: string): void {
    this.fail(why);
    this.mode = 'stopped';
    this.retained = undefined;
  }

  /** Read without a problem, and held neither pods nor Jobs. */
  public empty(): boolean {
    return this.problems === 0 && this.pods === 0 && this.jobs === 0;
  }

  /** A problem with this input; `place` names the document and item. */
  public fail(text: string, place?: Place): void {
    this.problems++;
    this.results.problemCount++;
    if (this.results.problems.length < INPUT_LIMITS.problemLines) this.results.problems.push({ source: this, place, text });
  }

  /** Reads one parsed document or item. */
  public readObject(value: unknown, place: Place): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(`expected a Pod or a List of Pods, got ${Array.isArray(value) ? 'an array' : shorten(JSON.stringify(value))}: ${AS_KUBECTL_PRINTS}`, place);
      return;
    }
    const obj = value as Record<string, any>;
    if (LIST_KINDS.includes(obj.kind)) {
      if (!Array.isArray(obj.items)) {
        this.fail(`${obj.kind} without an items array: ${AS_KUBECTL_PRINTS}`, place);
        return;
      }
      obj.items.forEach((item: unknown, i: number) => this.readObject(item, { doc: place.doc, at: `${place.at} item ${i + 1}` }));
      return;
    }
    if (obj.kind === 'Pod' || obj.kind === 'Job') {
      const name = obj.metadata?.name;
      if (typeof name !== 'string' || name === '') {
        this.fail(`${obj.kind} without metadata.name: give objects as the API returns them (kubectl get -o json)`, place);
        return;
      }
      const misshapen = (wrong: string) => {
        const namespace = typeof obj.metadata.namespace === 'string' ? obj.metadata.namespace : 'default';
        this.fail(`${obj.kind} ${namespace}/${name} has ${wrong}: give ${obj.kind === 'Pod' ? 'pods' : 'Jobs'} as the API returns them (kubectl get -o json)`, place);
      };
      if (obj.kind === 'Job') {
        const job = copyJob(obj, this.results.interner);
        if ('wrong' in job) return misshapen(job.wrong);
        this.jobs++;
        this.results.jobs.push(job.value);
        return;
      }
      // Only a Job's pods can be stuck Job pods: the others are counted and let go once their metadata is read.
      const pod = copyPod(obj, this.results.interner, (p) => jobNameOf(p) !== undefined);
      if ('wrong' in pod) return misshapen(pod.wrong);
      this.pods++;
      this.results.podCount++;
      if ('value' in pod) this.results.pods.push(pod.value);
      return;
    }
    // Other kinds from `kubectl get all` carry nothing diagnose reads; a document without a kind is not Kubernetes.
    if (typeof obj.kind !== 'string' || typeof obj.apiVersion !== 'string') {
      this.fail(`not a Kubernetes object (no apiVersion and kind): ${AS_KUBECTL_PRINTS}`, place);
    }
  }

  /** Counts a document read from YAML; returns its number. */
  public nextDocument(): number {
    return ++this.documents;
  }

  /** Keeps the first bytes while the input could still have to be read as YAML. */
  private retain(chunk: Buffer): void {
    if (this.retained === undefined) return;
    this.retainedBytes += chunk.length;
    if (this.retainedBytes > INPUT_LIMITS.yamlDocumentBytes) this.retained = undefined;
    else this.retained.push(Buffer.from(chunk)); // a copy: the caller may reuse the chunk's memory
  }

  /** Decides on JSON or YAML at the first byte that is not a space or part of a UTF-8 byte order mark. */
  private start(chunk: Buffer): void {
    let i = 0;
    for (; i < chunk.length; i++) {
      const at = this.startBytes + i;
      const b = chunk[i];
      if (at < 3 && at === this.bomBytes && b === UTF8_BOM[at]) this.bomBytes++;
      else if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) break;
    }
    this.startBytes += chunk.length;
    if (i === chunk.length) return;
    // What came before this chunk was spaces: read it again with the chunk.
    const before = this.retained ?? [chunk];
    if (chunk[i] === 0x7b /* { */ || chunk[i] === 0x5b /* [ */) {
      this.mode = 'json';
      this.json = new JsonItemScanner(this.jsonEvents(), INPUT_LIMITS.jsonObjectBytes);
      for (const c of before) if (this.mode === 'json') this.pushJson(c);
    } else {
      this.mode = 'yaml';
      this.yaml = new YamlDocuments(this);
      for (const c of before) this.yaml.push(c);
    }
  }

  private pushJson(chunk: Buffer): void {
    this.json!.push(chunk);
    if (this.mode === 'json' && this.json!.error) this.scannerFailed(this.json!.error);
  }

  /** The input is not JSON throughout: read it again as YAML if it is small enough, else say why it is not JSON. */
  private jsonFailed(why: { place?: Place; message: string }): void {
    this.notJson = why;
    // What was read as JSON is undone: the YAML reading starts again from the first byte.
    this.results.reset(this.mark);
    this.pods = this.jobs = this.problems = 0;
    this.mode = 'json-as-yaml';
    if (this.retained === undefined) this.failJson();
  }

  private failJson(): void {
    const why = this.notJson!;
    this.fail(`not JSON (${why.message}), and over ${INPUT_LIMITS.yamlDocumentBytes / MIB} MiB, too large to read as YAML: ${AS_KUBECTL_PRINTS}`, why.place);
    this.mode = 'stopped';
    this.retained = undefined;
  }

  private jsonEvents(): JsonScanEvents {
    const live = () => this.mode === 'json';
    return {
      objectStart: (doc) => {
        this.documents = doc;
        this.head = {};
        this.headBytes = 0;
      },
      member: (_doc, key, value, bytes) => {
        if (!live()) return;
        this.headBytes += bytes;
        if (this.headBytes <= INPUT_LIMITS.jsonObjectBytes && key !== '__proto__') this.head[key] = value;
      },
      item: (doc, item, value) => {
        if (live()) this.readObject(value, { doc, at: ` item ${item}` });
      },
      objectEnd: (doc, items) => {
        if (!live()) return;
        const place = { doc, at: '' };
        if (this.headBytes > INPUT_LIMITS.jsonObjectBytes) this.fail(tooLarge(this.headBytes, 'an object'), place);
        else if (!items || !LIST_KINDS.includes(this.head.kind as string)) this.readObject(this.head, place);
        this.head = {};
      },
      notAnObject: (doc, value) => {
        if (!live()) return;
        this.documents = doc;
        this.readObject(value, { doc, at: '' });
      },
      tooLarge: (doc, item, key, bytes) => {
        if (!live()) return;
        this.documents = doc;
        if (key !== undefined) this.headBytes += bytes;
        else this.fail(tooLarge(bytes, item === undefined ? 'a value' : 'an item'), { doc, at: item === undefined ? '' : ` item ${item}` });
      },
    };
  }

  /** The scanner found the input is not JSON. */
  private scannerFailed(error: JsonSyntaxError): void {
    const place = error.doc === undefined ? undefined : { doc: error.doc, at: error.item === undefined ? '' : ` item ${error.item}` };
    this.jsonFailed({ place, message: place ? error.message : `${error.message} at byte ${error.offset}` });
  }
}

/** YAML documents, one at a time; each document at most `INPUT_LIMITS.yamlDocumentBytes`. */
class YamlDocuments {
  private readonly splitter = new DocumentSplitter();
  /** Bytes pushed that are not yet in a document handed out. */
  private pending = 0;
  /** True past a document too large to read: the rest of the input is not read. */
  public stopped = false;

  constructor(private readonly source: SourceReader) {}

  public push(chunk: Buffer): void {
    if (this.stopped) return;
    this.pending += chunk.length;
    // A copy: the splitter keeps the chunks of a document, and the caller may reuse the chunk's memory.
    for (const segment of this.splitter.push(Buffer.from(chunk))) this.segment(segment);
    if (this.pending > INPUT_LIMITS.yamlDocumentBytes) {
      // The document goes on past the limit: say so, and read no further (its end is not known).
      this.stopped = true;
      const doc = this.source.nextDocument();
      this.source.fail(`a YAML document over ${INPUT_LIMITS.yamlDocumentBytes / MIB} MiB, more than diagnose reads as YAML: ` +
        `${AS_KUBECTL_PRINTS} instead, which diagnose reads pod by pod`, { doc, at: '' });
    }
  }

  public end(): void {
    if (this.stopped) return;
    for (const segment of this.splitter.end()) this.segment(segment);
  }

  private segment(bytes: Buffer): void {
    this.pending -= bytes.length;
    // As kubectl reads it (go-yaml v2 through sigs.k8s.io/yaml): timestamps stay strings, as the API
    // reads them into metav1.Time from their text; aliases expand only as far as go-yaml lets them.
    let value: unknown;
    try {
      value = readDocument(bytes.toString('utf-8')).value;
    } catch (e) {
      this.source.fail(`not JSON or YAML kubectl reads (${(e as Error).message.split('\n')[0]}): give the output of kubectl get pods -o json or -o yaml`,
        { doc: this.source.nextDocument(), at: '' });
      return;
    }
    if (value === null || value === undefined) return; // an empty document between separators
    this.source.readObject(value, { doc: this.source.nextDocument(), at: '' });
  }
}

function tooLarge(bytes: number, what: string): string {
  return `${what} of ${(bytes / MIB).toFixed(1)} MiB, more than any object the API server stores ` +
    `(diagnose reads objects up to ${INPUT_LIMITS.jsonObjectBytes / MIB} MiB): ${AS_KUBECTL_PRINTS}`;
}

/** A value for a message, cut at 60 characters. */
function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Reads whole texts through the same readers (tests, and inputs already in memory). */
export function readInputs(inputs: InputText[]): DiagnoseInput {
  const reader = new InputReader();
  for (const { source, text } of inputs) {
    const r = reader.source(source);
    pushText(r, Buffer.from(text, 'utf-8'));
    r.end();
  }
  return reader.result();
}

/** Pushes bytes in the chunks a pipe would give (1 MiB), so that in-memory input takes the streaming path. */
export function pushText(reader: SourceReader, bytes: Buffer): void {
  const CHUNK = 1024 * 1024;
  for (let at = 0; at < bytes.length && !reader.done; at += CHUNK) reader.push(bytes.subarray(at, at + CHUNK));
}
