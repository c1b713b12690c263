// Shell words: how a value is written into the wrapper's settings argument, and read back.

const PLAIN_WORD = /^[A-Za-z0-9_./:@%+,=-]+$/;

/** A value as one shell word: bare when it has only safe characters, else single-quoted. */
export function shellWord(value: string): string {
  return PLAIN_WORD.test(value) ? value : `'${value.replace(/'/g, '\'\\\'\'')}'`;
}

/**
 * The words of a line of shell words as a POSIX shell splits them (no expansions): bare
 * characters, single-quoted runs and backslash-escaped characters join into one word until a
 * space or tab. Reads everything shellWord writes; undefined for a quote left open.
 */
export function readShellWords(line: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === ' ' || ch === '\t' || ch === '\n') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (ch === '\'') {
      const end = line.indexOf('\'', i + 1);
      if (end < 0) return undefined;
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (ch === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
