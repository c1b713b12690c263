import { readFileSync } from 'fs';
import { join } from 'path';
import { stringify } from 'yaml';
import { diagnose, DiagnoseOptions } from '../../src/diagnose/findings';
import { DiagnoseInput, INPUT_LIMITS, InputReader, readInputs } from '../../src/diagnose/input';
import { diagnoseMain, runDiagnose } from '../../src/diagnose/main';
import { SNAPSHOT_TIME } from '../fixtures/pods/build';

// The reader diagnose streams its input through (src/diagnose/input.ts): the pods it finds and
// the findings they give must not depend on how the input is cut into chunks, on JSON or YAML, or
// on the fields diagnose does not read.

const FIXTURES = join(__dirname, '..', 'fixtures', 'pods');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf-8');
const CLUSTER = fixture('cluster.json');
const PODS: any[] = JSON.parse(CLUSTER).items;
const JOBS_LIST = fixture('reports-jobs.json');
const JOBS: any[] = JSON.parse(JOBS_LIST).items;
const OPTIONS: DiagnoseOptions = { now: Date.parse(SNAPSHOT_TIME), stuckAfterSeconds: 300, sidecars: [] };
/** What diagnose finds in the fixtures given whole, as parsed objects: the findings before streaming. */
const EXPECTED = diagnose(PODS, JOBS, OPTIONS);
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));
const MIB = 1024 * 1024;
const list = (items: unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } });

/** Reads inputs through InputReader, each cut into chunks of `size` bytes. */
function readInChunks(inputs: Array<{ source: string; text: string }>, size: number): DiagnoseInput {
  const reader = new InputReader();
  for (const { source, text } of inputs) {
    const r = reader.source(source);
    const bytes = Buffer.from(text, 'utf-8');
    for (let at = 0; at < bytes.length; at += size) r.push(bytes.subarray(at, at + size));
    r.end();
  }
  return reader.result();
}

const findingsOf = (read: DiagnoseInput) => diagnose(read.pods, read.jobs, OPTIONS);

describe('GIVEN kubectl get pods -A -o json and kubectl get jobs -o json WHEN read in chunks', () => {
  test.each([1, 2, 3, 7, 64, 4096, 65536, 1024 * 1024])('THEN chunks of %i bytes give the findings of the whole objects', (size) => {
    const read = readInChunks([{ source: 'pods.json', text: CLUSTER }, { source: 'jobs.json', text: JOBS_LIST }], size);
    expect(read.problems).toEqual([]);
    expect(findingsOf(read)).toEqual(EXPECTED);
  });

  test('THEN every pod is counted and every Job pod kept, in input order', () => {
    const read = readInputs([{ source: 'stdin', text: CLUSTER }]);
    expect(read.podCount).toBe(PODS.length);
    const jobPods = PODS.filter((p) => p.metadata.ownerReferences?.some((o: any) => o.kind === 'Job'));
    expect(jobPods.length).toBeLessThan(PODS.length);
    expect(read.pods.map((p) => p.metadata.name)).toEqual(jobPods.map((p) => p.metadata.name));
  });

  test('THEN only the fields diagnose reads are kept', () => {
    const pod = clone(PODS.find((p) => p.metadata.namespace === 'search'));
    pod.metadata.managedFields = [{ manager: 'kubelet', operation: 'Update', fieldsV1: { 'f:status': {} } }];
    pod.spec.containers[0].env = [{ name: 'LOG_LEVEL', value: 'debug' }, { name: 'MESHJOB_ROLE', value: 'main' }, { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }];
    const [kept] = readInputs([{ source: 'stdin', text: JSON.stringify(pod) }]).pods as any[];
    expect(Object.keys(kept).sort()).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    expect(Object.keys(kept.metadata).sort()).toEqual(['annotations', 'creationTimestamp', 'labels', 'name', 'namespace', 'ownerReferences']);
    expect(Object.keys(kept.spec).sort()).toEqual(['containers', 'initContainers', 'restartPolicy']);
    expect(Object.keys(kept.status).sort()).toEqual(['containerStatuses', 'initContainerStatuses', 'phase', 'startTime']);
    expect(kept.spec.containers[0].env).toEqual([{ name: 'MESHJOB_ROLE', value: 'main' }]);
    expect(kept.spec.containers[0]).not.toHaveProperty('volumeMounts');
    expect(kept.metadata.ownerReferences).toEqual([{ kind: 'Job', name: 'reindex', controller: true }]);
  });

  test('THEN a termination message keeps every byte, however the chunks cut its escapes and multi-byte characters', () => {
    const pod = clone(PODS.find((p) => p.metadata.name.startsWith('flaky-import')));
    const message = 'quote " backslash \\ brace } bracket ] \\" é 日本 🚀 \u2028 \\\\"';
    pod.status.containerStatuses[0].state = { terminated: { exitCode: 1, message, finishedAt: '2026-11-28T11:00:00Z' } };
    for (const size of [1, 2, 3, 5]) {
      const [kept] = readInChunks([{ source: 'stdin', text: JSON.stringify(pod, null, 4) }], size).pods as any[];
      expect(kept.status.containerStatuses[0].state.terminated.message).toBe(message);
    }
  });
});

