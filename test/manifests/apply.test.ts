import { Mesh } from '../../src';
import { applyToManifest } from '../../src/manifests/apply';
import { expandKubelet } from '../support/kubelet';
import { validateManifest } from '../support/schema';

/** A chart's Job as plain JSON, e.g. an admission-webhook Job that relies on the image's entrypoint. */
function chartJob(pod: Record<string, unknown> = {}, template: Record<string, unknown> = {}): any {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'admission-create', namespace: 'ingress' },
    spec: {
      template: {
        ...template,
        spec: {
          restartPolicy: 'OnFailure',
          containers: [{ name: 'create', image: 'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.1@sha256:' + 'a'.repeat(64), args: ['create'] }],
          ...pod,
        },
      },
    },
  };
}

describe('applyToManifest on a chart\'s Job', () => {
  test('leaves a Job whose container has no command unchanged, naming the container and the fixes', () => {
    const job = chartJob();
    const before = JSON.stringify(job);
    const r = applyToManifest(job, { mesh: Mesh.istio() });
    expect(r.outcome).toBe('left-unchanged');
    // The image is named, and the flag is ready to edit: the reference without tag and digest, which matches every tag.
    expect(r.problem).toMatch(/^container 'create' \(image registry.k8s.io\/ingress-nginx\/kube-webhook-certgen:v1.4.1@sha256:a+\) has no command, and wrapping needs the image's entrypoint: give it with --entrypoint registry.k8s.io\/ingress-nginx\/kube-webhook-certgen=<PATH>/);
    expect(JSON.stringify(job)).toBe(before);
  });

  test('fails such a Job with strict, as MeshJob does', () => {
    expect(() => applyToManifest(chartJob(), { mesh: Mesh.istio(), strict: true }))
      .toThrow(/^Job ingress\/admission-create cannot be wrapped: container 'create' .* has no command, and wrapping needs the image's entrypoint: give it with --entrypoint /);
  });

  test('wraps it with the entrypoint given for its image, matched without digest and tag', () => {
    const job = chartJob();
    const r = applyToManifest(job, { mesh: Mesh.istio(), entrypoints: { 'registry.k8s.io/ingress-nginx/kube-webhook-certgen': ['/kube-webhook-certgen'] } });
    expect(r.outcome).toBe('applied');
    const c = job.spec.template.spec.containers[0];
    expect(c.command.slice(-1)).toEqual(['/kube-webhook-certgen']);
    expect(c.args).toEqual(['create']);
    expect(() => validateManifest(job)).not.toThrow();
  });

  test('needs no entrypoint where native sidecars are used', () => {
    const job = chartJob();
    const r = applyToManifest(job, { mesh: Mesh.istio({ version: '1.24' }), kubernetesVersion: '1.33' });
    expect(r).toMatchObject({ outcome: 'applied', mode: 'native' });
    expect(job.spec.template.spec.containers[0].command).toBeUndefined();
  });

  test.each([
    ['istio label', Mesh.istio(), { labels: { 'sidecar.istio.io/inject': 'false' } }],
    ['istio annotation', Mesh.istio(), { annotations: { 'sidecar.istio.io/inject': 'false' } }],
    ['linkerd', Mesh.linkerd(), { annotations: { 'linkerd.io/inject': 'disabled' } }],
    ['consul', Mesh.consul(), { annotations: { 'consul.hashicorp.com/connect-inject': 'false' } }],
    ['kuma', Mesh.kuma(), { labels: { 'kuma.io/sidecar-injection': 'disabled' } }],
  ])('leaves alone a pod that opts out of injection (%s)', (_name, mesh, metadata) => {
    const job = chartJob({ containers: [{ name: 'c', image: 'x', command: ['/x'] }] }, { metadata });
    const before = JSON.stringify(job);
    const r = applyToManifest(job, { mesh });
    expect(r.outcome).toBe('opted-out');
    expect(r.problem).toMatch(/opts out of the mesh/);
    expect(JSON.stringify(job)).toBe(before);
  });

  test('stops a chart\'s own sidecar container instead of waiting for it as a main container', () => {
    const job = chartJob({
      containers: [
        { name: 'backup', image: 'b', command: ['/backup'] },
        { name: 'logs', image: 'fluent/fluent-bit:3.1', command: ['/fluent-bit/bin/fluent-bit'] },
      ],
    });
    const r = applyToManifest(job, { mesh: Mesh.istio(), sidecarContainers: ['logs'] });
    expect(r.outcome).toBe('applied');
    const [backup, logs] = job.spec.template.spec.containers.map((c: any) => c.command.join(' '));
    expect(backup).toContain('MESHJOB_SIDECARS=logs');
    expect(logs).toContain('MESHJOB_ROLE=sidecar');
    expect(() => validateManifest(job)).not.toThrow();
  });

  test('keeps the chart\'s own podFailurePolicy', () => {
    const policy = { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] };
    const job = chartJob({ restartPolicy: 'Never', containers: [{ name: 'c', image: 'x', command: ['/x'] }] });
    job.spec.podFailurePolicy = policy;
    applyToManifest(job, { mesh: Mesh.istio(), kubernetesVersion: '1.30' });
    expect(job.spec.podFailurePolicy).toEqual(policy);
  });

  test('fails when every container is named as a sidecar, naming the option', () => {
    const job = chartJob({ containers: [{ name: 'logs', image: 'x', command: ['/x'] }] });
    expect(() => applyToManifest(job, { mesh: Mesh.istio(), sidecarContainers: ['logs'] }))
      .toThrow('Job ingress/admission-create: every container is named as a sidecar (logs): leave at least one main container out of the sidecars');
  });

  test('escapes an entrypoint for the kubelet, and warns when the container has no args to stand for the image\'s CMD', () => {
    const job = chartJob({ containers: [{ name: 'm', image: 'registry.example.com/migrate:1' }] });
    const r = applyToManifest(job, { mesh: Mesh.istio(), entrypoints: { 'registry.example.com/migrate': ['/entry.sh', 'price=$(AMOUNT)$$'] } });
    // What the kubelet hands the program: the entrypoint as written, even with AMOUNT in the env.
    const command: string[] = job.spec.template.spec.containers[0].command;
    expect(command.slice(-2).map((a) => expandKubelet(a, { AMOUNT: '5' }))).toEqual(['/entry.sh', 'price=$(AMOUNT)$$']);
    expect(r.warnings).toContainEqual(expect.stringMatching(/^container 'm' runs the entrypoint given for its image with no args: the image's CMD is not added/));
  });
});
