import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { runMeshjob } from './run';
import { toManifestLifecycle } from '../../src/cli/options';
import { StreamTransformer } from '../../src/cli/post-render';
import { meshjobExecutable, runPostRenderer } from '../support/cli';
import { podMetadataOf, podSpecOf, validateManifest } from '../support/schema';
import { cleanup, tempDir } from '../support/wrapper-harness';

// The meshjob command: empty input, bad input, selection, opt-outs, messages.

const CHART = readFileSync(join(__dirname, '..', 'fixtures', 'helm', 'app-chart.yaml'), 'utf-8');
const render = (args: string[], input: string | Buffer = CHART, env: NodeJS.ProcessEnv = {}) => runMeshjob(['--mesh', 'istio', ...args], input, { env });
const docs = (yaml: string) => parseAllDocuments(yaml, { version: '1.1' }).map((d) => d.toJS());
const jobs = (yaml: string) => docs(yaml).flatMap((d) => (d?.kind === 'List' ? d.items : [d])).filter((d) => d?.kind === 'Job' || d?.kind === 'CronJob');
const wrapped = (job: any) => podMetadataOf(job)?.annotations?.['meshjob/lifecycle'] !== undefined;
const job = (name: string, meta = '', podMeta = '', containers = '      - {name: main, image: registry.example.com/app:1, command: [/app]}\n') => `---
apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
  namespace: prod
${meta}spec:
  template:
    metadata:
      labels: {app: shop}
${podMeta}    spec:
      restartPolicy: Never
      containers:
${containers}`;

afterEach(cleanup);

describe('empty input', () => {
  test.each([['nothing', ''], ['blank lines', '\n\n'], ['a marker and CRLF blank lines', '---\r\n\r\n'], ['only comments', '# Source: chart/templates/hooks-only.yaml\n---\n']])(
    'GIVEN %s on stdin WHEN post-rendered THEN the same bytes come out and the exit code is 0', async (_, input) => {
      expect(await render([], input)).toEqual({ code: 0, stdout: input, stderr: '' });
    });

  test('GIVEN empty input WHEN checked THEN "nothing to check" and exit 0', async () => {
    expect(await render(['--check'], '')).toEqual({ code: 0, stdout: '', stderr: 'meshjob: nothing to check: no YAML documents on stdin\n' });
  });

  test('fails GIVEN empty input WHEN --strict THEN exit 1', async () => {
    expect(await render(['--strict'], '')).toEqual({ code: 1, stdout: '', stderr: 'meshjob: no YAML documents on stdin (--strict)\n' });
  });
});

