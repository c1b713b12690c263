import { readFileSync } from 'fs';
import { join } from 'path';
import * as fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { kubectlRead } from './kubectl';
import { unexpectedChanges } from './meshjob-fields';
import { readYaml11 } from './pyyaml';
import { runMeshjob } from './run';
import { DocumentSplitter } from '../../src/cli/yaml/split';
import { validateManifest } from '../support/schema';

// YAML 1.1 fidelity: what meshjob does not own comes out as it came in, bytes and meaning.

const segments = (yaml: string) => yaml.split(/(?=^---(?:[ \t\r]|$))/m);
const render = (input: string | Buffer, args: string[] = []) => runMeshjob(['--mesh', 'istio', ...args], input);

const job = (name: string, extra = '') => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: registry.example.com/app:1
        command: ["/app"]${extra}
`;

/** Meaning by PyYAML of one document's text. */
const meaning = (text: string) => readYaml11(text)[0];

describe('documents meshjob does not change', () => {
  const ODD = [
    '\ufeff# Source: chart/templates/first.yaml\n# a comment before the first marker\n',
    '---\n%YAML 1.1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: flow, labels: {a: "on"}}\ndata:\n  mode: 0644\n  long: "' + 'x'.repeat(200) + ' y"\n',
    '--- # an empty document\n',
    '---\r\napiVersion: v1\r\nkind: Secret\r\nmetadata:\r\n  name: crlf   # trailing\r\nstringData:\r\n  yes: no\r\n  octal: 0400\r\n...\r\n',
    '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: blocks\ndata:\n  script: |\n    #!/bin/sh\n    echo "---not a marker"\n\n  folded: >-\n    one\n    two\n',
    '---\n{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "json"}}\n',
    `---\n# Source: chart/templates/job.yaml\n${job('changed')}`,
    '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: last-without-newline\ndata: {a: b}',
  ];

  test('GIVEN a stream with a BOM, a comment before the first marker, directives, CRLF, "...", flow and JSON documents and block scalars WHEN a Job in it is wrapped THEN every other document is byte for byte the same', async () => {
    const input = ODD.join('');
    const r = await render(input);
    expect(r.code).toBe(0);
    const before = segments(input);
    const after = segments(r.stdout);
    expect(after).toHaveLength(before.length);
    const changed = before.map((s, i) => (after[i] === s ? -1 : i)).filter((i) => i >= 0);
    expect(changed).toEqual([before.findIndex((s) => s.includes('name: changed'))]);
  });

  test('GIVEN the same stream as bytes split at every possible chunk size WHEN split into documents THEN the pieces put together are the input and the cuts are the same', async () => {
    const input = Buffer.from(ODD.join(''));
    const whole = new DocumentSplitter();
    const expected = [...whole.push(input), ...whole.end()].map((b) => b.toString());
    fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), (size) => {
      const splitter = new DocumentSplitter();
      const got: Buffer[] = [];
      for (let i = 0; i < input.length; i += size) got.push(...splitter.push(input.subarray(i, i + size)));
      got.push(...splitter.end());
      expect(got.map((b) => b.toString())).toEqual(expected);
      expect(Buffer.concat(got).equals(input)).toBe(true);
    }), { numRuns: 64 });
  });

  test('GIVEN a Job opted out with meshjob/skip WHEN post-rendered THEN it is byte for byte the same', async () => {
    const input = job('skipped').replace('  name: skipped\n', '  name: skipped\n  annotations:\n    meshjob/skip: "true"\n');
    expect(await render(input)).toMatchObject({ code: 0, stdout: input });
  });
});

