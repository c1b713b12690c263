import { readFileSync } from 'fs';
import { join } from 'path';

const REPO = join(__dirname, '..', '..', '..');

/**
 * The fenced code block that follows `<!-- test: NAME -->` in a Markdown file of this repository:
 * the tests run the very commands and files the documentation shows.
 */
export function docBlock(file: string, name: string): string {
  const text = readFileSync(join(REPO, file), 'utf-8');
  const marker = `<!-- test: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${file} has no "${marker}": mark the block the test runs`);
  const m = /```[^\n]*\n([\s\S]*?)```/.exec(text.slice(at + marker.length));
  if (!m) throw new Error(`${file}: no code block after "${marker}"`);
  return m[1];
}

/** The line of a Markdown file's code blocks that starts with `prefix` (e.g. the README's Helm 3 line). */
export function docLine(file: string, prefix: string): string {
  const text = readFileSync(join(REPO, file), 'utf-8');
  const line = text.split('\n').find((l) => l.trim().startsWith(prefix));
  if (!line) throw new Error(`${file} has no line starting with "${prefix}"`);
  return line.trim().replace(/\s+#.*$/, '');
}
