import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { CliOptions } from '../../src/cli/options';
import { DocumentSplitter } from '../../src/cli/yaml/split';
import { kubectlReadStream } from '../cli/kubectl';
import { pyyamlErrors } from '../cli/pyyaml';
import { installedPackage } from './support/package';
import { applyToRoute, cliStreamRoute, helm4Route, kptRoute, kustomizeRoute, pyyamlRegressions } from './support/routes';
import { cleanup } from '../support/wrapper-harness';

// Every real-world fixture (test/fixtures/charts/README.md) through every route, kubectl the judge:
// outside MeshJob's fields nothing changes, and MeshJob's fields mean what it meant.

const CHARTS = join(__dirname, '..', 'fixtures', 'charts');
const FIXTURES = readdirSync(CHARTS).filter((f) => f.endsWith('.yaml')).sort();

/** The entrypoints of the fixtures' images whose Jobs give only `args`. */
const OPTIONS: CliOptions = {
  mesh: 'istio',
  entrypoints: {
    'registry.k8s.io/ingress-nginx/kube-webhook-certgen': ['/kube-webhook-certgen'],
    'registry.example.com/ingress/certgen': ['/kube-webhook-certgen'],
    'registry.example.com/telemetry/continuous-test': ['/bin/continuous-test'],
    'registry.example.com/policy/cli': ['/policy-cli'],
    'registry.example.com/certificates/startupapicheck': ['/app/cmd/startupapicheck'],
  },
};

/**
 * Documents kpt and kustomize cannot take even without MeshJob: they need `metadata.name`, and
 * Knative's Jobs name themselves with `generateName`.
 */
const TOOLS_REFUSE: Record<string, number[]> = { 'knative-serving-post-install.yaml': [0, 3] };

jest.setTimeout(600_000);
beforeAll(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));
afterAll(async () => {
  jest.restoreAllMocks();
  await cleanup();
});

/** A fixture's documents, each with its exact text. */
function documents(text: string): string[] {
  const splitter = new DocumentSplitter();
  return [...splitter.push(Buffer.from(text)), ...splitter.end()].map((b) => b.toString('utf-8')).filter((d) => /^[^#\s-]/m.test(d));
}

describe.each(FIXTURES)('%s', (fixture) => {
  const text = readFileSync(join(CHARTS, fixture), 'utf-8');

  test('kubectl reads it', () => {
    expect(kubectlReadStream(text)).toEqual({ objects: expect.any(Array) });
  });

  test('the command line: kubectl reads the output as the input with MeshJob\'s fields, and PyYAML loads it', async () => {
    const r = await cliStreamRoute(text, OPTIONS);
    expect(r.mismatches).toEqual([]);
    expect(pyyamlErrors(r.outputs)).toEqual([undefined]);
  });

  test('Helm 4\'s post-renderer plugin, run from the installed package as Helm runs it', () => {
    const r = helm4Route(installedPackage(), text, (kubectlReadStream(text) as { objects: unknown[] }).objects, OPTIONS);
    expect(r.mismatches).toEqual([]);
    expect(pyyamlRegressions(r)).toEqual([]);
  });

  test('kpt: the KRM function against an identity function', () => {
    const r = kptRoute(installedPackage(), documents(text), OPTIONS);
    expect({ mismatches: r.mismatches, leftOut: r.leftOut.sort() }).toEqual({ mismatches: [], leftOut: TOOLS_REFUSE[fixture] ?? [] });
    expect(pyyamlRegressions(r)).toEqual([]);
  });

  test('kustomize: the exec transformer plugin against the same kustomization without it', () => {
    const r = kustomizeRoute(installedPackage(), documents(text), OPTIONS);
    expect({ mismatches: r.mismatches, leftOut: r.leftOut.sort() }).toEqual({ mismatches: [], leftOut: TOOLS_REFUSE[fixture] ?? [] });
    expect(pyyamlRegressions(r)).toEqual([]);
  });

  test('MeshJobs.applyTo on the fixture brought in with Include', () => {
    const r = applyToRoute(documents(text), OPTIONS);
    expect(r.mismatches).toEqual([]);
    expect(pyyamlRegressions(r)).toEqual([]);
  });
});
