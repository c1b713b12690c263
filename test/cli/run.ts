// Runs the meshjob command as the binary runs it (src/cli/main.ts `meshjob`), with its streams in memory.
import { CliIo, meshjob, Spool } from '../../src/cli/main';

/** What a run printed, and its exit code. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of a run in memory. */
export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Hands stdin over in chunks of this many bytes (default: all at once). */
  readonly chunkSize?: number;
}

/** Runs `meshjob ARGV` with `stdin`; stdout and stderr are collected. */
export async function runMeshjob(argv: string[], stdin: string | Buffer = '', options: RunOptions = {}): Promise<RunResult> {
  const input = typeof stdin === 'string' ? Buffer.from(stdin, 'utf-8') : stdin;
  const size = options.chunkSize ?? Math.max(input.length, 1);
  async function* chunks() {
    for (let i = 0; i < input.length; i += size) yield input.subarray(i, i + size);
  }
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  // A sink's chunk holds only during the call (src/cli/main.ts `Sink`): it is copied.
  const collect = (into: Buffer[]) => ({ write: (c: Buffer | string) => { into.push(typeof c === 'string' ? Buffer.from(c, 'utf-8') : Buffer.from(c)); } });
  const memorySpool = (): Spool => {
    let held: Buffer[] = [];
    return {
      write: (c) => { held.push(Buffer.from(c)); },
      replay: async (to) => {
        for (const c of held) await to.write(c);
        held = [];
      },
      discard: () => { held = []; },
    };
  };
  const io: CliIo = {
    stdin: chunks(), stdout: collect(stdout), stderr: collect(stderr), env: options.env ?? {}, spool: memorySpool,
  };
  const code = await meshjob(argv, io);
  return { code, stdout: Buffer.concat(stdout).toString('utf-8'), stderr: Buffer.concat(stderr).toString('utf-8') };
}
