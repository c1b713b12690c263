import { writeFileSync } from 'fs';
import { join } from 'path';
import { parse, stringify } from 'yaml';
import { chartDocument, expectMeshSafe, objectsOf } from './support/manifests';
import { kubectlRead } from '../cli/kubectl';
import { runMeshjob } from '../cli/run';
import { podSpecOf } from '../support/schema';
import { cleanup, tempDir } from '../support/wrapper-harness';

// `meshjob krm` in process: the ResourceList contract (kubernetes-sigs/kustomize
// cmd/config/docs/api-conventions/functions-spec.md). kustomize.test.ts runs it under kpt and kubectl.

afterEach(cleanup);

const MIGRATE = parse(chartDocument('Job', 'shop-migrate'));
const BACKUP = parse(chartDocument('CronJob', 'shop-backup'));
const DEPLOYMENT = parse(chartDocument('Deployment', 'shop'));
const withAnnotation = (obj: any, key: string, value: string) => ({
  ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, [key]: value } },
});

function resourceList(items: any[], functionConfig: any = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'meshjob' }, data: { mesh: 'istio' } }): string {
  return stringify({ apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items, functionConfig });
}

async function krm(stdin: string) {
  const r = await runMeshjob(['krm'], stdin);
  return { ...r, list: r.stdout ? parse(r.stdout, { version: '1.1' }) : undefined };
}

