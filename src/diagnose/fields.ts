import { Job, Pod } from './pod';
import { WRAPPER_ENV_PREFIX } from '../runtime/layout';

// The fields of a Pod and a Job that diagnose reads (the interfaces of ./pod.ts, after kubernetes/api
// core/v1/types.go and batch/v1/types.go), checked and copied out of a parsed object: everything
// else (managedFields, volumes, probes, conditions, ...) is dropped as soon as the object is read,
// so that a cluster's pods are held at a fraction of their size. A field present with the wrong
// type fails the object with its path; null reads as absent, as the API server reads it.

/** A string repeated across pods (an image, a container or env name, a label key): copied through `Interner`. */
const TEXT = 'text';
/** A string of this object alone (a name, a time): kept as it is. */
const OWN = 'own';
const NUMBER = 'number';
const BOOLEAN = 'boolean';

type Scalar = typeof TEXT | typeof OWN | typeof NUMBER | typeof BOOLEAN;
interface ListOf {
  readonly list: Shape;
  /** Only the elements it says yes to are read and kept. */
  readonly only?: (element: unknown) => boolean;
}
interface StringMap { readonly stringMap: true }
interface Fields {
  readonly fields: Readonly<Record<string, Shape>>;
  /**
   * Makes the copies: a constructor of its own per shape, so that V8 sizes them to the fields they
   * get (in-object slack tracking, v8 src/objects/map.h) instead of giving each `{}` room for four
   * and the rest in a second allocation. 13% less memory per kept pod.
   */
  readonly make: new () => Record<string, unknown>;
}
type Shape = Scalar | ListOf | StringMap | Fields;

const list = (of: Shape, only?: (element: unknown) => boolean): ListOf => ({ list: of, only });
const fields = (f: Record<string, Shape>): Fields => ({ fields: f, make: (function Copy() {}) as unknown as new () => Record<string, unknown> });
const STRING_MAP: StringMap = { stringMap: true };

// ContainerState, ContainerStateWaiting/Running/Terminated.
const STATE = fields({
  waiting: fields({ reason: TEXT, message: TEXT }),
  running: fields({ startedAt: OWN }),
  terminated: fields({ exitCode: NUMBER, signal: NUMBER, reason: TEXT, message: TEXT, startedAt: OWN, finishedAt: OWN }),
});

/**
 * The env variables diagnose reads: the settings of the wrapper in pods MeshJob rendered before
 * they moved to its argument (findings.ts, wrapperSetting and isWrapped). Add a prefix here when
 * diagnose reads another variable. Only literal values count (EnvVar.value; a valueFrom is
 * resolved by the kubelet and never shows in the pod).
 */
const ENV_READ = [WRAPPER_ENV_PREFIX];
const envRead = (e: unknown) => {
  const name = (e as { name?: unknown } | null)?.name;
  return typeof name === 'string' && ENV_READ.some((prefix) => name.startsWith(prefix));
};

// Container.
const CONTAINER = fields({
  name: TEXT,
  image: TEXT,
  command: list(TEXT),
  args: list(TEXT),
  env: list(fields({ name: TEXT, value: TEXT }), envRead),
  restartPolicy: TEXT,
});

// ContainerStatus.
const CONTAINER_STATUS = fields({
  name: TEXT,
  state: STATE,
  lastState: STATE,
  ready: BOOLEAN,
  started: BOOLEAN,
  restartCount: NUMBER,
  image: TEXT,
});

// ObjectMeta, OwnerReference.
const METADATA = fields({
  name: OWN,
  namespace: TEXT,
  labels: STRING_MAP,
  annotations: STRING_MAP,
  ownerReferences: list(fields({ kind: TEXT, name: TEXT, controller: BOOLEAN })),
  creationTimestamp: OWN,
  deletionTimestamp: OWN,
});

// A Pod but its metadata, which is read first (`copyPod`).
const POD_BODY = fields({
  apiVersion: TEXT,
  kind: TEXT,
  spec: fields({ containers: list(CONTAINER), initContainers: list(CONTAINER), restartPolicy: TEXT }),
  status: fields({
    phase: TEXT,
    startTime: OWN,
    initContainerStatuses: list(CONTAINER_STATUS),
    containerStatuses: list(CONTAINER_STATUS),
  }),
});

const JOB = fields({
  kind: TEXT,
  metadata: fields({ name: OWN, namespace: TEXT, ownerReferences: list(fields({ kind: TEXT, name: TEXT, controller: BOOLEAN })) }),
});

/**
 * One copy of each repeated string: the same image, env variable or wrapper script in ten thousand
 * pods is held once. Bounded: past `maxEntries` distinct strings, new ones are kept as they are.
 */
export class Interner {
  private readonly seen = new Map<string, string>();

  constructor(private readonly maxEntries = 50_000, private readonly maxLength = 64 * 1024) {}

  public intern(s: string): string {
    const known = this.seen.get(s);
    if (known !== undefined) return known;
    if (this.seen.size < this.maxEntries && s.length <= this.maxLength) this.seen.set(s, s);
    return s;
  }
}

/** What a field should have been, for messages. */
function expected(shape: Shape): string {
  if (typeof shape === 'string') return shape === NUMBER ? 'a number' : shape === BOOLEAN ? 'true or false' : 'a string';
  if ('list' in shape) return 'a list';
  if ('stringMap' in shape) return 'a map of strings';
  return 'a map';
}

