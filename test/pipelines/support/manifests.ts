import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { InstalledPackage } from './package';
import { podMetadataOf, podSpecOf, validateAll } from '../../support/schema';

/** `helm template shop ./shop` of the worked example's chart (README, "Jobs you did not write"). */
export const CHART_OUTPUT = readFileSync(join(__dirname, '..', '..', 'fixtures', 'helm', 'app-chart.yaml'), 'utf-8');

/** The objects of a YAML stream, the items of a `kind: List` in its place. */
export function objectsOf(yaml: string): any[] {
  return parseAllDocuments(yaml).map((d) => d.toJS()).filter((o) => o)
    .flatMap((o) => (o.kind === 'List' ? o.items : [o]));
}

/** One object of the chart output, by kind and name, as a YAML document. */
export function chartDocument(kind: string, name: string): string {
  const doc = parseAllDocuments(CHART_OUTPUT).find((d) => {
    const o = d.toJS();
    return o?.kind === kind && o?.metadata?.name === name;
  });
  if (!doc) throw new Error(`the chart output has no ${kind} ${name}`);
  return doc.toString();
}

/** The Jobs and CronJobs of the objects. */
export function jobsOf(objects: any[]): any[] {
  return objects.filter((o) => o.kind === 'Job' || o.kind === 'CronJob');
}

/**
 * Validates every object against the Kubernetes schema and checks that each Job and CronJob went
 * through MeshJob (`meshjob/lifecycle` on its pod template) with the given mesh's injection label
 * or annotation. Returns the objects.
 */
export function expectMeshSafe(objects: any[], injection: { key: string; value: string } = { key: 'sidecar.istio.io/inject', value: 'true' }): any[] {
  validateAll(objects);
  const jobs = jobsOf(objects);
  expect(jobs.length).toBeGreaterThan(0);
  for (const job of jobs) {
    const meta = podMetadataOf(job);
    expect({ job: job.metadata.name, lifecycle: meta.annotations?.['meshjob/lifecycle'] }).toEqual({ job: job.metadata.name, lifecycle: 'wrap' });
    expect({ ...meta.labels, ...meta.annotations }[injection.key]).toBe(injection.value);
    expect(podSpecOf(job).initContainers.map((c: any) => c.name)).toContain('meshjob-busybox');
  }
  return objects;
}

/**
 * A folder with a `helm` that stands in for `helm template`: it prints the chart output above,
 * appends its arguments to `args`, and fails as Helm does (one line on stderr, exit 1) when
 * FAKE_HELM_FAIL is set.
 */
export function fakeHelmTemplate(installed: InstalledPackage): { bin: string; args: string } {
  const bin = join(installed.project, 'helm-bin');
  mkdirSync(bin, { recursive: true });
  const fixture = join(bin, 'chart-output.yaml');
  writeFileSync(fixture, CHART_OUTPUT);
  const args = join(installed.project, 'helm-args');
  writeFileSync(join(bin, 'helm'), [
    '#!/bin/sh',
    `printf '%s\\n' "$*" >> ${args}`,
    'if [ "$1" != template ]; then echo "fake helm: only template is stood in for" >&2; exit 2; fi',
    'if [ -n "${FAKE_HELM_FAIL:-}" ]; then echo "Error: chart requires kubeVersion: >=1.31.0-0 which is incompatible with Kubernetes v1.30.2" >&2; exit 1; fi',
    `exec cat ${fixture}`,
    '',
  ].join('\n'));
  chmodSync(join(bin, 'helm'), 0o755);
  return { bin, args };
}