describe('meshjob krm: a KRM function', () => {
  test('GIVEN a ResourceList WHEN its functionConfig names a mesh THEN the Jobs and CronJobs are mesh-safe and every other item unchanged', async () => {
    const r = await krm(resourceList([DEPLOYMENT, MIGRATE, BACKUP]));
    expect(r.code).toBe(0);
    expectMeshSafe(r.list.items);
    expect(r.list.items[0]).toEqual(DEPLOYMENT);
  });

  test('says in an info result, per Job, which lifecycle it got or why it was left alone', async () => {
    const skipped = withAnnotation(MIGRATE, 'meshjob/skip', 'true');
    const handled = (await krm(resourceList([BACKUP]))).list.items[0];
    const optedOut = { ...MIGRATE, metadata: { name: 'no-mesh' }, spec: { ...MIGRATE.spec, template: { ...MIGRATE.spec.template, metadata: { labels: { 'sidecar.istio.io/inject': 'false' } } } } };
    const r = await krm(resourceList([skipped, handled, optedOut, { ...BACKUP, metadata: { name: 'nightly' } }]));
    expect(r.list.results.filter((x: any) => x.severity === 'info').map((x: any) => [x.resourceRef.name, x.message])).toEqual([
      ['shop-migrate', 'left alone: annotated meshjob/skip: "true"'],
      ['shop-backup', 'left alone: MeshJob already applied the wrap lifecycle to it'],
      ['no-mesh', 'left alone: pod label sidecar.istio.io/inject="false" opts out of the mesh'],
      ['nightly', expect.stringMatching(/^wrap lifecycle applied \(.+\)$/)],
    ]);
  });

  test('gives each warning as a warning result on the object, with the file kpt read it from', async () => {
    const backup = withAnnotation(BACKUP, 'internal.config.kubernetes.io/path', 'deploy/backup.yaml');
    const r = await krm(resourceList([backup]));
    expect(r.list.results).toContainEqual({
      resourceRef: { apiVersion: 'batch/v1', kind: 'CronJob', name: 'shop-backup' },
      file: { path: 'deploy/backup.yaml' },
      message: expect.stringMatching(/^restartPolicy OnFailure became Never/),
      severity: 'warning',
    });
  });

  test('reads a ConfigMap\'s string values as the command line reads its flags', async () => {
    const config = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm' }, data: { mesh: 'istio', readyTimeoutSeconds: '30', defaultPodFailureRules: 'false' } };
    const job = (await krm(resourceList([MIGRATE], config))).list.items[0];
    const flags = ['--mesh', 'istio', '--ready-timeout-seconds', '30', '--default-pod-failure-rules', 'false'];
    expect(job).toEqual(objectsOf((await runMeshjob(flags, chartDocument('Job', 'shop-migrate'))).stdout)[0]);
    expect(podSpecOf(job).containers[0]).not.toEqual(podSpecOf((await krm(resourceList([MIGRATE]))).list.items[0]).containers[0]);
    expect(job.spec.podFailurePolicy).toBeUndefined();
  });

  test('reads a MeshJobTransformer\'s keys as the config file\'s', async () => {
    const config = { apiVersion: 'meshjob/v1alpha1', kind: 'MeshJobTransformer', metadata: { name: 'm' }, mesh: 'linkerd' };
    expectMeshSafe((await krm(resourceList([MIGRATE], config))).list.items, { key: 'linkerd.io/inject', value: 'enabled' });
  });

  test('keeps what it does not change as it was written: YAML 1.1 octal, quoting and comments', async () => {
    const configMap = [
      'apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: scripts # used by the backup',
      'data:', '  mode: "0644"', '  enabled: "on"',
    ].join('\n');
    const secretVolume = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: [{name: c, image: i}]\n  volumes:\n    - name: s\n      secret: {secretName: s, defaultMode: 0644}';
    const stdin = `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n${[configMap, secretVolume].map((d) => d.replace(/^/gm, '    ').replace(/^ {4}/, '  - ')).join('\n')}\nfunctionConfig: {apiVersion: v1, kind: ConfigMap, metadata: {name: m}, data: {mesh: istio}}\n`;
    const r = await krm(stdin);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('name: scripts # used by the backup');
    expect(r.stdout).toContain('mode: "0644"');
    expect(r.stdout).toContain('enabled: "on"');
    expect(r.list.items[1].spec.volumes[0].secret.defaultMode).toBe(0o644);
  });

  // Each item is edited on its own: one that cannot be edited in place is written anew alone,
  // and no other item is written anew with it (a value in it might not be writable: a number
  // beyond int64, which kubectl reads as a float and JavaScript cannot write back as written).
  test('GIVEN an item it cannot edit in place (an explicit key) and one holding a number beyond int64 WHEN transformed THEN the first is written anew alone and the second keeps its number and comment as written', async () => {
    const job = (name: string, fields: string[]) => [
      '  - apiVersion: batch/v1', '    kind: Job', `    metadata: {name: ${name}}`, '    spec:', '      template:', '        spec:',
      '          restartPolicy: Never', '          containers:', '          - name: main', '            image: registry.example.com/app:1',
      ...fields.map((f) => `            ${f}`),
    ].join('\n');
    const stdin = [
      'apiVersion: config.kubernetes.io/v1', 'kind: ResourceList', 'items:',
      job('explicit-key', ['command: [/app]', '? volumeMounts', ': ~']),
      job('big-number', ['command: [/app] # the entry point', 'x-extra: [92233720368547758089223372036854775807]']),
      'functionConfig: {apiVersion: v1, kind: ConfigMap, metadata: {name: m}, data: {mesh: istio}}', '',
    ].join('\n');
    const r = await krm(stdin);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('? volumeMounts');
    expect(r.stdout).toContain('x-extra: [92233720368547758089223372036854775807]');
    expect(r.stdout).toContain('] # the entry point');
    const [before, after] = kubectlRead([stdin, r.stdout]) as Array<{ objects: any[] }>;
    expect(after.objects.map((o) => o.spec.template.spec.containers[0].command.slice(-1))).toEqual([['/app'], ['/app']]);
    expect(after.objects.map((o) => podSpecOf(o).containers[0].command[0])).toEqual(['/meshjob/bin/busybox', '/meshjob/bin/busybox']);
    expect(after.objects[1].spec.template.spec.containers[0]['x-extra']).toEqual(before.objects[1].spec.template.spec.containers[0]['x-extra']);
  });

  test('fails with exit 1 and an error result when the functionConfig names no mesh', async () => {
    const r = await krm(resourceList([MIGRATE], { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm' }, data: {} }));
    expect(r.code).toBe(1);
    expect(r.list.results).toEqual([{ message: expect.stringMatching(/^functionConfig sets no mesh: give one of istio, /), severity: 'error' }]);
    expect(r.list.items[0]).toEqual(MIGRATE);
  });

  test('fails with an error result on a Job that is not a valid Job, and goes on with the others', async () => {
    const malformed = { ...MIGRATE, spec: { template: { spec: { restartPolicy: 'Never', containers: { name: 'm', image: 'i' } } } } };
    const r = await krm(resourceList([malformed, BACKUP]));
    expect(r.code).toBe(1);
    expect(r.list.results.filter((x: any) => x.severity === 'error')).toEqual([{
      resourceRef: { apiVersion: 'batch/v1', kind: 'Job', name: 'shop-migrate' },
      message: expect.stringMatching(/^Job shop-migrate: .*it is not a valid Job$/),
      severity: 'error',
    }]);
    expectMeshSafe([r.list.items[1]]);
  });

  test('warns, saying why, about a Job it had to leave as it was', async () => {
    const noCommand = { ...MIGRATE, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'registry.example.com/m:1' }] } } } };
    const config = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm' }, data: { mesh: 'istio', lifecycle: 'wrap' } };
    const r = await krm(resourceList([noCommand], config));
    expect(r.code).toBe(0);
    // Left as it was, but for the annotation that says why (as the command line writes it).
    const { 'meshjob/result': result, ...annotations } = r.list.items[0].metadata.annotations;
    expect({ ...r.list.items[0], metadata: { ...r.list.items[0].metadata, annotations } }).toEqual(noCommand);
    expect(result).toMatch(/^left alone, and it may hang: container 'm' \(image registry.example.com\/m:1\) has no command, and wrapping needs the image's entrypoint: give it with --entrypoint registry.example.com\/m=<PATH>/);
    expect(r.list.results).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/^left alone, and it may hang: container 'm' \(image registry.example.com\/m:1\) has no command, and wrapping needs the image's entrypoint: give it with --entrypoint registry.example.com\/m=<PATH>/) })]);
  });

  test('fails with one line when stdin is not a ResourceList', async () => {
    expect(await runMeshjob(['krm'], chartDocument('Job', 'shop-migrate'))).toEqual({
      code: 1, stdout: '', stderr: expect.stringMatching(/^meshjob: stdin is not a ResourceList: expected apiVersion config.kubernetes.io\/v1, kind ResourceList; run `meshjob` without "krm" for a plain YAML stream\n$/),
    });
  });

  test('fails with one line naming the value when items or a ConfigMap\'s data is not what it must be', async () => {
    expect(await runMeshjob(['krm'], 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: {a: 1}\n')).toEqual({
      code: 1, stdout: '', stderr: 'meshjob: the ResourceList\'s items {"a":1} is not a list: give the resources as a YAML sequence under items\n',
    });
    const r = await krm(resourceList([], { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm' }, data: ['istio'] }));
    expect(r.code).toBe(1);
    expect(r.list.results).toEqual([{ message: 'functionConfig: data ["istio"] is not a map: give each option as key: "value" under data', severity: 'error' }]);
  });

  test('fails with one line when given an option', async () => {
    expect(await runMeshjob(['krm', '--mesh', 'istio'], '')).toMatchObject({ code: 1, stderr: expect.stringMatching(/^meshjob: krm takes no options .*\n$/) });
  });
});

describe('meshjob krm CONFIG: kustomize\'s legacy exec transformer', () => {
  test('GIVEN a MeshJobTransformer file and a stream WHEN run as kustomize runs the plugin THEN the stream comes back as the command line writes it', async () => {
    const config = join(tempDir(), 'kust-plugin-config-1');
    writeFileSync(config, 'apiVersion: meshjob/v1alpha1\nkind: MeshJobTransformer\nmetadata:\n  name: meshjob\nmesh: istio\nkubernetesVersion: "1.30"\n');
    const stream = chartDocument('Job', 'shop-migrate');
    const r = await runMeshjob(['krm', config], stream);
    expect(r).toEqual(await runMeshjob(['--mesh=istio', '--kubernetes-version=1.30'], stream));
    expectMeshSafe(objectsOf(r.stdout));
  });

  test('fails naming the config file when it cannot be read', async () => {
    expect(await runMeshjob(['krm', '/nonexistent/kust-plugin-config'], '')).toMatchObject({
      code: 1, stdout: '', stderr: expect.stringMatching(/^meshjob: cannot read the kustomize plugin config \/nonexistent\/kust-plugin-config: /),
    });
  });
});
