import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { delimiter, dirname, join } from 'path';
import { tempDir } from '../../support/wrapper-harness';

const REPO = join(__dirname, '..', '..', '..');

/** A project folder with meshjob installed as npm installs it, and the paths the pipelines use. */
export interface InstalledPackage {
  /** The project folder (holds node_modules/). */
  readonly project: string;
  /** node_modules/meshjob */
  readonly pkg: string;
  /** A PATH with node and the system tools, and no meshjob. */
  readonly path: string;
  /** A file that lists every call of the `npx` on `path` (which always fails). */
  readonly npxCalls: string;
}

/** The runtime dependencies the compiled CLI requires (package.json dependencies and peerDependencies). */
const RUNTIME_DEPENDENCIES = ['yaml', 'cdk8s', 'cdk8s-plus-28', 'constructs'];

/**
 * src/ compiled to JavaScript as `npx projen compile` lays out lib/ (tsc with the project's
 * tsconfig.json, and src/runtime/wrapper.sh beside its module), once per content of src/: a
 * folder in the system's temporary folder named after a hash of src/, reused by every test file.
 */
export function compiledLib(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).forEach((e) => {
    const file = join(dir, e.name);
    if (e.isDirectory()) return walk(file);
    hash.update(file).update(readFileSync(file));
  });
  walk(join(REPO, 'src'));
  const lib = join(tmpdir(), `meshjob-lib-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(join(lib, 'cli', 'main.js'))) return lib;
  const work = mkdtempSync(join(tmpdir(), 'meshjob-lib-build-'));
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(REPO, 'tsconfig.json'), '--outDir', work,
    '--declaration', 'false', '--inlineSourceMap', 'false', '--inlineSources', 'false'], { encoding: 'utf-8' });
  if (tsc.status !== 0) throw new Error(`tsc failed: ${tsc.stdout}${tsc.stderr}`);
  cpSync(join(REPO, 'src', 'runtime', 'wrapper.sh'), join(work, 'runtime', 'wrapper.sh'));
  try {
    renameSync(work, lib);
  } catch {
    // Another test file compiled the same sources first.
    rmSync(work, { recursive: true, force: true });
  }
  return lib;
}

/**
 * Lays out node_modules/meshjob as a package install does: package.json, the helm-plugin and
 * kustomize-plugin folders as they are in this repository, lib/ (compiledLib()), and the runtime
 * dependencies beside it in node_modules/.
 *
 * The PATH it gives holds node and the system's tools only: no meshjob, and an `npx` that records
 * its calls and fails, as an npx without registry access would.
 */
export function installedPackage(): InstalledPackage {
  const project = tempDir();
  const pkg = join(project, 'node_modules', 'meshjob');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'meshjob', bin: { meshjob: 'lib/cli/main.js' } }));
  for (const folder of ['helm-plugin', 'kustomize-plugin']) cpSync(join(REPO, folder), join(pkg, folder), { recursive: true });
  cpSync(compiledLib(), join(pkg, 'lib'), { recursive: true });
  for (const dep of RUNTIME_DEPENDENCIES) symlinkSync(dirname(require.resolve(`${dep}/package.json`)), join(project, 'node_modules', dep));

  const bin = join(project, 'bin');
  mkdirSync(bin);
  const npxCalls = join(project, 'npx-calls');
  writeFileSync(join(bin, 'npx'), `#!/bin/sh\necho "$*" >> ${npxCalls}\necho "npm ERR! network request failed" >&2\nexit 1\n`);
  chmodSync(join(bin, 'npx'), 0o755);
  return { project, pkg, npxCalls, path: [bin, dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter) };
}

/** A folder on a PATH with a `meshjob` that runs the sources (as `npm install -g meshjob` would give). */
export function meshjobOnPath(installed: InstalledPackage): string {
  const bin = join(installed.project, 'global-bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'meshjob'), `#!/bin/sh\nexec ${process.execPath} ${join(installed.pkg, 'lib', 'cli', 'main.js')} "$@"\n`);
  chmodSync(join(bin, 'meshjob'), 0o755);
  return bin;
}

/** The environment every pipeline runs in: nothing of the test runner's, the registry unreachable. */
export function cleanEnv(installed: InstalledPackage, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: installed.path,
    HOME: installed.project,
    TMPDIR: installed.project,
    // An npm that tried the registry would fail here rather than reach it.
    npm_config_registry: 'http://127.0.0.1:9/',
    npm_config_offline: 'true',
    ...extra,
  };
}
