import { spawnSync } from 'child_process';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { kubectlRead } from './kubectl';
import { canonicalJson } from './same-reading';
import { cleanup, tempDir } from '../support/wrapper-harness';

// The oracle's own reading: kubectl prints the objects with `-o jsonpath={@}` (one compact line
// each) rather than `-o json`; both must print the same values for every kind of value.

afterAll(() => cleanup());

const H = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\n';
const DOCUMENTS = [
  `${H}data:\n  html: "<a href='x'>&amp;</a>"\n  unicode: "é日本😀\\u2028\\u0085\\t\\x7f"\n  nl: "a\\nb"\n`,
  `${H}x:\n  big: 9223372036854775807\n  small: -9223372036854775808\n  beyond: 9223372036854775808\n  neg0: -0.0\n  frac: 0.1\n  exp: 12e3\n  octal: 0644\n  go: 0x1F\n`,
  `${H}x:\n  t: 2001-12-14t21:59:43.10-05:00\n  d: 2001-12-14\n  b: [yes, on, y, true, ~, null, ""]\n  bin: !!binary aGVsbG8=\n`,
  `${H}x: ${'['.repeat(400)}${']'.repeat(400)}\n`,
  `apiVersion: v1\nkind: List\nitems:\n- ${H.replace(/\n/g, '\n  ').trimEnd()}\n- {apiVersion: v1, kind: Secret, metadata: {name: s}, data: {a: aGVsbG8=}}\n`,
];

test('kubectl prints the same objects with -o jsonpath={@} as with -o json', () => {
  const dir = tempDir();
  DOCUMENTS.forEach((d, i) => writeFileSync(join(dir, `${i}.yaml`), d));
  const json = spawnSync('kubectl', ['label', '--local', '-f', dir, 'meshjob.test/oracle=read', '-o', 'json'], { encoding: 'utf-8' });
  expect(json.stderr).toBe('');
  // -o json prints each object indented, one after the other.
  const objects: any[] = JSON.parse(`[${json.stdout.replace(/^\}\n\{/gm, '},\n{')}]`);
  for (const o of objects) {
    delete o.metadata.labels['meshjob.test/oracle'];
    if (Object.keys(o.metadata.labels).length === 0) delete o.metadata.labels;
  }
  const readings = kubectlRead(DOCUMENTS);
  expect(readings.flatMap((r) => ('objects' in r ? r.objects : [r.error])).map(canonicalJson)).toEqual(objects.map(canonicalJson));
  expect(objects.length).toBe(DOCUMENTS.length + 1);
});

test('a reading is kept for the next ask, and cannot be changed by whoever asked', () => {
  const text = `${H}data: {a: "kept"}\n`;
  const [first] = kubectlRead([text]);
  const [again] = kubectlRead([text]);
  expect(again).toBe(first);
  expect(() => { (first as any).objects[0].data.a = 'changed'; }).toThrow(TypeError);
  expect((again as any).objects[0].data.a).toBe('kept');
});
