import { parseDuration } from '../../src/diagnose/main';
import { formatDuration } from '../../src/diagnose/report';

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
