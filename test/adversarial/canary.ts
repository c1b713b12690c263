import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/**
 * An executable whose path needs no quoting ([A-Za-z0-9/_.-] only) and which, run by any means
 * (command substitution, backticks, after a separator, as a glob's match), creates `marker`.
 */
export class CanaryCommand {
  public readonly dir: string;
  public readonly path: string;
  public readonly marker: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'meshjob-canary-'));
    this.path = join(this.dir, 'pwn');
    this.marker = join(this.dir, 'PWNED');
    writeFileSync(this.path, `#!/bin/sh\necho "$0 $*" >> ${this.marker}\n`);
    chmodSync(this.path, 0o755);
  }

  /** Whether the canary ever ran. */
  public get sang(): boolean {
    return existsSync(this.marker);
  }

  /** Files in the canary's dir other than the canary itself (anything a payload created). */
  public strays(): string[] {
    return readdirSync(this.dir).filter((f) => f !== 'pwn');
  }

  public remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