describe('GIVEN the same pods in other shapes', () => {
  test('WHEN they are kubectl get -o yaml output THEN they give the same findings', () => {
    const yaml = stringify(JSON.parse(CLUSTER), { version: '1.1' });
    const read = readInChunks([{ source: 'pods.yaml', text: yaml }, { source: 'jobs.json', text: JOBS_LIST }], 4096);
    expect(read.problems).toEqual([]);
    expect(findingsOf(read)).toEqual(EXPECTED);
  });

  test('WHEN they are single pods, concatenated as `kubectl get pod a -o json; kubectl get pod b -o json` prints them THEN each is read', () => {
    const text = PODS.map((p) => JSON.stringify(p, null, 4)).join('\n') + JSON.stringify({ apiVersion: 'v1', kind: 'List', items: JOBS });
    const read = readInChunks([{ source: 'stdin', text }], 1000);
    expect(read.problems).toEqual([]);
    expect(findingsOf(read)).toEqual(EXPECTED);
  });

  test('WHEN JSON documents stand between --- lines THEN they are read as the YAML stream they are', () => {
    const text = PODS.map((p) => `---\n${JSON.stringify(p)}\n`).join('');
    const read = readInputs([{ source: 'stdin', text }]);
    expect(read.problems).toEqual([]);
    expect(findingsOf(read)).toEqual(diagnose(PODS, [], OPTIONS));
  });

  test.each([1, 2, 65536])('WHEN the input starts with a byte order mark THEN it is read, in chunks of %i bytes', (size) => {
    const read = readInChunks([{ source: 'stdin', text: `\ufeff${CLUSTER}` }], size);
    expect(read).toMatchObject({ problems: [], podCount: PODS.length });
  });

  test('WHEN a PodList and a JobList come from one kubectl get pods,jobs THEN both are read', () => {
    const text = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [...PODS, ...JOBS] });
    expect(findingsOf(readInputs([{ source: 'stdin', text }]))).toEqual(EXPECTED);
  });
});

describe('GIVEN an input with no pods', () => {
  test('WHEN kubectl get pods finds none (an empty List) THEN diagnose says so on stderr and exits 0', () => {
    const r = diagnoseMain(['--now', SNAPSHOT_TIME], '{\n    "apiVersion": "v1",\n    "items": [],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n');
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr.split('\n')).toEqual([
      'meshjob diagnose: stdin: no pods in it: kubectl found none (check the namespace and the context, or use -A)',
      'meshjob diagnose: no stuck or looping Job pod among 0 pods',
      '',
    ]);
  });

  test('WHEN one input has pods and another holds only Jobs THEN nothing is said about the Jobs', () => {
    const r = diagnoseMain(['--now', SNAPSHOT_TIME, '-o', 'json', join(FIXTURES, 'cluster.json'), join(FIXTURES, 'reports-jobs.json')], '');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
  });

  test('WHEN a file has no pods among others that do THEN it is named', () => {
    const r = diagnoseMain(['--now', SNAPSHOT_TIME, join(FIXTURES, 'cluster.json'), '-'], list([]));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('meshjob diagnose: stdin: no pods in it: kubectl found none (check the namespace and the context, or use -A)\n');
  });
});

describe('runDiagnose, as meshjob diagnose runs', () => {
  /** Chunks as a pipe gives them, one buffer reused for each, as stdinChunks does; counts what was asked for. */
  function pipe(text: string, size = 65536) {
    const bytes = Buffer.from(text, 'utf-8');
    const state = { pulled: 0 };
    async function* chunks() {
      const buffer = Buffer.alloc(size);
      for (let at = 0; at < bytes.length; at += size) {
        state.pulled++;
        const n = bytes.copy(buffer, 0, at, at + size);
        yield buffer.subarray(0, n);
      }
    }
    return { chunks: chunks(), state, total: Math.ceil(bytes.length / size) };
  }

  async function run(argv: string[], stdin: AsyncIterable<Buffer>) {
    const out = { stdout: '', stderr: '' };
    const streams = { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) } };
    const code = await runDiagnose(argv, stdin, streams);
    return { code, ...out };
  }

  test('gives what diagnoseMain gives, from chunks read into one reused buffer', async () => {
    for (const output of ['table', 'json']) {
      const argv = ['--now', SNAPSHOT_TIME, '-o', output];
      expect(await run(argv, pipe(CLUSTER, 1000).chunks)).toEqual(diagnoseMain(argv, CLUSTER));
    }
  });

  test('reads named files, and stdin only when - is named', async () => {
    const stdin = pipe(list([]));
    const r = await run(['--now', SNAPSHOT_TIME, '-o', 'json', join(FIXTURES, 'cluster.json'), join(FIXTURES, 'reports-jobs.json')], stdin.chunks);
    expect(JSON.parse(r.stdout).findings).toEqual(EXPECTED);
    expect(stdin.state.pulled).toBe(0);
  });

  test('fails with exit 2 naming a file it cannot read, and reads the others', async () => {
    const r = await run(['--now', SNAPSHOT_TIME, '/nonexistent/pods.json', join(FIXTURES, 'cluster.json')], pipe('').chunks);
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: 'meshjob diagnose: /nonexistent/pods.json: cannot read it (ENOENT)\n' });
  });

  test('stops reading stdin at a YAML document too large to read, and says so in one line', async () => {
    const huge = `kind: List\napiVersion: v1\nitems:\n${'- {kind: Pod, apiVersion: v1, metadata: {name: p, namespace: n}}\n'.repeat(Math.ceil((2 * INPUT_LIMITS.yamlDocumentBytes) / 64))}`;
    const stdin = pipe(huge);
    const r = await run([], stdin.chunks);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(`meshjob diagnose: stdin: a YAML document over ${INPUT_LIMITS.yamlDocumentBytes / MIB} MiB, more than diagnose reads as YAML: ` +
      'give the output of kubectl get pods -A -o json instead, which diagnose reads pod by pod\n');
    expect(stdin.state.pulled).toBeLessThan(stdin.total * 0.6);
  });
});

