import { existsSync, readFileSync } from 'fs';
import { join } from 'path';

// docs/guarantees.md names, for each guarantee, the tests that prove it as "`file` › title". Every
// one of those tests must exist, so that the document cannot point at a test that was renamed or
// removed. Titles are compared as written in the source, with jest's and template literals'
// parameters (%s, %i, %j, ${...}) and numbers standing for each other.

const ROOT = join(__dirname, '..', '..');
const DOC = join(ROOT, 'docs', 'guarantees.md');

/** Every (file, title) reference of the document. */
function references(): Array<{ file: string; title: string }> {
  const refs: Array<{ file: string; title: string }> = [];
  for (const line of readFileSync(DOC, 'utf8').split('\n')) {
    if (!line.startsWith('|')) continue;
    for (const m of line.matchAll(/`(test\/[^`]+\.test\.ts)` › (.+?)(?=<br>| \|\s*$)/g)) refs.push({ file: m[1], title: m[2].trim() });
  }
  return refs;
}

const normalise = (s: string): string => s
  .replace(/\\'/g, "'")
  .replace(/\$\{[^}]*\}/g, '#')
  .replace(/%[sdifjo#]/g, '#')
  .replace(/\d+/g, '#');

describe('docs/guarantees.md', () => {
  test('names only tests that exist', () => {
    const refs = references();
    expect(refs.length).toBeGreaterThan(60);
    const missing = refs.filter(({ file, title }) => {
      const path = join(ROOT, file);
      return !existsSync(path) || !normalise(readFileSync(path, 'utf8')).includes(normalise(title));
    });
    expect(missing).toEqual([]);
  });

  test('covers every test of the wrapper runtime and rendered-pod suites', () => {
    const named = new Set(references().map(({ file, title }) => `${file} › ${normalise(title)}`));
    const uncovered: string[] = [];
    let seen = 0;
    for (const file of [
      'test/runtime/wrapper.test.ts', 'test/runtime/sidecars.test.ts', 'test/runtime/shared-state.test.ts', 'test/runtime/pod-info.test.ts',
      'test/e2e/rendered-pod.test.ts', 'test/e2e/pod-info.test.ts',
    ]) {
      const source = readFileSync(join(ROOT, file), 'utf8');
      for (const m of source.matchAll(/\btest(?:\.each\([\s\S]*?\))?\(\s*'((?:[^'\\]|\\.)*)'/g)) {
        seen++;
        if (!named.has(`${file} › ${normalise(m[1])}`)) uncovered.push(`${file} › ${m[1]}`);
      }
    }
    expect(seen).toBeGreaterThan(30);
    expect(uncovered).toEqual([]);
  });
});
