import { readFileSync } from 'fs';
import { join } from 'path';
import { WrapperReason } from '../../src/runtime/exit-codes';
import { escapeKubeletExpansion } from '../../src/runtime/kubelet';
import { wrapperScript } from '../../src/runtime/script';
import { expandKubelet } from '../support/kubelet';

// The cases of kubernetes/third_party/forked/golang/expansion/expand_test.go (doExpansionTest).
const KUBE_ENV = { VAR_A: 'A', VAR_B: 'B', VAR_C: 'C', VAR_REF: '$(VAR_A)', VAR_EMPTY: '' };
const KUBE_CASES: Array<[string, string]> = [
  ['$(VAR_A)', 'A'],
  ['$(VAR_A)-$(VAR_A)', 'A-A'],
  ['$(VAR_A)-1', 'A-1'],
  ['___$(VAR_B)___', '___B___'],
  ['___$(VAR_C)', '___C'],
  ['$(VAR_A)_$(VAR_B)_$(VAR_C)', 'A_B_C'],
  ['$$(VAR_B)_$(VAR_A)', '$(VAR_B)_A'],
  ['$$(VAR_A)_$$(VAR_B)', '$(VAR_A)_$(VAR_B)'],
  ['f000-$$VAR_A', 'f000-$VAR_A'],
  ['foo\\$(VAR_C)bar', 'foo\\Cbar'],
  ['foo\\\\$(VAR_C)bar', 'foo\\\\Cbar'],
  ['foo\\\\\\\\$(VAR_A)bar', 'foo\\\\\\\\Abar'],
  ['$(VAR_A$(VAR_B))', '$(VAR_A$(VAR_B))'],
  ['$(VAR_A$(VAR_B)', '$(VAR_A$(VAR_B)'],
  ['$(VAR_REF)', '$(VAR_A)'],
  ['%%$(VAR_REF)--$(VAR_REF)%%', '%%$(VAR_A)--$(VAR_A)%%'],
  ['foo$(VAR_EMPTY)bar', 'foobar'],
  ['foo$(VAR_Awhoops!', 'foo$(VAR_Awhoops!'],
  ['f00__(VAR_A)__', 'f00__(VAR_A)__'],
  ['$?_boo_$!', '$?_boo_$!'],
  ['$VAR_A', '$VAR_A'],
  ['$(VAR_DNE)', '$(VAR_DNE)'],
  ['$$$$$$(BIG_MONEY)', '$$$(BIG_MONEY)'],
  ['$$$$$$(VAR_A)', '$$$(VAR_A)'],
  ['$$$$$$$(GOOD_ODDS)', '$$$$(GOOD_ODDS)'],
  ['$$$$$$$(VAR_A)', '$$$A'],
  ['$VAR_A)', '$VAR_A)'],
  ['${VAR_A}', '${VAR_A}'],
  ['$(VAR_B)_______$(A', 'B_______$(A'],
  ['$(VAR_C)_______$(', 'C_______$('],
  ['$(VAR_A)foobarzab$', 'Afoobarzab$'],
  ['foo-\\$(VAR_A', 'foo-\\$(VAR_A'],
  ['--$($($($($--', '--$($($($($--'],
  ['$($($($($--foo$(', '$($($($($--foo$('],
  ['foo0--$($($($(', 'foo0--$($($($('],
  ['$(foo$$var)', '$(foo$$var)'],
  ['\n', '\n'],
];

describe('expandKubelet', () => {
  test.each(KUBE_CASES)('expands %j to %j as the kubelet does', (input, expected) => {
    expect(expandKubelet(input, KUBE_ENV)).toBe(expected);
  });

  test('keeps "$(" verbatim when no ")" follows, but still folds a later "$$"', () => {
    expect(expandKubelet('$($$', KUBE_ENV)).toBe('$($');
  });

  test('replaces an empty "$()" only when the empty name is defined', () => {
    expect(expandKubelet('a$()b', {})).toBe('a$()b');
    expect(expandKubelet('a$()b', { '': 'X' })).toBe('aXb');
  });

  test('does not expand names inherited from Object.prototype', () => {
    expect(expandKubelet('$(toString)$(constructor)', {})).toBe('$(toString)$(constructor)');
  });
});

describe('escapeKubeletExpansion survives the kubelet', () => {
  // Kubernetes >= 1.30 accepts any printable name but "=" (RelaxedEnvironmentVariableValidation), so
  // even the names inside the script's arithmetic "$((...))" can be defined.
  const env: Record<string, string> = {
    'now': 'X',
    'up': 'Y',
    'pid': 'P',
    'code': 'C',
    'id': 'I',
    'MESHJOB_DIR': '/elsewhere',
    '': 'E',
    '(n + 1': 'N',
    '(0x$val & 2': 'V',
  };
  const tricky = [
    '', '$', '$$', '$$$', '$(', '$()', '$(now)', '$$(now)', '$$$(now)', '$(now', '$(id)x$(up)', 'a$', '$a',
    '${now}', '$((now + 1))', '$(( $(up) ))', '`id`', '\\$(now)', 'x$)', '$)(', '$($($(', '$($$(now))',
    '€$(now)😀', '\n$(now)\n', 'plain text',
  ];

  test.each(tricky.map((s) => [s]))('round-trips %j', (s) => {
    expect(expandKubelet(escapeKubeletExpansion(s), env)).toBe(s);
  });

  test('round-trips the rendered wrapper script', () => {
    const script = wrapperScript(['wget', 'curl', 'peers', 'single', 'sidecars', 'sidecar-role', 'kill', 'pod', 'armed']);
    expect(expandKubelet(escapeKubeletExpansion(script), env)).toBe(script);
  });

  test('is needed: the unescaped wrapper script does not survive the same env', () => {
    // Guards the round-trip test above: with this env it can fail.
    const script = wrapperScript(['wget', 'curl', 'peers', 'single', 'sidecars', 'sidecar-role', 'kill', 'pod', 'armed']);
    expect(expandKubelet(script, env)).not.toBe(script);
  });
});

describe('the wrapper\'s termination-message reasons', () => {
  test('are the ones wrapper.sh writes, and it writes no other', () => {
    const source = readFileSync(join(__dirname, '..', '..', 'src', 'runtime', 'wrapper.sh'), 'utf8');
    // `report REASON ...`, or `refuse REASON CODE ...` for a container that ends without running its command.
    const written = [...source.matchAll(/\b(?:report|refuse) ([a-z-]+) /g)].map((m) => m[1]);
    expect(new Set(written)).toEqual(new Set(Object.values(WrapperReason)));
  });
});
