import { chmodSync, cpSync, mkdirSync, writeFileSync } from 'fs';
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

/**
 * Lays out node_modules/meshjob as a package install does: package.json, the helm-plugin and
 * kustomize-plugin folders as they are in this repository, and lib/cli/main.js. That last file
 * stands in for the compiled CLI (`npx projen compile` is jsii, too slow for a test): it runs
 * src/cli/main.ts through ts-node with the same arguments, stdin, stdout, stderr and exit code.
 *
 * The PATH it gives holds node and the system's tools only: no meshjob, and an `npx` that records
 * its calls and fails, as an npx without registry access would.
 */
export function installedPackage(): InstalledPackage {
  const project = tempDir();
  const pkg = join(project, 'node_modules', 'meshjob');
  mkdirSync(join(pkg, 'lib', 'cli'), { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'meshjob', bin: { meshjob: 'lib/cli/main.js' } }));
  for (const folder of ['helm-plugin', 'kustomize-plugin']) cpSync(join(REPO, folder), join(pkg, folder), { recursive: true });
  writeFileSync(join(pkg, 'lib', 'cli', 'main.js'), [
    '#!/usr/bin/env node',
    '// Stands in for the compiled CLI: runs the sources through ts-node (test/pipelines/support/package.ts).',
    'const { spawnSync } = require(\'child_process\');',
    `const r = spawnSync(process.execPath, ['-r', ${JSON.stringify(require.resolve('ts-node/register'))}, ${JSON.stringify(join(REPO, 'src', 'cli', 'main.ts'))}, ...process.argv.slice(2)], {`,
    `  stdio: 'inherit', env: { ...process.env, TS_NODE_PROJECT: ${JSON.stringify(join(REPO, 'test', 'tsconfig.json'))}, TS_NODE_TRANSPILE_ONLY: 'true' },`,
    '});',
    'process.exitCode = r.status === null ? 1 : r.status;',
    '',
  ].join('\n'));
  chmodSync(join(pkg, 'lib', 'cli', 'main.js'), 0o755);

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