describe('a Job meshjob changes', () => {
  const TRICKY = job('tricky', `
        # the values below mean what YAML 1.1 says
        env:
        - {name: ON_STRING, value: "on"}
        - name: YES_STRING
          value: "yes"
        - name: Y_STRING
          value: 'y'
        - name: OFF_STRING
          value: "OFF"
        - name: UNDERSCORE_STRING
          value: "1_000"
        - name: SEXAGESIMAL_STRING
          value: "1:20"
        volumeMounts:
        - {name: secret, mountPath: /secret}
      volumes:
      - name: secret
        secret:
          secretName: s
          defaultMode: 0400   # octal: 256, owner read-only
          items:
          - {key: a, path: a, mode: 0644}`);

  test('GIVEN a Job with octal modes, bool-like strings and comments WHEN wrapped THEN PyYAML reads every other value as before and the comments stay', async () => {
    const r = await render(TRICKY);
    expect(r.code).toBe(0);
    const before = meaning(TRICKY);
    const after = meaning(r.stdout);
    expect(unexpectedChanges(before, after)).toEqual([]);
    expect(after.spec.template.spec.volumes[0].secret).toEqual({ secretName: 's', defaultMode: 0o400, items: [{ key: 'a', path: 'a', mode: 0o644 }] });
    expect(after.spec.template.spec.containers[0].env.slice(0, 6).map((e: any) => e.value)).toEqual(['on', 'yes', 'y', 'OFF', '1_000', '1:20']);
    expect(r.stdout).toContain('defaultMode: 0400   # octal: 256, owner read-only\n');
    expect(r.stdout).toContain('        # the values below mean what YAML 1.1 says\n');
    validateManifest(after);
  });

  test('GIVEN a container that inherits env and mounts through a merge key WHEN wrapped THEN it keeps them', async () => {
    const input = `apiVersion: batch/v1
kind: Job
metadata:
  name: merged
x-defaults: &defaults
  image: registry.example.com/app:1
  env:
  - {name: INHERITED, value: "yes"}
  volumeMounts:
  - {name: data, mountPath: /data}
spec:
  template:
    spec:
      restartPolicy: Never
      volumes:
      - {name: data, emptyDir: {}}
      containers:
      - <<: *defaults
        name: main
        command: [/app]
`;
    const r = await render(input);
    const container = meaning(r.stdout).spec.template.spec.containers[0];
    expect(container.env[0]).toEqual({ name: 'INHERITED', value: 'yes' });
    expect(container.volumeMounts[0]).toEqual({ name: 'data', mountPath: '/data' });
    expect(container.command.slice(-1)).toEqual(['/app']);
    expect(container.command.length).toBeGreaterThan(1);
    expect(meaning(r.stdout)['x-defaults']).toEqual(meaning(input)['x-defaults']);
    expect(unexpectedChanges(meaning(input), meaning(r.stdout))).toEqual([]);
  });

  test('GIVEN a CRLF Job WHEN wrapped THEN every line still ends with CRLF', async () => {
    const input = job('crlf').replace(/\n/g, '\r\n');
    const r = await render(input);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[^\r]\n/);
    expect(unexpectedChanges(meaning(input), meaning(r.stdout))).toEqual([]);
  });

  test('GIVEN a Job that starts the stream with a BOM and a comment, in CRLF WHEN wrapped THEN the BOM, the comment and the line endings stay', async () => {
    const input = `\ufeff# Source: chart/templates/job.yaml\n${job('bom')}`.replace(/\n/g, '\r\n');
    const r = await render(input);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('\ufeff# Source: chart/templates/job.yaml\r\napiVersion: batch/v1\r\n')).toBe(true);
    expect(r.stdout).not.toMatch(/[^\r]\n/);
    expect(unexpectedChanges(meaning(input), meaning(r.stdout))).toEqual([]);
  });

  test('GIVEN a command with characters YAML 1.1 reads as line breaks (LS, PS, NEL) WHEN wrapped THEN they are written escaped and read back the same', async () => {
    const input = job('breaks').replace('command: ["/app"]', 'command: ["/app", "a\\Lb\\Pc\\Nd"]');
    const r = await render(input);
    expect(r.stdout).not.toMatch(/[\u2028\u2029\u0085]/);
    expect(meaning(r.stdout).spec.template.spec.containers[0].command.slice(-2)).toEqual(['/app', 'a\u2028b\u2029c\u0085d']);
  });

  test('GIVEN a pod template whose labels are an alias of the Job\'s WHEN wrapped THEN the Job\'s labels keep their meaning', async () => {
    const input = `apiVersion: batch/v1
kind: Job
metadata:
  name: aliased
  labels: &labels
    app: shop
spec:
  template:
    metadata:
      labels: *labels
    spec:
      restartPolicy: Never
      containers:
      - {name: main, image: x, command: [/app]}
`;
    const r = await render(input);
    expect(r.code).toBe(0);
    const after = meaning(r.stdout);
    expect(after.metadata.labels).toEqual({ app: 'shop' });
    expect(after.spec.template.metadata.labels).toMatchObject({ 'app': 'shop', 'sidecar.istio.io/inject': 'true' });
  });

  test.each([
    ['4-space indentation, sequences at their key\'s column', { indent: 4, indentSeq: false }],
    ['3-space indentation, indented sequences', { indent: 3, indentSeq: true }],
    ['flow collections for short values', { indent: 2, indentSeq: false, collectionStyle: 'flow' as const }],
  ])('GIVEN ingress-nginx\'s admission Job written with %s WHEN wrapped THEN only MeshJob\'s fields change', async (_, style) => {
    const ingress = readFileSync(join(__dirname, '..', 'fixtures', 'charts', 'ingress-nginx-cloud.yaml'), 'utf-8');
    const original = segments(ingress).find((d) => d.includes('name: ingress-nginx-admission-create\n'))!;
    const input = `# restyled\n${stringify(parse(original, { version: '1.1' }), { version: '1.1', lineWidth: 0, ...style })}`;
    const r = await render(input, ['--entrypoint', 'registry.k8s.io/ingress-nginx/kube-webhook-certgen=/kube-webhook-certgen']);
    expect(r.code).toBe(0);
    const after = meaning(r.stdout);
    expect(unexpectedChanges(meaning(input), after)).toEqual([]);
    expect(after.spec.template.spec.containers[0].command.slice(-1)).toEqual(['/kube-webhook-certgen']);
    validateManifest(after);
  });

  // Generated Jobs: every tricky YAML 1.1 scalar in env values, labels and annotations, in every
  // quoting style, with comments, anchors and CRLF; meaning must survive and only MeshJob's fields change.
  // Plain `y`/`n` and `1:20` are left out: go-yaml (Kubernetes) reads them as bools and a string,
  // PyYAML as strings and 80, so where such a value is written anew (an alias expanded) the oracle
  // would disagree with the reader that matters. Their quoted forms are in.
  const SCALARS = ['0644', '0400', '"0644"', "'on'", '"yes"', 'yes', '"y"', 'OFF', '"OFF"', '"1_000"', '1_000', '"1:20"', '0x1F',
    '"2001-12-14"', '~', '"null"', "'it''s'", '"tab\\there"', '"\\u2028"', '|-\n            block\n            text', '>\n            folded\n            text\n', 'plain words'];
  const scalar = fc.constantFrom(...SCALARS);
  const generated = fc.record({
    env: fc.array(scalar, { maxLength: 4 }),
    annotations: fc.array(scalar, { maxLength: 3 }),
    comment: fc.boolean(),
    crlf: fc.boolean(),
    anchorEnv: fc.boolean(),
    flowEnv: fc.boolean(),
  });

  function generate(g: { env: string[]; annotations: string[]; comment: boolean; crlf: boolean; anchorEnv: boolean; flowEnv: boolean }): string {
    const c = g.comment ? '  # a comment' : '';
    const annotations = g.annotations.map((v, i) => `\n    a${i}: ${v.replace(/\n {12}/g, '\n      ')}${v.includes('\n') ? '' : c}`).join('');
    const env = g.env.map((v, i) => (g.flowEnv && !v.includes('\n')
      ? `\n        - {name: E${i}, value: ${v}}${c}`
      : `\n        - name: E${i}\n          value: ${v}${v.includes('\n') ? '' : c}`)).join('');
    const text = `# Source: gen/templates/job.yaml
apiVersion: batch/v1
kind: Job
metadata:
  name: generated${g.annotations.length ? `\n  annotations:${annotations}` : ''}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: x
        command: [/app]${g.env.length ? `\n        env:${g.anchorEnv ? ' &env' : ''}${env}` : ''}
      - name: second
        image: x
        command:
        - /second${g.env.length && g.anchorEnv ? '\n        env: *env' : ''}
`;
    return g.crlf ? text.replace(/\n/g, '\r\n') : text;
  }

  test('GIVEN generated Jobs with octals, bool-like strings, anchors, comments and CRLF WHEN wrapped THEN every value keeps its YAML 1.1 meaning and only MeshJob\'s fields change', async () => {
    await fc.assert(fc.asyncProperty(generated, async (g) => {
      const input = generate(g);
      const r = await render(input);
      expect(r.code).toBe(0);
      const before = meaning(input);
      const after = meaning(r.stdout);
      expect(unexpectedChanges(before, after)).toEqual([]);
      expect(after.metadata.annotations).toEqual({ ...before.metadata.annotations, 'meshjob/result': expect.any(String) });
      expect(r.stdout.startsWith('# Source: gen/templates/job.yaml')).toBe(true);
    }), { numRuns: 25 });
  });
});

