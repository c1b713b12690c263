import { Finding, FindingKind } from '../../src/diagnose/findings';
import { parseDuration } from '../../src/diagnose/main';
import { formatDuration, formatTable } from '../../src/diagnose/report';

describe('"stuck for" as kubectl prints ages', () => {
  test.each([
    [0, '0s'],
    [45, '45s'],
    [90, '1m30s'],
    [3600, '1h'],
    [3 * 3600 + 5 * 60 + 59, '3h5m'],
    [86400 + 3600 + 1, '1d1h'],
    [2 * 86400 + 30, '2d'],
  ])('shows %i seconds as %s: the two largest units, no trailing zero unit', (seconds, shown) => {
    expect(formatDuration(seconds)).toBe(shown);
  });
});

describe('--stuck-after', () => {
  test.each([['90s', 90], ['5m', 300], ['1h', 3600], ['300', 300]])('reads %s as %i seconds', (value, seconds) => {
    expect(parseDuration(value)).toBe(seconds);
  });

  test.each(['', '5 m', '-1m', '1.5h', '1d'])('fails on %j', (value) => {
    expect(parseDuration(value)).toBeUndefined();
  });
});

describe('the table', () => {
  const finding = (pod: string, cause: string): Finding => ({
    kind: FindingKind.SIDECAR_RUNNING,
    namespace: 'etl',
    job: 'export',
    pod,
    container: 'istio-proxy',
    mesh: 'istio 1.24.2',
    stuckSeconds: 600,
    cause,
    fix: 'stop the\x1b[2J proxy',
  });

  test('aligns the columns on the cells as shown, escapes included', () => {
    const table = formatTable([finding('export-\x1b[31mx', 'a\tb'), finding('export-y', 'ok')]);
    const [header, first, , second] = table.split('\n');
    const column = (line: string, n: number) => line.split(/ {3}(?=\S)/)[n];
    expect(column(first, 2)).toBe('export-\\x1b[31mx');
    expect(header.indexOf('STUCK FOR')).toBe(first.indexOf('10m'));
    expect(second.indexOf('10m')).toBe(first.indexOf('10m'));
    expect(first.endsWith('a\\tb')).toBe(true);
  });

  test('escapes the fix under each row', () => {
    expect(formatTable([finding('p', 'c')]).split('\n')[2]).toBe('  fix: stop the\\x1b[2J proxy');
  });

  test('holds any number of rows (no spread of every row into one call)', () => {
    const many = Array.from({ length: 200_000 }, (_, i) => finding(`p${i}`, 'c'));
    expect(formatTable(many).split('\n')).toHaveLength(2 * many.length + 2);
  });
});
