// A user's cdk8s app, as `cdk8s init typescript-app` lays it out, built from a fixture in
// test/fixtures/consumer/<name>/ around the packed meshjob tarball, offline.
import { execFileSync, spawnSync, SpawnSyncReturns } from 'child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/** The repository root. */
export const ROOT = join(__dirname, '..', '..');
/** The consumer apps, one folder each. */
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'consumer');

const rootLock = () => JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf-8'));
const packageJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf-8'));

/** Output of a command, whatever its exit code. */
export interface Run {
  readonly status: number;
  readonly output: string;
}

/** Runs a command; never throws, so a failing step shows its output in the test's message. */
export function run(cmd: string, args: string[], cwd: string, input?: string): Run {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
    cwd,
    input,
    encoding: 'utf-8',
    env: { ...process.env, CI: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  return { status: r.status ?? 1, output };
}

/**
 * Packs the library as a release would (`npx projen package:js`: compiles first if nothing is
 * compiled or a source changed) and returns the tarball's path.
 */
export function packLibrary(): string {
  const r = run('npx', ['projen', 'package:js'], ROOT);
  if (r.status !== 0) throw new Error(`npx projen package:js failed:\n${r.output}`);
  const { version } = packageJson(ROOT);
  return join(ROOT, 'dist', 'js', `meshjob@${version}.jsii.tgz`);
}

/** The paths inside a tarball, without npm's `package/` prefix. */
export function tarballFiles(tarball: string): string[] {
  return execFileSync('tar', ['tzf', tarball], { encoding: 'utf-8' })
    .split('\n').filter((l) => l !== '').map((l) => l.replace(/^package\//, ''));
}

/**
 * Copies the fixture app `name` into a fresh directory and installs it without the registry:
 * - its `dependencies` and meshjob's peer dependencies offline, from the npm cache that `npm ci`
 *   filled: each at the version and tarball URL the repository's package-lock.json has (npm ci
 *   caches tarballs, not always the package metadata a version range needs), and `meshjob` from
 *   `tarball`;
 * - its `devDependencies` (the build tools a cdk8s app brings: cdk8s-cli, jest, ts-jest,
 *   ts-node, typescript, types) linked from the repository's own node_modules, since installing
 *   them offline would need a lockfile npm ci never wrote. They are not what is under test.
 * Returns the app's directory.
 */
export function createApp(name: string, tarball: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), `meshjob-consumer-${name}-`)), name);
  try {
    installApp(name, dir, tarball);
  } catch (e) {
    rmSync(join(dir, '..'), { recursive: true, force: true });
    throw e;
  }
  return dir;
}

function installApp(name: string, dir: string, tarball: string): void {
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  const pkg = packageJson(dir);
  const lock = rootLock();

  const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf-8' }).trim().replace(/\/$/, '');
  // npm installs meshjob's peer dependencies that the app does not name itself (cdk8s-plus-28 in
  // an app on a newer line): online it would fetch them, offline they come from the cache too.
  const peers = Object.keys(packageJson(ROOT).peerDependencies ?? {}).filter((p) => !(p in pkg.dependencies));
  const specs = [...Object.keys(pkg.dependencies), ...peers].map((dep) => {
    if (dep === 'meshjob') return tarball;
    const locked = lock.packages[`node_modules/${dep}`];
    if (!locked) throw new Error(`${name}: ${dep} is not in package-lock.json: add it as a devDependency in .projenrc.ts so that npm ci caches it`);
    // The URL npm ci fetched it from (the lockfile omits it when it is the registry's own).
    return locked.resolved ?? `${registry}/${dep}/-/${dep.replace(/^@[^/]+\//, '')}-${locked.version}.tgz`;
  });
  // npm would try to install the devDependencies too; they are linked below instead.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version, private: true }));
  const install = run('npm', ['install', '--offline', '--no-save', '--no-audit', '--no-fund', ...specs], dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, undefined, 2));
  if (install.status !== 0) throw new Error(`${name}: offline npm install failed:\n${install.output}`);

  const bin = join(dir, 'node_modules', '.bin');
  mkdirSync(bin, { recursive: true });
  for (const dep of Object.keys(pkg.devDependencies)) {
    const target = join(dir, 'node_modules', dep);
    mkdirSync(join(target, '..'), { recursive: true });
    symlinkSync(realpathSync(join(ROOT, 'node_modules', dep)), target);
  }
  const rootBin = join(ROOT, 'node_modules', '.bin');
  for (const tool of ['cdk8s', 'jest', 'ts-node', 'tsc']) symlinkSync(realpathSync(join(rootBin, tool)), join(bin, tool));
}

/** The manifests `cdk8s synth` wrote to the app's dist/. */
export function distFiles(dir: string): string[] {
  return readdirSync(join(dir, 'dist')).filter((f) => f.endsWith('.k8s.yaml')).map((f) => join(dir, 'dist', f));
}
