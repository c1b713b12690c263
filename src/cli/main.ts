#!/usr/bin/env node
// meshjob: makes the Jobs and CronJobs of a YAML stream mesh-safe. Works as Helm 3's
// `--post-renderer` executable and behind the Helm 4 plugin in helm-plugin/.
import { readFileSync } from 'fs';
import { parse } from 'yaml';
import { krm } from './krm';
import { checkConfig, CliOptions, FLAGS, LIFECYCLES, MESHES, toManifestLifecycle } from './options';
import { postRender } from './post-render';
import { diagnoseMain } from '../diagnose/main';

const USAGE = `usage: meshjob [--check] [--config FILE] --mesh MESH [options] < manifests.yaml > out.yaml

Applies MeshJob's lifecycle to every Job and CronJob of a multi-document YAML stream on stdin and
writes the stream to stdout, every other document unchanged and in order. With --check, writes
nothing but the Jobs and CronJobs that would hang under the mesh, and exits 1 if there are any.

  --mesh MESH                   ${MESHES.join(', ')}
  --mesh-version V              e.g. 1.24 (native sidecars need a known version)
  --kubernetes-version V        e.g. 1.30
  --lifecycle L                 ${LIFECYCLES.join(', ')} (default auto)
  --busybox-image IMAGE         the wrapper runtime's busybox image
  --ready-timeout-seconds N     how long wrapped commands wait for the proxy
  --envoy-admin-port N          for --mesh envoy
  --default-pod-failure-rules true|false
  --config FILE                 the same options as JSON or YAML keys (meshVersion, ...)
  --help
`;

export function main(argv: string[], stdin: string): { code: number; stdout: string; stderr: string } {
  if (argv[0] === 'diagnose') return diagnoseMain(argv.slice(1), stdin);
  if (argv[0] === 'krm') return krm(argv.slice(1), stdin, main); // KRM function / kustomize plugin: src/cli/krm.ts
  const fail = (lines: string[]) => ({ code: 1, stdout: '', stderr: lines.map((l) => `meshjob: ${l}\n`).join('') });
  const options: CliOptions = {};
  let check = false;
  let config: string | undefined;
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    if (flag === '--help' || flag === '-h') return { code: 0, stdout: USAGE, stderr: '' };
    if (flag === '--check') { check = true; continue; }
    const spec = FLAGS[flag];
    if (!spec && flag !== '--config') {
      problems.push(flag.startsWith('-') ? `unknown option "${flag}" (see --help)` : `unexpected argument "${flag}": meshjob reads manifests from stdin`);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) { problems.push(`${flag} needs a value`); continue; }
    if (flag === '--config') { config = value; continue; }
    if (spec.kind === 'number') {
      if (!/^\d+$/.test(value)) { problems.push(`${flag} must be a whole number, not "${value}"`); continue; }
      (options as any)[spec.key] = Number(value);
    } else if (spec.kind === 'boolean') {
      if (value !== 'true' && value !== 'false') { problems.push(`${flag} must be true or false, not "${value}"`); continue; }
      (options as any)[spec.key] = value === 'true';
    } else {
      (options as any)[spec.key] = value;
    }
  }
  let merged: CliOptions = options;
  if (config !== undefined) {
    try {
      const fromFile = parse(readFileSync(config, 'utf-8')) ?? {};
      if (typeof fromFile !== 'object' || Array.isArray(fromFile)) throw new Error('it is not a map of options');
      problems.push(...checkConfig(fromFile, config));
      merged = { ...fromFile, ...options };
    } catch (e) {
      problems.push(`cannot read config ${config}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (problems.length > 0) return fail(problems);

  let what;
  try {
    what = toManifestLifecycle(merged);
  } catch (e) {
    return fail([(e as Error).message]);
  }
  const result = postRender(stdin, what);
  if (result.problems.length > 0) return fail(result.problems);
  if (check) {
    const hanging = result.results.filter((r) => r.outcome === 'applied' && r.mode !== 'none');
    const lines = hanging.map((r) => `${r.subject} would hang under ${merged.mesh}: MeshJob would apply the ${r.mode} lifecycle (${r.reason})`);
    return { code: lines.length > 0 ? 1 : 0, stdout: lines.map((l) => `${l}\n`).join(''), stderr: lines.length > 0 ? '' : 'meshjob: no Job or CronJob would hang\n' };
  }
  return { code: 0, stdout: result.output!, stderr: result.results.flatMap((r) => r.warnings.map((w) => `meshjob: ${r.subject}: ${w}\n`)).join('') };
}

if (require.main === module) {
  let stdin = '';
  try {
    stdin = readFileSync(0, 'utf-8');
  } catch {
    stdin = '';
  }
  const r = main(process.argv.slice(2), stdin);
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  process.exitCode = r.code;
}
