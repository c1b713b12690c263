// From install to snapshot test: the packed library in a user's cdk8s app, laid out as
// `cdk8s init typescript-app` lays it out, once on cdk8s-plus-28 with MeshJob and once on the
// newest cdk8s-plus line with a plain cdk8s-plus Job and MeshJobs.applyTo. The apps live in
// test/fixtures/consumer/; README.md's "Use it in your cdk8s app" shows plus-28's files.
//
// `npx jest --ci=false -u test/consumer/consumer-app.test.ts` rewrites the apps' own snapshots
// (test/fixtures/consumer/*/__snapshots__/) when a change of the rendered Job is intended.
import { execFileSync } from 'child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'fs';
import { dirname, join } from 'path';
import { parseAllDocuments } from 'yaml';
import { createApp, distFiles, FIXTURES, packLibrary, run, tarballFiles } from './app';
import { wrappedCommandOf } from '../support/render';
import { podMetadataOf, podSpecOf, validateAll } from '../support/schema';

const UPDATE = process.argv.includes('-u') || process.argv.includes('--updateSnapshot');
const SNAPSHOT = join('__snapshots__', 'main.test.ts.snap');
// Packing compiles with jsii when lib/ is stale; installing and synthesizing run node several times.
const SLOW = 10 * 60_000;

let tarball: string;
const apps: string[] = [];

beforeAll(() => { tarball = packLibrary(); }, SLOW);
afterAll(() => apps.forEach((dir) => rmSync(dirname(dir), { recursive: true, force: true })));

describe('the package', () => {
  test('GIVEN npx projen package:js WHEN the tarball is listed THEN it holds lib/, the bin, README, LICENSE, API.md, the assembly, CHANGELOG and the Helm plugin, and nothing else of the repository', () => {
    const files = tarballFiles(tarball);
    const allowed = /^(lib\/.+\.(js|d\.ts)|lib\/runtime\/wrapper\.sh|node_modules\/yaml\/.+|(helm|kustomize)-plugin\/.+|package\.json|README\.md|LICENSE|API\.md|CHANGELOG\.md|\.jsii)$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining([
      'lib/index.js', 'lib/index.d.ts', 'lib/cli/main.js', 'lib/runtime/wrapper.sh', 'lib/testing/jest-serializer.js',
      'README.md', 'LICENSE', 'API.md', 'CHANGELOG.md', '.jsii', 'helm-plugin/plugin.yaml',
    ]));
  });

  test('GIVEN the tarball\'s package.json THEN it states engines, keywords, the bin, the jsii targets of every language and no made-up address', () => {
    const pkg = JSON.parse(execFileSync('tar', ['xzf', tarball, '-O', 'package/package.json'], { encoding: 'utf-8' }));
    expect(pkg.engines).toEqual({ node: '>= 18.0.0' });
    expect(pkg.keywords).toEqual(expect.arrayContaining(['cdk8s', 'kubernetes', 'service-mesh']));
    expect(pkg.bin).toEqual({ meshjob: 'lib/cli/main.js' });
    expect(pkg.repository.url).toBe('unpublished');
    expect(JSON.stringify(pkg)).not.toMatch(/example\.(com|org)/);
    expect(pkg.jsii.targets).toEqual({
      python: { distName: 'meshjob', module: 'meshjob' },
      java: { package: 'org.meshjob', maven: { groupId: 'org.meshjob', artifactId: 'meshjob' } },
      dotnet: { namespace: 'MeshJob', packageId: 'MeshJob' },
      go: { moduleName: 'github.com/meshjob/meshjob-go', packageName: 'meshjob' },
    });
  });
});

describe.each([
  ['plus-28', 'MeshJob on cdk8s-plus-28'],
  ['plus-34', 'a cdk8s-plus-34 Job with MeshJobs.applyTo'],
])('a cdk8s app (%s): %s', (name) => {
  let dir: string;
  beforeAll(() => {
    dir = createApp(name, tarball);
    apps.push(dir);
  }, SLOW);

  test('GIVEN the tarball installed offline THEN the app loads meshjob from it, not from the repository', () => {
    const installed = join(dir, 'node_modules', 'meshjob');
    expect(existsSync(join(installed, 'lib', 'index.js'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    const resolved = run('node', ['-p', "require.resolve('meshjob') + ' ' + require.resolve('cdk8s', { paths: [require.resolve('meshjob')] })"], dir);
    expect(resolved.output.trim()).toBe(`${join(installed, 'lib', 'index.js')} ${join(dir, 'node_modules', 'cdk8s', 'lib', 'index.js')}`);
  });

  test('GIVEN cdk8s synth WHEN it runs THEN it writes a schema-valid Job whose container waits for the proxy and stops it', () => {
    // Without the CLI's check for a newer cdk8s-cli: the test makes no network request.
    const synth = run('npx', ['cdk8s', 'synth', '--no-check-upgrade'], dir);
    expect(synth.output).toContain('Synthesizing application');
    expect(synth.status).toBe(0);

    const manifests = validateAll(distFiles(dir).flatMap((f) => parseAllDocuments(readFileSync(f, 'utf-8')).map((d) => d.toJS())));
    const job = manifests.find((m) => m.kind === 'Job');
    expect(podMetadataOf(job).labels['sidecar.istio.io/inject']).toBe('true');
    expect(podMetadataOf(job).annotations['meshjob/lifecycle']).toBe('wrap');
    const main = podSpecOf(job).containers[0];
    expect(wrappedCommandOf(main)).toEqual(['meshjob', '/report']);
    expect(main.args).toEqual(['--since', '24h']);
    expect(main.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000 });
    expect(main.resources.requests).toEqual({ cpu: '100m', memory: '128Mi' });
  }, SLOW);

  test('GIVEN the package\'s meshjob command WHEN it checks what cdk8s synth wrote THEN no Job would hang, while a plain Job would', () => {
    const synthesized = distFiles(dir).map((f) => readFileSync(f, 'utf-8')).join('---\n');
    const check = run('npx', ['meshjob', '--check', '--mesh', 'istio'], dir, synthesized);
    expect(check.output).toContain('no Job or CronJob would hang');
    expect(check.status).toBe(0);

    const plain = 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: plain}\nspec: {template: {spec: {restartPolicy: Never, '
      + 'containers: [{name: main, image: registry.example.com/report:1.4, command: [/report]}]}}}\n';
    const hangs = run('npx', ['meshjob', '--check', '--mesh', 'istio'], dir, plain);
    expect(hangs.output).toContain('Job plain would hang under istio');
    expect(hangs.status).toBe(1);
  }, SLOW);

  test('GIVEN the app\'s own jest snapshot test WHEN it runs with --ci THEN it passes, and the snapshot shows the wrapper as one line', () => {
    const jest = run('npx', ['jest', '--ci', ...(UPDATE ? ['-u'] : [])], dir);
    expect(jest.output).toMatch(/Tests:\s+1 passed, 1 total/);
    expect(jest.status).toBe(0);
    if (UPDATE) {
      mkdirSync(join(FIXTURES, name, '__snapshots__'), { recursive: true });
      copyFileSync(join(dir, SNAPSHOT), join(FIXTURES, name, SNAPSHOT));
    }
    const snapshot = readFileSync(join(dir, SNAPSHOT), 'utf-8');
    expect(snapshot.match(/<meshjob wrapper [a-z,-]+ [0-9a-f]{12}>/g)).toHaveLength(1);
    expect(snapshot).not.toContain('set -f');
  }, SLOW);
});
