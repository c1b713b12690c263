// One synth measurement in a fresh process, started by bench/synth.ts and bench/profile.ts:
//
//   worker.ts heap    <plain|meshjob> <n> <result.json>   (node --expose-gc --trace-gc)
//   worker.ts profile <plain|meshjob> <n>                 (node --cpu-prof ...)
//
// heap: full GC (baseline), the workload, the heap in use at its end, full GC with the app and its
// YAML still referenced (retained); the parent reads the peak from --trace-gc.
// profile: a discarded warm-up, then the workload inside profiledWorkload(), the frame the profile
// analysis keeps.
import { writeFileSync } from 'fs';
import { fullGc } from './stats';
import { benchWorkload, Kind, SynthRun } from './synth';

let kept: unknown;

function profiledWorkload(kind: Kind, n: number): SynthRun {
  return benchWorkload(kind, n, 'yaml');
}

function main(): void {
  const [mode, kind, nText, resultFile] = process.argv.slice(2);
  const n = Number(nText);
  if ((kind !== 'plain' && kind !== 'meshjob') || !Number.isInteger(n) || n < 1) {
    throw new Error(`usage: worker.ts heap|profile plain|meshjob <n> [result.json]; got ${process.argv.slice(2).join(' ')}`);
  }
  if (mode === 'heap') {
    fullGc();
    const baselineHeap = process.memoryUsage().heapUsed;
    const run = benchWorkload(kind, n, 'yaml');
    const endHeap = process.memoryUsage().heapUsed;
    kept = run.keep;
    fullGc();
    const retainedHeap = process.memoryUsage().heapUsed;
    writeFileSync(resultFile, JSON.stringify({
      baselineHeap,
      endHeap,
      retainedHeap,
      maxRssKiB: process.resourceUsage().maxRSS,
      totalMs: run.totalMs,
      bytes: run.bytes,
      kept: kept !== undefined,
    }));
  } else if (mode === 'profile') {
    benchWorkload(kind, 300, 'yaml');
    fullGc();
    kept = profiledWorkload(kind, n).bytes;
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

main();
