// The benchmarks' child processes: src/ compiled to JavaScript once, and node processes measured
// from inside (CPU time and peak RSS at exit), as bench/transformer.ts and bench/diagnose.ts run them.
import { execFileSync } from 'child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';

const ROOT = join(__dirname, '..');

/** Compiles src/ with tsc into `dir`/lib; returns the command line's entry point (lib/cli/main.js). */
export function compileCli(dir: string): string {
  const out = join(dir, 'lib');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json'), '--outDir', out,
    '--noEmit', 'false', '--declaration', 'false', '--inlineSourceMap', 'false', '--inlineSources', 'false'], { stdio: 'inherit' });
  copyFileSync(join(ROOT, 'src', 'runtime', 'wrapper.sh'), join(out, 'runtime', 'wrapper.sh'));
  return join(out, 'cli', 'main.js');
}

/** What a measured process used, as it reported at exit. */
export interface ProcessUsage {
  /** User and system CPU time. */
  readonly cpuMs: number;
  /** Peak resident set size, in MB (10^6 bytes). */
  readonly rssMb: number;
}

/** How to start a node process that reports its usage at exit: `-r probe` and its env; `usage()` reads the report once it has exited. */
export interface ProbedProcess {
  readonly execArgv: string[];
  readonly env: NodeJS.ProcessEnv;
  usage(): ProcessUsage;
}

/**
 * A node process, run from `dir`'s compiled files, that writes its resource usage and peak RSS at
 * exit. The peak is VmHWM of /proc/self/status, not resourceUsage().maxRSS, which Linux carries
 * over from the forking parent (the benchmark, holding a 100 MB stream); VmHWM starts afresh at exec.
 */
export function probed(dir: string): ProbedProcess {
  const probe = join(dir, 'probe.js');
  const out = join(dir, `usage-${process.pid}-${Math.random()}.json`);
  writeFileSync(probe, [
    "process.on('exit', () => {",
    "  const fs = require('fs');",
    "  const hwm = /VmHWM:\\s*(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf-8'));",
    '  fs.writeFileSync(process.env.MESHJOB_BENCH_PROBE, JSON.stringify({ ...process.resourceUsage(), vmHwmKiB: Number(hwm[1]) }));',
    '});',
    '',
  ].join('\n'));
  return {
    execArgv: ['-r', probe],
    // Compiled outside the repository: its dependencies come from the repository's node_modules.
    env: { ...process.env, MESHJOB_BENCH_PROBE: out, NODE_PATH: join(ROOT, 'node_modules') },
    usage: () => {
      const u = JSON.parse(readFileSync(out, 'utf-8'));
      return { cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, rssMb: (u.vmHwmKiB * 1024) / 1e6 };
    },
  };
}
