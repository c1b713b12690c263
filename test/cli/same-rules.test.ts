import { writeFileSync } from 'fs';
import { join } from 'path';
import { Include, Testing } from 'cdk8s';
import { runMeshjob } from './run';
import { Mesh, MeshJobs } from '../../src';
import { newChart } from '../support/render';
import { cleanup, tempDir } from '../support/wrapper-harness';

// The post-renderer and MeshJobs.applyTo() leave the same Jobs alone: one rule, two adapters.

const OPTED_OUT = `apiVersion: batch/v1
kind: Job
metadata:
  name: knative-style
spec:
  template:
    metadata:
      labels: {sidecar.istio.io/inject: "false"}
    spec:
      restartPolicy: Never
      containers:
      - {name: main, image: x, command: [/app]}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: meshed
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: main, image: x, command: [/app]}
`;

afterEach(cleanup);

test('GIVEN a Job opted out of Istio and one that is not WHEN given to meshjob and to MeshJobs.applyTo() THEN both change only the second', async () => {
  const file = join(tempDir(), 'chart.yaml');
  writeFileSync(file, OPTED_OUT);
  const chart = newChart();
  new Include(chart, 'chart', { url: file });
  expect(MeshJobs.applyTo(chart, { mesh: Mesh.istio() })).toEqual(['Job meshed: wrap']);
  const applied = Testing.synth(chart);
  const r = await runMeshjob(['--mesh', 'istio'], OPTED_OUT);
  expect(r.code).toBe(0);
  const [optedOut, meshed] = r.stdout.split(/^---\n/m);
  expect(optedOut).toBe(OPTED_OUT.split(/^---\n/m)[0]);
  expect(meshed).toContain('meshjob/lifecycle: wrap');
  expect(applied[0].spec.template.metadata.labels).toEqual({ 'sidecar.istio.io/inject': 'false' });
  expect(applied[0].spec.template.spec.containers[0].command).toEqual(['/app']);
});