describe('a Job kubectl reads as a Job, however its kind is written', () => {
  // go-yaml v2 (scannerc.go) joins the lines of a double-quoted scalar at a backslash before any line break
  // (\n, NEL, LS, PS), and decodes \x, \u and \U escapes and !!binary scalars.
  test.each([
    ['written with a \\x escape', 'kind: "\\x4aob"'],
    ['written with a \\u escape', 'kind: "J\\u006fb"'],
    ['written with an escaped line feed', 'kind: "J\\\n  ob"'],
    ['written with an escaped NEL', 'kind: "J\\\u0085  ob"'],
    ['written with an escaped LS', 'kind: "J\\\u2028ob"'],
    ['written with !!binary', 'kind: !!binary Sm9i'],
    ['on the next line', 'kind:\n  Job'],
    ['after a quoted scalar with a line "kind: ConfigMap" at column 0', 'x-note: "one\nkind: ConfigMap\n  two"\nkind: Job'],
    ['after a flow mapping with a line "kind: ConfigMap" at column 0', 'x-note: {a: 1,\nkind: ConfigMap\n  }\nkind: Job'],
    ['by a merge key, next to a quoted line "kind: ConfigMap"', 'x-note: "\nkind: ConfigMap"\n<<: {kind: Job}'],
    ['as a key in double quotes', 'x-note: "\nkind: ConfigMap"\n"kind": Job'],
  ])('GIVEN kind: Job %s WHEN post-rendered THEN the Job is wrapped, as kubectl reads a Job', async (_, kind) => {
    const input = job('spelled').replace('kind: Job', kind);
    expect(kubectlRead([input])[0]).toMatchObject({ objects: [{ kind: 'Job' }] });
    const r = await render(input);
    expect(r.code).toBe(0);
    const [out] = kubectlRead([r.stdout]);
    expect(out).toMatchObject({ objects: [{ kind: 'Job', metadata: { annotations: { 'meshjob/result': expect.stringMatching(/wrap/) } } }] });
  });
});
