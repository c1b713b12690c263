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
interface Fields { readonly fields: Readonly<Record<string, Shape>> }
type Shape = Scalar | ListOf | StringMap | Fields;

const list = (of: Shape, only?: (element: unknown) => boolean): ListOf => ({ list: of, only });
const fields = (f: Record<string, Shape>): Fields => ({ fields: f });
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

class Copier {
  public wrong: string | undefined;

  constructor(private readonly interner: Interner) {}

  public copy(value: unknown, shape: Shape, path: string): unknown {
    if (value === null || value === undefined || this.wrong) return undefined;
    if (typeof shape === 'string') {
      if (shape === NUMBER ? typeof value === 'number' : shape === BOOLEAN ? typeof value === 'boolean' : typeof value === 'string') {
        return shape === TEXT ? this.interner.intern(value as string) : value;
      }
    } else if ('list' in shape) {
      if (Array.isArray(value)) {
        const only = shape.only;
        const elements = only ? value.filter((x) => only(x)) : value;
        // Sized up front: an array grown by push keeps room for more than it holds.
        const out: unknown[] = new Array(elements.length);
        for (let i = 0; i < elements.length && !this.wrong; i++) {
          const x = elements[i];
          if (x === null || x === undefined) this.wrong = `${path}[${i}] that is not ${expected(shape.list)}`;
          else out[i] = this.copy(x, shape.list, `${path}[${i}]`);
        }
        return out;
      }
    } else if (typeof value === 'object' && !Array.isArray(value)) {
      // An empty map reads as absent, as the API omits empty fields: one object less to hold.
      const out: Record<string, unknown> = {};
      let empty = true;
      if ('stringMap' in shape) {
        for (const [k, v] of Object.entries(value)) {
          // Not a valid label or annotation key (a name segment starts with a letter or digit:
          // apimachinery validation IsQualifiedName), and it would set the copy's prototype.
          if (k === '__proto__') continue;
          if (typeof v !== 'string') {
            this.wrong = `${path}.${k} that is not a string`;
            return undefined;
          }
          out[this.interner.intern(k)] = this.interner.intern(v);
          empty = false;
        }
        return empty ? undefined : out;
      }
      for (const [k, of] of Object.entries(shape.fields)) {
        const v = this.copy((value as Record<string, unknown>)[k], of, path ? `${path}.${k}` : k);
        if (v !== undefined) {
          out[k] = v;
          empty = false;
        }
      }
      return empty ? undefined : out;
    }
    this.wrong = `${path} that is not ${expected(shape)}`;
    return undefined;
  }
}

/**
 * The fields of a Pod that diagnose reads (`wrong` is e.g. "status.containerStatuses that is not a
 * list"), or `skipped` when `wanted` says no to its metadata: a pod diagnose does not look at is let
 * go before the rest of it is read.
 */
export function copyPod(obj: Record<string, unknown>, interner: Interner, wanted: (pod: Pod) => boolean): Copied<Pod> | { readonly skipped: true } {
  const copier = new Copier(interner);
  const metadata = copier.copy(obj.metadata, METADATA, 'metadata') as Pod['metadata'] | undefined;
  if (copier.wrong) return { wrong: copier.wrong };
  const head: Pod = { metadata: metadata ?? {} };
  if (!wanted(head)) return { skipped: true };
  const pod = (copier.copy(obj, POD_BODY, '') ?? {}) as { metadata: Pod['metadata'] };
  if (copier.wrong) return { wrong: copier.wrong };
  // Set on the copy, not spread into a new object: a spread gives each pod a hidden class of its own.
  pod.metadata = head.metadata;
  return { value: pod as Pod };
}

/** The fields of a Job that diagnose reads. */
export function copyJob(obj: Record<string, unknown>, interner: Interner): Copied<Job> {
  return copyAs<Job>(obj, JOB, interner);
}

function copyAs<T>(obj: Record<string, unknown>, shape: Shape, interner: Interner): Copied<T> {
  const copier = new Copier(interner);
  const value = copier.copy(obj, shape, '');
  return copier.wrong ? { wrong: copier.wrong } : { value: value as T };
}