describe('bad input: exit 1, one line per problem naming the document, nothing on stdout', () => {
  test('fails on invalid UTF-8, naming the document and the byte', async () => {
    const input = Buffer.concat([Buffer.from('apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: ConfigMap\ndata: {a: "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
    expect(await render([], input)).toEqual({ code: 1, stdout: '', stderr: 'meshjob: document 2: invalid UTF-8 at byte 77 of the stream (line 4 of the document): YAML must be UTF-8; re-encode the input\n' });
  });

  test('fails on invalid YAML in a Job, naming the document, its kind and name, the line and column', async () => {
    const r = await render([], `${job('ok')}${job('broken').replace('restartPolicy: Never', 'restartPolicy: [Never')}`);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/^meshjob: document 2 \(Job broken\): invalid YAML: .+ \(line \d+, column \d+\)\n/);
  });

  test('fails on an alias bomb with one line, not a crash', async () => {
    const bomb = 'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nkind: Job\n';
    const r = await render([], bomb);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^meshjob: document 1 \(Job\): .*alias/i)]);
  });

  test('fails on a Job whose containers are not a list, with one line per broken Job and none for the good ones', async () => {
    const broken = (name: string) => job(name, '', '', '        oops: true\n').replace('      containers:\n', '      containers:\n');
    const r = await render([], `${broken('one')}${job('good')}${broken('two')}`);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^meshjob: document 1: Job prod\/one: .*containers/),
      expect.stringMatching(/^meshjob: document 3: Job prod\/two: .*containers/),
    ]);
    expect(r.stderr).not.toMatch(/TypeError|is not a function|undefined/);
  });

  test.each([
    ['an env name that reads as a number', 'env: [{name: 1, value: x}]'],
    ['a mount path that reads as a number', 'volumeMounts: [{name: v, mountPath: 5}]'],
  ])('fails on %s with one line naming the document, never JavaScript\'s words', async (_, field) => {
    const r = await render([], job('typed', '', '', `      - {name: main, image: x, command: [/app], ${field}}\n`));
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/^meshjob: document 1:? .*Job prod\/typed.*\n$/);
    expect(r.stderr).not.toMatch(/is not a function|TypeError|undefined/);
  });

  test('fails on a bad selector, saying the syntax', async () => {
    expect((await render(['--select', 'kind'])).stderr).toBe(
      'meshjob: --select "kind": term "kind" is not FIELD=VALUE; use kind=, namespace=, name= or label:KEY[=VALUE], e.g. kind=CronJob,namespace=prod,label:app=shop\n');
  });

  test('fails on a bad --entrypoint, saying the syntax', async () => {
    const r = await render(['--entrypoint', 'busybox']);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/^meshjob: --entrypoint "busybox" is not IMAGE=PATH\[,ARG\.\.\.\]/);
  });

  test('fails on config keys of the wrong type, one line each', async () => {
    const config = join(tempDir(), 'meshjob.yaml');
    writeFileSync(config, 'mesh: istio\nentrypoints: {busybox: /bin/sh}\nsidecars: cloud-sql-proxy\nstrict: "yes"\n');
    expect((await runMeshjob(['--config', config], CHART)).stderr.trim().split('\n')).toEqual([
      `meshjob: ${config}: option "entrypoints" must be a map of image reference to the entrypoint as a list of strings, not {"busybox":"/bin/sh"}`,
      `meshjob: ${config}: option "sidecars" must be a list of strings, not "cloud-sql-proxy"`,
      `meshjob: ${config}: option "strict" must be true or false, not "yes"`,
    ]);
  });

  test('fails GIVEN a refused stream WHEN run as Helm runs a post-renderer THEN nothing at all reaches stdout, though earlier documents were fine', async () => {
    const input = `${job('first')}${'---\napiVersion: v1\nkind: ConfigMap\ndata: {big: "' + 'x'.repeat(200_000) + '"}\n'}${job('last').replace('restartPolicy: Never', 'restartPolicy: [')}`;
    const r = runPostRenderer(meshjobExecutable(), ['--mesh', 'istio'], input);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/^meshjob: document 3 \(Job last\): invalid YAML/);
  });
});

describe('selection', () => {
  const STREAM = `${job('backup')}${job('migrate')}${job('report', '  labels: {team: data}\n')}`.replace('namespace: prod\n', 'namespace: staging\n');

  test('GIVEN --select name=migrate WHEN post-rendered THEN only that Job changes and the others are byte for byte the same', async () => {
    const r = await render(['--select', 'name=migrate'], STREAM);
    expect(jobs(r.stdout).map(wrapped)).toEqual([false, true, false]);
    expect(r.stdout.startsWith(job('backup').replace('namespace: prod\n', 'namespace: staging\n'))).toBe(true);
  });

  test('GIVEN two --select flags WHEN post-rendered THEN a Job matching either is changed', async () => {
    expect(jobs((await render(['--select', 'namespace=staging', '--select', 'label:team=data'], STREAM)).stdout).map(wrapped)).toEqual([true, false, true]);
  });

  test('GIVEN terms joined by commas WHEN post-rendered THEN a Job must match all of them', async () => {
    expect(jobs((await render(['--select', 'kind=Job,namespace=prod,name=*e*'], STREAM)).stdout).map(wrapped)).toEqual([false, true, true]);
    expect(jobs((await render(['--select', 'kind=Job,namespace=prod,name=*e*,label:team=data'], STREAM)).stdout).map(wrapped)).toEqual([false, false, true]);
  });

  test('GIVEN --exclude WHEN post-rendered THEN matching Jobs are left alone', async () => {
    expect(jobs((await render(['--exclude', 'label:team'], STREAM)).stdout).map(wrapped)).toEqual([true, true, false]);
  });
});

describe('messages a Helm 4 user can see', () => {
  test('GIVEN a changed Job WHEN post-rendered THEN its own metadata says what MeshJob did in meshjob/result', async () => {
    const [migrate] = jobs((await render([])).stdout);
    expect(migrate.metadata.annotations['meshjob/result']).toBe('wrap lifecycle applied (the Kubernetes version is unknown, and wrapping works on every version)');
    expect(podMetadataOf(migrate).annotations['meshjob/result']).toBeUndefined();
    validateManifest(migrate);
  });

  test('GIVEN MESHJOB_LOG WHEN meshjob writes to stderr THEN every line is appended to that file too', async () => {
    const log = join(tempDir(), 'meshjob.log');
    writeFileSync(log, 'earlier\n');
    const r = await render([], CHART, { MESHJOB_LOG: log });
    const bad = await render(['--select', 'kind'], CHART, { MESHJOB_LOG: log });
    expect(r.stderr).toMatch(/OnFailure became Never/);
    expect(readFileSync(log, 'utf-8')).toBe(`earlier\n${r.stderr}${bad.stderr}`);
  });
});

