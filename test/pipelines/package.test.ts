import { spawnSync } from 'child_process';
import { readdirSync, readFileSync, statSync } from 'fs';
import { join, relative } from 'path';
import { docBlock, docLine } from './support/docs';

// The plugins reach users inside the npm package: what `npm pack` would put in the tarball.

const REPO = join(__dirname, '..', '..');

/** True when any of a file mode's execute bits is set. */
// eslint-disable-next-line no-bitwise
const executable = (mode: number) => (mode & 0o111) !== 0;

/** Every file under a folder of this repository, relative to the repository. */
function filesUnder(folder: string): string[] {
  return readdirSync(join(REPO, folder), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(REPO, join(e.parentPath, e.name)))
    .sort();
}

describe('the npm package', () => {
  const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--offline'], { cwd: REPO, encoding: 'utf-8' });
  const packed: Array<{ path: string; mode: number }> = pack.status === 0 ? JSON.parse(pack.stdout)[0].files : [];

  test('ships every file of helm-plugin/ and kustomize-plugin/, with the mode it has here', () => {
    expect(pack.stderr).not.toMatch(/ERR!/);
    const plugins = packed.filter((f) => /^(helm|kustomize)-plugin\//.test(f.path));
    expect(plugins.map((f) => f.path).sort()).toEqual([...filesUnder('helm-plugin'), ...filesUnder('kustomize-plugin')].sort());
    for (const f of plugins) {
      expect({ path: f.path, executable: executable(f.mode) }).toEqual({ path: f.path, executable: executable(statSync(join(REPO, f.path)).mode) });
    }
  });

  test('the launchers Helm, kustomize and kpt start are executable', () => {
    const launchers = ['helm-plugin/post-render.sh', 'kustomize-plugin/meshjob-krm', 'kustomize-plugin/meshjob/v1alpha1/meshjobtransformer/MeshJobTransformer'];
    expect(launchers.map((l) => [l, executable(packed.find((f) => f.path === l)?.mode ?? 0)])).toEqual(launchers.map((l) => [l, true]));
  });
});

describe('installing the package, as the docs say', () => {
  const { name, version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf-8'));
  /** What `npx projen package:js` writes (jsii-pacmak names it so): the README installs it. */
  const tarball = `dist/js/${name}@${version}.jsii.tgz`;

  test('docs/pipelines.md builds and installs the same tarball as the README, and no line installs meshjob by name from the registry', () => {
    expect(docLine('README.md', 'npm install cdk8s-plus-28')).toBe(`npm install cdk8s-plus-28 ../meshjob/${tarball}`);
    expect(docBlock('docs/pipelines.md', 'install').split('\n').map((l) => l.replace(/\s+#.*$/, '')).filter(Boolean)).toEqual([
      docLine('README.md', 'npm ci && npx projen package:js'),
      `npm install ../meshjob/${tarball}`,
    ]);
    const installs = readFileSync(join(REPO, 'docs', 'pipelines.md'), 'utf-8').split('\n').filter((l) => /^\s*npm install /.test(l));
    expect(installs.length).toBeGreaterThanOrEqual(3);
    for (const line of installs) expect(line.trim().replace(/\s+#.*$/, '')).toMatch(new RegExp(`^npm install (--global )?\\.\\./meshjob/${tarball.replace(/[.@/]/g, '\\$&')}$`));
  });
});
