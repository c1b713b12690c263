import { readFileSync } from 'fs';
import { join } from 'path';
import { diagnoseMain } from '../../src/diagnose/main';
import { SNAPSHOT_TIME } from '../fixtures/pods/build';

// Everything diagnose reads comes from the cluster: pod and container names, images, annotations
// and the termination messages any container can write. None of it may hang diagnose, exhaust its
// memory, or reach a terminal as anything but text.

const FIXTURES = join(__dirname, '..', 'fixtures', 'pods');
const CLUSTER = readFileSync(join(FIXTURES, 'cluster.json'), 'utf-8');
const PODS: any[] = JSON.parse(CLUSTER).items;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));
const list = (items: unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
const run = (args: string[], stdin: string) => diagnoseMain(['--now', SNAPSHOT_TIME, ...args], stdin);
/** Any byte a terminal acts on (C0 but LF, DEL, C1) and the bidi overrides and isolates. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROLS = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

/** Nine levels of ten aliases each: under a kilobyte of YAML that expands to 10⁹ strings. */
function billionLaughs(): string {
  const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i <= 9; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(',')}]`);
  return lines.join('\n') + '\n';
}

describe('GIVEN YAML whose aliases expand without bound', () => {
  test('WHEN it is a whole document THEN diagnose refuses it with one line naming the document, and exits 2', () => {
    const yaml = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: laughs\n${billionLaughs().replace(/^/gm, '  ')}`.replace('  a0:', 'spec:\n  a0:');
    expect(Buffer.byteLength(yaml)).toBeLessThan(1000);
    const r = run([], yaml);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    // go-yaml's own limit and words (decode.go), as kubectl would refuse it.
    expect(r.stderr).toBe('meshjob diagnose: stdin: not JSON or YAML kubectl reads (document contains excessive aliasing (line 9, column 24)): ' +
      'give the output of kubectl get pods -o json or -o yaml\n');
  });

  test('WHEN it is the second document of a stream THEN the line names that document', () => {
    const r = run([], `${JSON.stringify(PODS[0])}\n---\n${billionLaughs()}`);
    expect(r).toMatchObject({ code: 2, stderr: expect.stringMatching(/^meshjob diagnose: stdin document 2: not JSON or YAML kubectl reads \(document contains excessive aliasing/) });
  });

  test('WHEN the aliases are few THEN they are read, as kubectl reads them', () => {
    const pod = PODS.find((p) => p.metadata.namespace === 'search');
    const yaml = `items:\n- &pod ${JSON.stringify(pod)}\n- *pod\napiVersion: v1\nkind: List\n`;
    const r = run(['-o', 'json'], yaml);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.length).toBeGreaterThan(0);
  });
});

describe('GIVEN nesting deep enough to exhaust a recursive reader', () => {
  test('WHEN it is a JSON item THEN it is one problem line for that item', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const r = run([], `{"apiVersion": "v1", "kind": "List", "items": [${JSON.stringify(PODS[0])}, ${deep}]}`);
    expect(r).toMatchObject({ code: 2 });
    expect(r.stderr).toBe('meshjob diagnose: stdin item 2: expected a Pod or a List of Pods, got an array: give the output of kubectl get pods -A -o json\n');
  });

  test('WHEN it is YAML THEN it is one problem line for the document', () => {
    const r = run([], `kind: Pod\nspec: ${'{a: '.repeat(50_000)}1${'}'.repeat(50_000)}\n`);
    expect(r).toMatchObject({ code: 2 });
    // go-yaml's depth limit (scannerc.go, max_flow_level), checked before any recursion.
    expect(r.stderr).toBe('meshjob diagnose: stdin: not JSON or YAML kubectl reads (while increasing flow level: exceeded max depth of 10000 (line 2, column 40007)): ' +
      'give the output of kubectl get pods -o json or -o yaml\n');
  });
});

