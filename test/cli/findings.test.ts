import { spawnSync } from 'child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { kubectlRead, kubectlReadStream } from './kubectl';
import { pyyamlErrors } from './pyyaml';
import { runMeshjob } from './run';
import { CliOptions } from '../../src/cli/options';
import { cleanEnv, installedPackage } from '../pipelines/support/package';
import { cliStreamRoute, kptRoute } from '../pipelines/support/routes';
import { cleanup } from '../support/wrapper-harness';

// What kubectl reads from meshjob's output, for each way the transformer's own model of YAML and
// kubectl's reader (go-yaml v2) once disagreed: kubectl reads the input and the output, and the
// output must be the input with MeshJob's fields, meaning what MeshJob meant.

const OPTIONS: CliOptions = { mesh: 'istio' };
const job = (name: string, container: string, extra = '') => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
${extra}spec:
  template:
    spec:
      restartPolicy: Never
      containers:
${container}`;

/** kubectl's reading of the wrapped container's original argv: the wrapped command's last items. */
function commandTail(output: string, n: number): unknown[] {
  const r = kubectlReadStream(output);
  if (!('objects' in r)) throw new Error(r.error);
  return (r.objects[0] as any).spec.template.spec.containers[0].command.slice(-n);
}

jest.setTimeout(300_000);
afterAll(cleanup);

describe('strings go-yaml reads as numbers', () => {
  test('GIVEN a command holding "0o17", "0X1F" and "0B11" WHEN wrapped THEN kubectl reads them as those strings in the wrapped command', async () => {
    const input = job('go-literals', '      - {name: main, image: x, command: ["/app", "0o17", "0X1F", "0B11", "+0x1F", "1_000"]}\n');
    const r = await cliStreamRoute(input, OPTIONS);
    expect(r.mismatches).toEqual([]);
    expect(commandTail(r.outputs[0], 6)).toEqual(['/app', '0o17', '0X1F', '0B11', '+0x1F', '1_000']);
  });

  test('GIVEN a pod template written as an alias, with "0o17" in a label and "0X1F" in an env value WHEN wrapped THEN kubectl reads both as strings', async () => {
    const input = `apiVersion: batch/v1
kind: Job
metadata:
  name: aliased-template
x-template: &template
  metadata:
    labels: {version: "0o17"}
  spec:
    restartPolicy: Never
    containers:
    - {name: main, image: x, command: [/app], env: [{name: MODE, value: "0X1F"}]}
spec:
  template: *template
`;
    const r = await cliStreamRoute(input, OPTIONS);
    expect(r.mismatches).toEqual([]);
    const out = kubectlReadStream(r.outputs[0]) as { objects: any[] };
    expect(out.objects[0].spec.template.metadata.labels.version).toBe('0o17');
    expect(out.objects[0].spec.template.spec.containers[0].env[0].value).toBe('0X1F');
  });
});

describe('"<<" and "="', () => {
  test('GIVEN a command holding "<<" and "=" WHEN wrapped THEN kubectl reads them as strings and PyYAML loads the output', async () => {
    const input = job('merge-and-value', '      - {name: main, image: x, command: ["/app", "<<", "="]}\n');
    const r = await cliStreamRoute(input, OPTIONS);
    expect(r.mismatches).toEqual([]);
    expect(commandTail(r.outputs[0], 3)).toEqual(['/app', '<<', '=']);
    expect(pyyamlErrors(r.outputs)).toEqual([undefined]);
  });
});

describe('line breaks YAML 1.1 knows and JSON does not', () => {
  test('GIVEN a raw NEL inside a quoted command item WHEN wrapped THEN kubectl reads the wrapped argv with the space it read in the input', async () => {
    const input = job('nel', '      - {name: main, image: x, command: ["/app", "a\u0085b", "c\u2028d"]}\n');
    expect((kubectlReadStream(input) as any).objects[0].spec.template.spec.containers[0].command).toEqual(['/app', 'a b', 'c\u2028d']);
    const r = await cliStreamRoute(input, OPTIONS);
    expect(r.mismatches).toEqual([]);
    expect(commandTail(r.outputs[0], 3)).toEqual(['/app', 'a b', 'c\u2028d']);
  });
});

describe('a merge key after an explicit key', () => {
  test('GIVEN a container whose command is set, then replaced by a merge key WHEN wrapped THEN kubectl reads a wrapped command around the merged one', async () => {
    const input = `apiVersion: batch/v1
kind: Job
metadata:
  name: merge-last
x-base: &base {image: x, command: [/base]}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        command: [/real]
        <<: *base
