import { kubectlRead } from './kubectl';
import { readYaml11 } from './pyyaml';
import { isPlainSafe, resolvePlain } from '../../src/cli/yaml/resolve';

// Plain scalars as kubectl resolves them (go-yaml v2 through sigs.k8s.io/yaml), asked of kubectl.

const BODIES = [
  '0', '00', '08', '0o17', '0O17', '0x1F', '0X1f', '0b11', '0B11', '0B12', '0O8', '0x', '0o', '0b', '1_000', '0x_1F', '0_x1F',
  '1e3', '1E3', '1e+3', '1.', '.5', '._5', '.5_0', '.5e1_0', '.e1', '1e400', '1e-400', '1.5e-3', '1_0.5', '12e3', '0.', '0.0',
  '9223372036854775807', '9223372036854775808', '18446744073709551615', '18446744073709551616', '0xFFFFFFFFFFFFFFFF',
  '0b_1', '1__0', '_1', '1_', 'inf', 'nan', 'Infinity', '0x1p3', 'e5', 'E0', '1:20', '1:20:30', '190:20:30.15',
  '2001-12-14', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 -5', '1.2.3', '0777', '0o777_7',
];
const WORDS = [
  'y', 'Y', 'yes', 'Yes', 'YES', 'yEs', 'n', 'N', 'no', 'NO', 'on', 'On', 'ON', 'oN', 'off', 'Off', 'OFF', 'true', 'True', 'TRUE',
  'tRue', 'false', 'False', 'FALSE', '~', 'null', 'Null', 'NULL', 'nULL', '<<', '=', 'yesterday', 'online', 'Nope', '-', '+', '.',
  '-.inf', '+.inf', '.inf', '.Inf', '.INF', '.nan', '.NaN', '.NAN', '-.nan', 'x_1', 'o17',
];
const CANDIDATES = [...WORDS, ...BODIES.flatMap((b) => [b, `+${b}`, `-${b}`])];
const nonFinite = (s: string) => typeof resolvePlain(s) === 'number' && !Number.isFinite(resolvePlain(s));

/** The ConfigMap that holds `scalars` as plain values under keys v0, v1, … */
const configMap = (scalars: string[]) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: scalars\ndata:\n${scalars.map((s, i) => `  v${i}: ${s}\n`).join('')}`;

describe('plain scalars', () => {
  test('GIVEN numbers in every Go literal form, YAML 1.1 and 1.2 forms, bool and null words WHEN kubectl reads them THEN resolvePlain gives the same value', () => {
    const finite = CANDIDATES.filter((s) => !nonFinite(s) && s !== '-');
    const [reading] = kubectlRead([configMap(finite)]);
    if (!('objects' in reading)) throw new Error(reading.error);
    const data = reading.objects[0].data;
    // JSON has no -0: kubectl prints 0.
    expect(JSON.parse(JSON.stringify(finite.map((s) => [s, resolvePlain(s)]), (_, v) => (typeof v === 'bigint' ? Number(v) : v)))).toEqual(finite.map((s, i) => [s, data[`v${i}`]]));
  });

  test('GIVEN infinities and NaN WHEN kubectl reads them THEN it fails (JSON has no such numbers), as resolvePlain\'s non-finite numbers say', () => {
    const words = CANDIDATES.filter(nonFinite);
    expect(words).toEqual(expect.arrayContaining(['.inf', '-.inf', '.nan']));
    for (const reading of kubectlRead(words.map((w) => configMap([w])))) expect(reading).toEqual({ error: expect.stringMatching(/unsupported value/) });
  });

  test('GIVEN the same words as map keys WHEN kubectl reads them THEN a key that reads as a bool or a number is named in its JSON form', () => {
    const keys = ['y', 'n', 'yes', 'off', 'TRUE', '0o17', '0x1F', '1_000', '08', '1e3', '1.5', 'plain'];
    const readings = kubectlRead(keys.map((k) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: k}\ndata:\n  ${k}: v\n`));
    expect(readings.map((r) => ('objects' in r ? Object.keys(r.objects[0].data)[0] : r.error)))
      .toEqual(['true', 'false', 'true', 'false', 'true', '15', '31', '1000', '8', '1000', '1.5', 'plain']);
  });
});

describe('strings written plain', () => {
  test('GIVEN every candidate WHEN isPlainSafe allows it plain THEN kubectl and PyYAML both read it back as the same string', () => {
    const plain = [...CANDIDATES, 'registry.example.com/app:1', '--mesh=istio', '-c', 'a b', 'a:b', 'a #b', 'a# b', 'é日本', 'x?']
      .filter(isPlainSafe);
    expect(plain).toEqual(expect.arrayContaining(['yesterday', '-c', 'a:b', 'é日本']));
    expect(plain).not.toEqual(expect.arrayContaining(['0o17']));
    const text = configMap(plain);
    const [reading] = kubectlRead([text]);
    if (!('objects' in reading)) throw new Error(reading.error);
    expect(plain.map((_, i) => reading.objects[0].data[`v${i}`])).toEqual(plain);
    expect(Object.values(readYaml11(text)[0].data)).toEqual(plain);
  });

  test.each(['0o17', '0X1F', '0B11', '+0x1F', '1_000', '<<', '=', 'y', 'on', '1:20', '2001-12-14', '1e3', '.5', '~', 'null', ' lead', 'trail ', '---x', 'a: b', 'a #b', '\u0085'])(
    'writes "%s" quoted', (s) => {
      expect(isPlainSafe(s)).toBe(false);
    });
});