describe('GIVEN text from the cluster that a terminal would act on', () => {
  const ESC = '\x1b';
  /** The reindex pod, whose wrapper wrote a termination message, with `message` in its place and `name` as its image. */
  function hostile(message: string, image: string): string {
    const pod = clone(PODS.find((p) => p.metadata.namespace === 'debug'));
    const main = pod.status.containerStatuses.find((s: any) => s.state.terminated);
    main.state.terminated.message = message;
    pod.spec.containers.find((c: any) => c.name === 'istio-proxy').image = image;
    pod.status.containerStatuses.find((s: any) => s.name === 'istio-proxy').image = image;
    return list([pod]);
  }
  const title = `${ESC}]0;owned${ESC}\\`;
  const clear = `${ESC}[2J${ESC}[H`;
  const link = `${ESC}]8;;https://evil.example${ESC}\\docs${ESC}]8;;${ESC}\\`;
  const message = `meshjob: proxy-kept: kept ${title}${clear}${link}\u009b31m\u202eexit 0\nsecond line\r`;
  const image = `docker.io/istio/proxyv2:1.24.2${ESC}[8m\u2066`;

  test('WHEN it is in a termination message and an image THEN the table shows it escaped, on one line per row', () => {
    const r = run([], hostile(message, image));
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(RAW_CONTROLS);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4); // the header, the row, its fix, the line that releases the pod
    expect(lines[3]).toMatch(/^  release now: kubectl exec -n debug flaky-import-7628x -c istio-proxy -- /);
    expect(lines[1]).toContain('\\x1b]0;owned\\x1b\\\\x1b[2J\\x1b[H\\x1b]8;;https://evil.example');
    expect(lines[1]).toContain('\\x9b31m\\u202eexit 0');
    expect(lines[1]).toContain('istio 1.24.2\\x1b[8m\\u2066');
  });

  test('WHEN the output is JSON THEN the message is kept as it was, every control and bidi character escaped by JSON', () => {
    const r = run(['-o', 'json'], hostile(message, image));
    expect(r.stdout).not.toMatch(RAW_CONTROLS);
    const [finding] = JSON.parse(r.stdout).findings;
    expect(finding.cause).toContain(`kept ${title}${clear}${link}\u009b31m\u202eexit 0`);
  });

  test('WHEN it is in the names of a pod that cannot be read THEN the problem line shows it escaped', () => {
    const pod = clone(PODS[0]);
    pod.metadata.name = `migrate${ESC}[2J`;
    pod.metadata.namespace = 'shop\u202e';
    pod.status.containerStatuses = {};
    const r = run([], list([pod]));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('meshjob diagnose: stdin item 1: Pod shop\\u202e/migrate\\x1b[2J has status.containerStatuses that is not a list: ' +
      'give pods as the API returns them (kubectl get -o json)\n');
  });

  test('WHEN it is raw in YAML text THEN it is refused as kubectl refuses it, and the line holds no control character', () => {
    const r = run([], `---\n"${ESC}]0;owned\\a${'x'.repeat(500)}"\n`);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(RAW_CONTROLS);
    expect(r.stderr).toMatch(/^meshjob diagnose: stdin: not JSON or YAML kubectl reads \(control characters are not allowed/);
  });

  test('WHEN it is in a value diagnose quotes back THEN the line shows it escaped and shortened', () => {
    // A YAML escape: the value holds ESC and BEL, the text does not.
    const r = run([], `---\n"\\e]0;owned\\a${'x'.repeat(500)}"\n`);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(RAW_CONTROLS);
    expect(r.stderr).toMatch(/^meshjob diagnose: stdin: expected a Pod or a List of Pods, got "\\u001b\]0;owned\\u0007x+\.\.\.: /);
    expect(r.stderr.length).toBeLessThan(250);
  });

  test('WHEN it is in a file name THEN the line naming the file shows it escaped', () => {
    const r = run([`/nonexistent/${ESC}]0;owned\x07.json`], '');
    expect(r.stderr).toBe('meshjob diagnose: /nonexistent/\\x1b]0;owned\\x07.json: cannot read it (ENOENT)\n');
  });
});
