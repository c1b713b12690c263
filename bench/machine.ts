// What the benchmark ran on: figures from a shared, noisy machine mean nothing without it.
import { execFileSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { availableParallelism, loadavg, release } from 'os';
import { join } from 'path';

export interface Machine {
  readonly date: string;
  readonly nproc: number;
  readonly cpuModel: string;
  readonly memory: string;
  readonly kernel: string;
  readonly os: string;
  readonly node: string;
  readonly busybox: string;
  readonly dash: string;
  readonly curl: string;
  readonly loadAtStart: string;
  readonly packages: string;
  readonly source: string;
}

function firstLine(run: () => string): string {
  try {
    return run().split('\n').find((l) => l.trim() !== '')?.trim() ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

function packageVersion(root: string, name: string): string {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

export function describeMachine(repoRoot: string): Machine {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const meminfo = existsSync('/proc/meminfo') ? readFileSync('/proc/meminfo', 'utf8') : '';
  const memKb = Number(/^MemTotal:\s+(\d+) kB/m.exec(meminfo)?.[1] ?? NaN);
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  let nproc = availableParallelism();
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // keep node's figure
  }
  const dpkg = (pkg: string): string => execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' });
  // busybox prints its banner (first line) when run without an applet, exiting 0 or 1.
  const busybox = firstLine(() => {
    try {
      return execFileSync('/usr/bin/busybox', [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const out = (e as { stdout?: string }).stdout;
      if (out) return out;
      throw e;
    }
  });
  const dash = existsSync('/usr/bin/dash')
    ? `dash ${firstLine(() => dpkg('dash'))} (Debian package; dash has no --version)`
    : 'not installed';
  const curl = firstLine(() => execFileSync('curl', ['--version'], { encoding: 'utf8' })).split(' ').slice(0, 2).join(' ');
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
  let source = 'not a git checkout';
  try {
    const dirty = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length;
    source = `${git('rev-parse', '--short', 'HEAD')} (${git('log', '-1', '--format=%cI')})` +
      (dirty ? `, plus uncommitted changes in ${dirty} file(s) under src/` : ', src/ as committed');
  } catch {
    // keep the default
  }
  return {
    source,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc,
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    memory: Number.isFinite(memKb) ? `${(memKb / 1024 / 1024).toFixed(1)} GiB` : 'unknown',
    kernel: release(),
    os: /^PRETTY_NAME="?([^"\n]+)"?/m.exec(osRelease)?.[1] ?? 'unknown',
    node: process.version,
    busybox,
    dash,
    curl,
    loadAtStart: loadavg().map((l) => l.toFixed(2)).join(' '),
    packages: ['cdk8s', 'cdk8s-plus-28', 'constructs', 'yaml']
      .map((p) => `${p} ${p === 'yaml' ? packageVersion(join(repoRoot, 'node_modules', 'cdk8s'), p) + ' (bundled in cdk8s)' : packageVersion(repoRoot, p)}`)
      .join(', '),
  };
}

export function machineRows(m: Machine): string[][] {
  return [
    ['date (UTC)', m.date],
    ['nproc', String(m.nproc)],
    ['CPU model (/proc/cpuinfo)', m.cpuModel],
    ['memory (MemTotal)', m.memory],
    ['kernel / OS', `${m.kernel} / ${m.os}`],
    ['node', m.node],
    ['busybox (/usr/bin/busybox)', m.busybox],
    ['dash (/usr/bin/dash)', m.dash],
    ['curl', m.curl],
    ['load average at start (1/5/15 min)', m.loadAtStart],
    ['libraries', m.packages],
    ['source measured (git)', m.source],
  ];
}
