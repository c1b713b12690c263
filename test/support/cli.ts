import { spawnSync } from 'child_process';
import { chmodSync, writeFileSync } from 'fs';
import { join } from 'path';
import { tempDir } from './wrapper-harness';

/**
 * An executable standing in for the package's `meshjob` bin, built from src/ (the tests run
 * before jsii compiles lib/): Helm 3 execs `--post-renderer` programs like this one.
 */
export function meshjobExecutable(): string {
  const file = join(tempDir(), 'meshjob');
  const main = join(__dirname, '..', '..', 'src', 'cli', 'main.ts');
  const tsconfig = join(__dirname, '..', 'tsconfig.json');
  writeFileSync(file, `#!/bin/sh\nTS_NODE_PROJECT=${tsconfig} TS_NODE_TRANSPILE_ONLY=true exec ${process.execPath} -r ts-node/register ${main} "$@"\n`);
  chmodSync(file, 0o755);
  return file;
}

/** Runs an executable as Helm runs a post-renderer: manifests on stdin, manifests from stdout. */
export function runPostRenderer(executable: string, args: string[], stdin: string) {
  const r = spawnSync(executable, args, { input: stdin, encoding: 'utf-8', cwd: join(__dirname, '..', '..') });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