/** A copy of an object's fields, or the first field that has the wrong type. */
export type Copied<T> = { readonly value: T } | { readonly wrong: string };

/**
 * Walks a value along a shape, copying what the shape names (or, with `keep` false, only checking
 * it). The first field of the wrong type stops the walk: `wrong` says what it should have been and
 * `wrongAt` holds its path, innermost first, filled in as the walk unwinds (paths are only built
 * for the one field that needs naming).
 */
class Copier {
  public wrong: string | undefined;
  private readonly wrongAt: Array<string | number> = [];

  constructor(private readonly interner: Interner, private readonly keep: boolean) {}

  /** "status.containerStatuses[0].restartCount that is not a number". */
  public problem(): string | undefined {
    if (this.wrong === undefined) return undefined;
    const path = [...this.wrongAt].reverse().map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
    return `${path} that is not ${this.wrong}`;
  }

  /** The copy of `value` (with `keep` false, `value` itself), undefined when absent or empty. */
  public copy(value: unknown, shape: Shape): unknown {
    if (value === null || value === undefined) return undefined;
    if (typeof shape === 'string') {
      if (shape === NUMBER ? typeof value === 'number' : shape === BOOLEAN ? typeof value === 'boolean' : typeof value === 'string') {
        return shape === TEXT && this.keep ? this.interner.intern(value as string) : value;
      }
    } else if ('list' in shape) {
      if (Array.isArray(value)) return this.copyList(value, shape);
    } else if (typeof value === 'object' && !Array.isArray(value)) {
      return 'stringMap' in shape ? this.copyStringMap(value as Record<string, unknown>) : this.copyFields(value as Record<string, unknown>, shape);
    }
    this.wrong = expected(shape);
    return undefined;
  }

  private copyList(value: unknown[], shape: ListOf): unknown {
    const only = shape.only;
    const elements = only ? value.filter((x) => only(x)) : value;
    // An empty list reads as absent, as the API omits empty fields.
    if (elements.length === 0) return undefined;
    // Sized up front: an array grown by push keeps room for more than it holds.
    const out: unknown[] | undefined = this.keep ? new Array(elements.length) : undefined;
    for (let i = 0; i < elements.length; i++) {
      const x = elements[i];
      if (x === null || x === undefined) this.wrong = expected(shape.list);
      const copied = this.wrong ? undefined : this.copy(x, shape.list);
      if (this.wrong) {
        this.wrongAt.push(i);
        return undefined;
      }
      if (out) out[i] = copied;
    }
    return out ?? value;
  }

  private copyStringMap(value: Record<string, unknown>): unknown {
    // An empty map reads as absent, as the API omits empty fields: one object less to hold.
    const out: Record<string, string> | undefined = this.keep ? {} : undefined;
    let empty = true;
    for (const k in value) {
      // Not a valid label or annotation key (a name segment starts with a letter or digit:
      // apimachinery validation IsQualifiedName), and it would set the copy's prototype.
      if (!Object.prototype.hasOwnProperty.call(value, k) || k === '__proto__') continue;
      const v = value[k];
      if (typeof v !== 'string') {
        this.wrong = 'a string';
        this.wrongAt.push(k);
        return undefined;
      }
      if (out) out[this.interner.intern(k)] = this.interner.intern(v);
      empty = false;
    }
    return empty ? undefined : out ?? value;
  }

  private copyFields(value: Record<string, unknown>, shape: Fields): unknown {
    const out: Record<string, unknown> | undefined = this.keep ? new shape.make() : undefined;
    let empty = true;
    for (const k in shape.fields) {
      const copied = this.copy(value[k], shape.fields[k]);
      if (this.wrong) {
        this.wrongAt.push(k);
        return undefined;
      }
      if (copied === undefined) continue;
      if (out) out[k] = copied;
      empty = false;
    }
    return empty ? undefined : out ?? value;
  }
}

/**
 * The fields of a Pod that diagnose reads (`wrong` is e.g. "status.containerStatuses that is not a
 * list"), or `skipped` when `wanted` says no to its metadata: a pod diagnose does not look at is
 * only checked, not copied.
 */
export function copyPod(obj: Record<string, unknown>, interner: Interner, wanted: (pod: Pod) => boolean): Copied<Pod> | { readonly skipped: true } {
  // The metadata is checked before `wanted` reads it, and copied only for a pod that is kept.
  const check = new Copier(interner, false);
  check.copy(obj.metadata, METADATA);
  const wrongMeta = check.problem();
  if (wrongMeta) return { wrong: `metadata.${wrongMeta}` };
  const keep = wanted({ metadata: (obj.metadata ?? {}) as Pod['metadata'] });
  const copier = new Copier(interner, keep);
  const pod = (copier.copy(obj, POD_BODY) ?? {}) as { metadata: Pod['metadata'] };
  const wrong = copier.problem();
  if (wrong) return { wrong };
  if (!keep) return { skipped: true };
  // Set on the copy, not spread into a new object: a spread gives each pod a hidden class of its own.
  pod.metadata = (copier.copy(obj.metadata, METADATA) ?? {}) as Pod['metadata'];
  return { value: pod as Pod };
}

/** The fields of a Job that diagnose reads. */
export function copyJob(obj: Record<string, unknown>, interner: Interner): Copied<Job> {
  const copier = new Copier(interner, true);
  const job = copier.copy(obj, JOB) as Job;
  const wrong = copier.problem();
  return wrong ? { wrong } : { value: job };
}