describe('bounds on one input', () => {
  test('fails with one line naming an item over the limit, and reads the items around it', () => {
    const big = clone(PODS[0]);
    big.metadata.annotations.padding = 'x'.repeat(INPUT_LIMITS.jsonObjectBytes);
    const read = readInChunks([{ source: 'stdin', text: list([PODS[1], big, PODS[2]]) }], 65536);
    expect(read.problems).toEqual([
      `stdin item 2: an item of ${(Buffer.byteLength(JSON.stringify(big)) / MIB).toFixed(1)} MiB, more than any object the API server stores ` +
      `(diagnose reads objects up to ${INPUT_LIMITS.jsonObjectBytes / MIB} MiB): give the output of kubectl get pods -A -o json`,
    ]);
    expect(read.podCount).toBe(2);
  });

  test('fails with one line naming where JSON too large to read as YAML stops being JSON', () => {
    const one = list(PODS.slice(0, 1));
    const text = `${one.repeat(Math.ceil((1.5 * INPUT_LIMITS.yamlDocumentBytes) / one.length))}]`;
    const read = readInChunks([{ source: 'pods.json', text }], 65536);
    expect(read.problems).toEqual([
      `pods.json: not JSON (expected a JSON value at byte ${Buffer.byteLength(text) - 1}), and over ${INPUT_LIMITS.yamlDocumentBytes / MIB} MiB, ` +
      'too large to read as YAML: give the output of kubectl get pods -A -o json',
    ]);
  });

  test(`gives the first ${INPUT_LIMITS.problemLines} problems and counts the rest`, () => {
    const nameless = Array.from({ length: 100 }, () => ({ apiVersion: 'v1', kind: 'Pod', metadata: {} }));
    const r = diagnoseMain([], list(nameless));
    const lines = r.stderr.trimEnd().split('\n');
    expect(r.code).toBe(2);
    expect(lines).toHaveLength(INPUT_LIMITS.problemLines + 1);
    expect(lines[0]).toBe('meshjob diagnose: stdin item 1: Pod without metadata.name: give objects as the API returns them (kubectl get -o json)');
    expect(lines[INPUT_LIMITS.problemLines]).toBe(`meshjob diagnose: ${100 - INPUT_LIMITS.problemLines} more problems not shown`);
  });

  test.each([
    ['a container status whose restartCount is not a number', (p: any) => { p.status.containerStatuses[0].restartCount = '3'; }, 'status.containerStatuses[0].restartCount that is not a number'],
    ['a label that is not a string', (p: any) => { p.metadata.labels.tier = 2; }, 'metadata.labels.tier that is not a string'],
    ['a null container', (p: any) => { p.spec.containers[1] = null; }, 'spec.containers[1] that is not a map'],
    ['a command that is not a list', (p: any) => { p.spec.containers[0].command = '/bin/sh -c true'; }, 'spec.containers[0].command that is not a list'],
  ])('fails with one line naming the field of %s', (_what, spoil, field) => {
    const pod = clone(PODS[0]);
    spoil(pod);
    expect(readInputs([{ source: 'stdin', text: list([PODS[1], pod]) }]).problems).toEqual([
      `stdin item 2: Pod shop/shop-migrate-dwfgr has ${field}: give pods as the API returns them (kubectl get -o json)`,
    ]);
  });

  test('reads null fields as absent, as the API server does', () => {
    const pod = clone(PODS[0]);
    pod.metadata.annotations = null;
    pod.spec.initContainers = null;
    pod.status.containerStatuses[0].lastState = null;
    expect(readInputs([{ source: 'stdin', text: JSON.stringify(pod) }]).problems).toEqual([]);
  });

});
