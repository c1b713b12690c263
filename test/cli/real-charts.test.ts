import { spawnSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { unexpectedChanges } from './meshjob-fields';
import { readYaml11 } from './pyyaml';
import { runMeshjob } from './run';
import { meshjobExecutable, runPostRenderer } from '../support/cli';
import { podMetadataOf, validateManifest } from '../support/schema';
import { cleanup } from '../support/wrapper-harness';

// Real public manifests (test/fixtures/charts/README.md) through `meshjob`, checked with PyYAML.

const CHARTS = join(__dirname, '..', 'fixtures', 'charts');
const chart = (name: string) => readFileSync(join(CHARTS, name), 'utf-8');
/** A stream's documents with their exact text, split where a line starts with `---`. */
const segments = (yaml: string) => yaml.split(/(?=^---(?:[ \t\r]|$))/m);
const CERTGEN = '--entrypoint=registry.k8s.io/ingress-nginx/kube-webhook-certgen=/kube-webhook-certgen';

afterEach(cleanup);

/** Runs meshjob and checks the stream: byte-identical or changed only in MeshJob's fields. */
async function transform(input: string, args: string[]) {
  const r = await runMeshjob(args, input);
  expect(r.stderr).not.toMatch(/Error|undefined|\[object/);
  expect(r.code).toBe(0);
  const before = segments(input);
  const after = segments(r.stdout);
  expect(after).toHaveLength(before.length);
  const changed: any[] = [];
  before.forEach((text, i) => {
    if (after[i] === text) return;
    const [was] = readYaml11(text);
    const [now] = readYaml11(after[i]);
    expect({ kind: now.kind, unexpected: unexpectedChanges(was, now) }).toEqual({ kind: was.kind, unexpected: [] });
    expect(['Job', 'CronJob', 'List']).toContain(now.kind);
    validateManifest(now);
    changed.push(now);
  });
  return { ...r, changed };
}

describe('real third-party manifests through meshjob', () => {
  test('GIVEN ingress-nginx with the certgen entrypoint WHEN post-rendered for Istio THEN both admission Jobs are wrapped and the 17 other documents are byte-identical', async () => {
    const r = await transform(chart('ingress-nginx-cloud.yaml'), ['--mesh', 'istio', CERTGEN]);
    expect(r.changed.map((j) => j.metadata.name)).toEqual(['ingress-nginx-admission-create', 'ingress-nginx-admission-patch']);
    for (const job of r.changed) {
      expect(job.spec.template.spec.containers[0].command.slice(-1)).toEqual(['/kube-webhook-certgen']);
      expect(job.spec.template.spec.containers[0].args[0]).toBe('create'.startsWith(job.metadata.name.split('-').pop()) ? 'create' : job.spec.template.spec.containers[0].args[0]);
      expect(job.metadata.annotations['meshjob/result']).toMatch(/^wrap lifecycle applied/);
    }
  });

  test('GIVEN ingress-nginx without an entrypoint WHEN post-rendered THEN exit 0, the args-only Jobs are left unchanged but for meshjob/result, one stderr line each names the document and the fixes', async () => {
    const r = await transform(chart('ingress-nginx-cloud.yaml'), ['--mesh', 'istio']);
    expect(r.changed.map((j) => j.metadata.annotations['meshjob/result'])).toEqual([
      expect.stringMatching(/^left alone, and it may hang: .*'create'.*--entrypoint/),
      expect.stringMatching(/^left alone, and it may hang: .*'patch'.*--entrypoint/),
    ]);
    expect(r.changed.map((j) => j.spec.template.spec.containers[0].command)).toEqual([undefined, undefined]);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^meshjob: document 16 \(Job ingress-nginx\/ingress-nginx-admission-create\): left alone, and it may hang: /),
      expect.stringMatching(/^meshjob: document 17 \(Job ingress-nginx\/ingress-nginx-admission-patch\): left alone, and it may hang: /),
    ]);
  });

  test('GIVEN ingress-nginx without an entrypoint WHEN checked THEN --check exits 1 naming both Jobs', async () => {
    const r = await runMeshjob(['--check', '--mesh', 'istio'], chart('ingress-nginx-cloud.yaml'));
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n').map((l) => l.split(' would hang')[0])).toEqual([
      'Job ingress-nginx/ingress-nginx-admission-create', 'Job ingress-nginx/ingress-nginx-admission-patch',
    ]);
  });

  test('fails GIVEN ingress-nginx without an entrypoint WHEN --strict THEN exit 1 and nothing on stdout', async () => {
    const r = await runMeshjob(['--strict', '--mesh', 'istio'], chart('ingress-nginx-cloud.yaml'));
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/^meshjob: document 16: Job ingress-nginx\/ingress-nginx-admission-create .*command/m);
  });

  test('GIVEN Knative\'s post-install Jobs, which opt out with sidecar.istio.io/inject: "false" WHEN post-rendered for Istio THEN the stream comes out byte for byte', async () => {
    const input = chart('knative-serving-post-install.yaml');
    const r = await transform(input, ['--mesh', 'istio']);
    expect(r.stdout).toBe(input);
    expect(await runMeshjob(['--check', '--mesh', 'istio'], input)).toMatchObject({ code: 0, stdout: '' });
  });

  test('GIVEN kube-bench\'s Job with a flow-style command WHEN post-rendered natively (Istio 1.27, Kubernetes 1.33) THEN only MeshJob\'s fields change', async () => {
    const r = await transform(chart('kube-bench-job.yaml'), ['--mesh', 'istio', '--mesh-version', '1.27', '--kubernetes-version', '1.33']);
    expect(r.changed).toHaveLength(1);
    expect(podMetadataOf(r.changed[0]).annotations['sidecar.istio.io/nativeSidecar']).toBe('true');
    expect(r.changed[0].spec.template.spec.containers[0].command).toEqual(['kube-bench']);
  });

  test('GIVEN descheduler\'s kustomize output WHEN post-rendered for Linkerd THEN the CronJob is wrapped and RBAC and the ConfigMap are byte-identical', async () => {
    const r = await transform(chart('descheduler-cronjob.yaml'), ['--mesh', 'linkerd']);
    expect(r.changed.map((j) => `${j.kind} ${j.metadata.name}`)).toEqual(['CronJob descheduler-cronjob']);
    const container = r.changed[0].spec.jobTemplate.spec.template.spec.containers[0];
    expect(container.command.slice(-1)).toEqual(['/bin/descheduler']);
    expect(container.args).toEqual(['--policy-config-file', '/policy-dir/policy.yaml', '--v', '3']);
  });

  test('GIVEN a wrapped chart WHEN post-rendered again THEN nothing changes', async () => {
    const once = (await runMeshjob(['--mesh', 'istio', CERTGEN], chart('ingress-nginx-cloud.yaml'))).stdout;
    expect(await runMeshjob(['--mesh', 'istio', CERTGEN], once)).toMatchObject({ code: 0, stdout: once });
  });

  test('GIVEN ingress-nginx WHEN meshjob runs as Helm 3 runs a --post-renderer (an executable, stdin to stdout) THEN exit 0 and the same stream as in-process', async () => {
    const input = chart('ingress-nginx-cloud.yaml');
    const r = runPostRenderer(meshjobExecutable(), ['--mesh', 'istio', CERTGEN], input);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe((await runMeshjob(['--mesh', 'istio', CERTGEN], input)).stdout);
  });

  test('GIVEN a 1 MB stream that stdin delivers in many chunks WHEN run as a process THEN the output equals the in-process one, document for document', async () => {
    const input = Array.from({ length: 64 }, () => chart('ingress-nginx-cloud.yaml')).join('---\n');
    // runPostRenderer's spawnSync keeps 1 MiB of stdout; this output is larger.
    const r = spawnSync(meshjobExecutable(), ['--mesh', 'istio', CERTGEN], { input, encoding: 'utf-8', maxBuffer: 64 * 1024 * 1024 });
    expect(r.status).toBe(0);
    expect(segments(r.stdout)).toHaveLength(segments(input).length);
    expect(r.stdout).toBe((await runMeshjob(['--mesh', 'istio', CERTGEN], input)).stdout);
  });
});