describe('the stream is processed document by document', () => {
  test('GIVEN documents pushed in small chunks WHEN each is complete THEN it is written before the next one arrives', async () => {
    let written = '';
    const t = new StreamTransformer({ lifecycle: toManifestLifecycle({ mesh: 'istio' }) }, (b) => { written += b.toString(); });
    const input = `${job('a')}${job('b')}${job('c')}`;
    /** How many Jobs were written whole (each one's result annotation is written) after each chunk. */
    const counts: number[] = [];
    for (let i = 0; i < input.length; i += 7) {
      t.push(Buffer.from(input.slice(i, i + 7)));
      counts.push((written.match(/meshjob\/result/g) ?? []).length);
    }
    t.end();
    expect(written.match(/^---$/gm)).toHaveLength(3);
    expect(counts[Math.floor(counts.length / 2)]).toBeGreaterThanOrEqual(1);
    expect(counts[counts.length - 1]).toBe(2);
  });
});

describe('opt-outs and a chart\'s own sidecars', () => {
  test.each([
    ['istio', 'label', 'sidecar.istio.io/inject', '"false"'],
    ['istio', 'annotation', 'sidecar.istio.io/inject', '"false"'],
    ['linkerd', 'annotation', 'linkerd.io/inject', 'disabled'],
    ['consul', 'annotation', 'consul.hashicorp.com/connect-inject', '"false"'],
    ['kuma', 'label', 'kuma.io/sidecar-injection', 'disabled'],
  ])('GIVEN a %s Job opted out with the %s %s: %s WHEN post-rendered THEN it is byte for byte the same and --check does not list it', async (mesh, where, key, value) => {
    const podMeta = where === 'label' ? '' : `      annotations: {${key}: ${value}}\n`;
    const input = job('opted-out', '', podMeta).replace('labels: {app: shop}', where === 'label' ? `labels: {app: shop, ${key}: ${value}}` : 'labels: {app: shop}');
    expect(await runMeshjob(['--mesh', mesh], input)).toMatchObject({ code: 0, stdout: input });
    expect(await runMeshjob(['--check', '--mesh', mesh], input)).toMatchObject({ code: 0, stdout: '' });
  });

  test('GIVEN --sidecar names a chart\'s own sidecar WHEN post-rendered THEN that container is stopped, not wrapped as a main container', async () => {
    const containers = '      - {name: main, image: registry.example.com/app:1, command: [/app]}\n      - {name: cloud-sql-proxy, image: gcr.io/cloud-sql-proxy:2, command: [/cloud-sql-proxy]}\n';
    const r = await render(['--sidecar', 'cloud-sql-proxy'], job('with-sidecar', '', '', containers));
    expect(r.code).toBe(0);
    const [wrappedJob] = jobs(r.stdout);
    const settings = (name: string) => podSpecOf(wrappedJob).containers.find((c: any) => c.name === name).command.find((a: string) => a.startsWith('MESHJOB_CONTAINER='));
    expect(settings('main')).toMatch(/ MESHJOB_PEERS=main .*MESHJOB_SIDECARS=cloud-sql-proxy /);
    expect(settings('cloud-sql-proxy')).toMatch(/ MESHJOB_ROLE=sidecar /);
  });

  test('GIVEN an entrypoint from the config file WHEN a container has only args THEN it is wrapped with that entrypoint', async () => {
    const config = join(tempDir(), 'meshjob.yaml');
    writeFileSync(config, 'mesh: istio\nentrypoints:\n  registry.example.com/certgen: [/certgen]\n');
    const input = job('args-only', '', '', '      - {name: create, image: "registry.example.com/certgen:v1@sha256:0123", args: [create]}\n');
    const [wrappedJob] = jobs((await runMeshjob(['--config', config], input)).stdout);
    expect(podSpecOf(wrappedJob).containers[0].command.slice(-1)).toEqual(['/certgen']);
    expect(podSpecOf(wrappedJob).containers[0].args).toEqual(['create']);
  });
});
