import { spawnSync } from 'child_process';
import { readdirSync, statSync } from 'fs';
import { join, relative } from 'path';

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