`;
    expect((kubectlReadStream(input) as any).objects[0].spec.template.spec.containers[0].command).toEqual(['/base']);
    const r = await cliStreamRoute(input, OPTIONS);
    expect(r.mismatches).toEqual([]);
    const command = commandTail(r.outputs[0], 100);
    expect(command[0]).toBe('/meshjob/bin/busybox');
    expect(command.slice(-1)).toEqual(['/base']);
    expect(pyyamlErrors(r.outputs)).toEqual([undefined]);
  });
});

describe('documents that are not Jobs but mention one, which kubectl reads', () => {
  const configMap = (body: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mentions\n  annotations: {description: "runs a Job"}\n${body}`;
  test.each([
    ['150 aliases of one anchor', configMap(`data:\n  base: &b nightly Job\n${Array.from({ length: 150 }, (_, i) => `  k${i}: *b\n`).join('')}`)],
    ['a duplicate key', configMap('data:\n  schedule: "1"\n  schedule: "2"\n')],
    ['nesting 2,000 levels deep', configMap(`data:\n  deep: "${'['.repeat(2000)}${']'.repeat(2000)}"\nx-deep: ${'['.repeat(2000)}Job${']'.repeat(2000)}\n`)],
  ])('GIVEN %s WHEN post-rendered THEN it passes through byte for byte', async (_, input) => {
    expect(kubectlRead([input])[0]).toEqual({ objects: expect.any(Array) });
    expect(await runMeshjob(['--mesh', 'istio'], input)).toEqual({ code: 0, stdout: input, stderr: '' });
  });
});

describe('the KRM function through a real kpt', () => {
  test('GIVEN sexagesimal-looking values and timestamps WHEN kpt runs meshjob-krm THEN the ConfigMap comes back as the identity function leaves it and the Job keeps every value\'s meaning', () => {
    const installed = installedPackage();
    const files: Record<string, string> = {
      'schedule.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: schedule\ndata:\n  backupAt: 1:20\n  since: 2001-12-14t21:59:43.10-05:00\n  mode: 0644\n',
      'job.yaml': job('timed', '      - name: main\n        image: x\n        command: [/app]\n        env:\n        - name: AT\n          value: 1:30\n        - name: SINCE\n          value: 2001-12-14t21:59:43.10-05:00\n'),
    };
    const run = (folder: string, fn: string) => {
      const dir = join(installed.project, folder);
      mkdirSync(dir);
      for (const [f, t] of Object.entries(files)) writeFileSync(join(dir, f), t);
      const r = spawnSync('kpt', ['fn', 'eval', dir, '--exec', fn, '--', 'mesh=istio'], { cwd: installed.project, env: cleanEnv(installed), encoding: 'utf-8' });
      expect(r.status).toBe(0);
      return Object.fromEntries(Object.keys(files).map((f) => [f, readFileSync(join(dir, f), 'utf-8')]));
    };
    writeFileSync(join(installed.project, 'identity'), '#!/bin/sh\nexec cat\n', { mode: 0o755 });
    const identity = run('identity-out', join(installed.project, 'identity'));
    const ours = run('meshjob-out', join(installed.pkg, 'kustomize-plugin', 'meshjob-krm'));
    expect(ours['schedule.yaml']).toBe(identity['schedule.yaml']);
    const [before, after] = kubectlRead([identity['job.yaml'], ours['job.yaml']]) as Array<{ objects: any[] }>;
    expect(after.objects[0].spec.template.spec.containers[0].env).toEqual(before.objects[0].spec.template.spec.containers[0].env);
    expect(after.objects[0].spec.template.spec.containers[0].env).toEqual([{ name: 'AT', value: '1:30' }, { name: 'SINCE', value: '2001-12-14t21:59:43.10-05:00' }]);
    expect(after.objects[0].spec.template.spec.containers[0].command[0]).toBe('/meshjob/bin/busybox');
  });

  // kpt copies each input value's comment onto the function's value, and kyaml writes a comment on
  // a block list after the list, before the next key's anchor or tag: unreadable YAML. A value
  // with a comment after it on its key's line stays on that line (flow style) when it becomes a list.
  test('GIVEN values with a comment after them on their key\'s line that MeshJob turns into lists, before anchored and tagged values, one of them beside a merge key WHEN kpt runs meshjob-krm THEN kubectl reads what kpt writes back as the identity run with MeshJob\'s fields', () => {
    const document = job('commented', [
      '      - name: main',
      '        image: x',
      '        command: [/app, --once] # the entry point',
      '        volumeMounts: ~ # none yet',
      '        env: &env0',
      '        - {name: A, value: "1"}',
      '        ports: !!seq',
      '        - containerPort: 8080',
      '      - <<: {name: base, image: y, command: [/base]}',
      '        command: [/side] # the side command',
      '        env: &env1',
      '        - {name: B, value: "2"}',
      '      volumes: null # none yet',
      '      tolerations: &tolerations',
      '      - {key: k, operator: Exists}',
      '',
    ].join('\n'));
    expect(kubectlRead([document])[0]).toEqual({ objects: [expect.objectContaining({ kind: 'Job' })] });
    const r = kptRoute(installedPackage(), [document], OPTIONS);
    expect(r.leftOut).toEqual([]);
    expect(r.mismatches).toEqual([]);
    expect(r.outputs[0]).toContain('command: [/meshjob/bin/busybox, sh, -c, ');
    expect(r.outputs[0]).toContain('# the entry point');
  });
});
