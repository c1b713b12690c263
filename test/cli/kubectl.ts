// kubectl as the reader of record: what `kubectl label --local -f FILE -o json` prints is what the
// API server would receive (kubectl 1.32 reads manifests through sigs.k8s.io/yaml over go-yaml v2).
// The objects are printed with `-o jsonpath={@}`: the same values (client-go's jsonpath prints a
// map with encoding/json, test/cli/kubectl.test.ts compares the two), one line each, without the
// indentation that makes `-o json` of a deeply nested document grow with the square of its depth.
import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { freezeDeep } from '../../src/cli/post-render';

/** The label kubectl is asked to set, and which every reading is given back without. */
const ORACLE_LABEL = 'meshjob.test/oracle';
/** Documents per kubectl process: one process costs about 0.1 s to start. */
const BATCH = 400;

/** kubectl's reading of one document: the objects in it (a List gives its items), or its error line. */
export type KubectlReading = { readonly objects: any[] } | { readonly error: string };

/**
 * kubectl's reading of each document, in order. Each document is read as kubectl reads a file of
 * its own; between two documents, a marker ConfigMap tells where one document's objects end (a
 * document may hold none, one, or a List's items). The readings are kept for the next ask unless
 * `keep` is false (for texts read once, such as a route's output).
 */
export function kubectlRead(documents: readonly string[], keep = true): KubectlReading[] {
  const got = new Map<string, KubectlReading>();
  for (const d of documents) if (kept.has(d)) got.set(d, kept.get(d)!);
  const unread = [...new Set(documents.filter((d) => !got.has(d)))];
  for (let i = 0; i < unread.length; i += BATCH) {
    const batch = unread.slice(i, i + BATCH);
    readBatch(batch).forEach((r, k) => {
      got.set(batch[k], r);
      if (keep) remember(batch[k], r);
    });
  }
  return documents.map((d) => got.get(d)!);
}

/**
 * What kubectl read of each text, kept for the process: the routes read the same inputs again and
 * again. Readings are frozen: whoever changes one changes a copy.
 */
const kept = new Map<string, KubectlReading>();
let remembered = 0;
/** Texts up to this many bytes in all are kept; beyond it the oldest are read again when asked. */
const REMEMBERED_BYTES = 256 * 1024 * 1024;

function remember(text: string, reading: KubectlReading) {
  freezeDeep(reading);
  kept.set(text, reading);
  remembered += text.length;
  for (const [t] of kept) {
    if (remembered <= REMEMBERED_BYTES) break;
    kept.delete(t);
    remembered -= t.length;
  }
}

/** kubectl's reading of a whole stream as one file: its objects in order, or the first error. */
export function kubectlReadStream(stream: string): KubectlReading {
  return readBatch([stream])[0];
}

function readBatch(documents: readonly string[]): KubectlReading[] {
  const dir = mkdtempSync(join(tmpdir(), 'meshjob-kubectl-'));
  try {
    const files = join(dir, 'in');
    mkdirSync(files);
    const name = (i: number, part: 'a' | 'b') => `${String(i).padStart(6, '0')}-${part}.yaml`;
    documents.forEach((doc, i) => {
      writeFileSync(join(files, name(i, 'a')), doc);
      writeFileSync(join(files, name(i, 'b')), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${marker(i)}\n`);
    });
    const r = spawnSync('kubectl', ['label', '--local', '--overwrite', '-f', files, `${ORACLE_LABEL}=read`, '-o', 'jsonpath={@}{"\\n"}'], {
      encoding: 'utf-8', maxBuffer: 1024 * 1024 * 1024,
    });
    if (r.error) throw r.error;
    const errors = new Map<number, string>();
    for (const line of r.stderr.split('\n')) {
      const m = /(\d{6})-a\.yaml/.exec(line);
      if (m) errors.set(Number(m[1]), line.replace(`${files}/`, '').trim());
      else if (line.trim() !== '') throw new Error(`kubectl: ${line}`);
    }
    const objects = r.stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line));
    const readings: KubectlReading[] = [];
    let current: any[] = [];
    for (const o of objects) {
      const m = /^meshjob-oracle-marker-(\d+)$/.exec(o?.metadata?.name ?? '');
      if (m && o.kind === 'ConfigMap' && o.data === undefined) {
        const i = Number(m[1]);
        readings[i] = errors.has(i) ? { error: errors.get(i)! } : { objects: current };
        current = [];
      } else {
        current.push(withoutOracleLabel(o));
      }
    }
    if (readings.length !== documents.length || readings.some((x) => x === undefined)) throw new Error('kubectl printed fewer markers than it was given');
    return readings;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const marker = (i: number) => `meshjob-oracle-marker-${i}`;

function withoutOracleLabel(o: any): any {
  const labels = o?.metadata?.labels;
  if (labels && typeof labels === 'object') {
    delete labels[ORACLE_LABEL];
    if (Object.keys(labels).length === 0) delete o.metadata.labels;
  }
  return o;
}
