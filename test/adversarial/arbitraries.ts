import * as fc from 'fast-check';

// Generators of strings that a shell, the kubelet or a careless wrapper would mangle.

/** Pieces a POSIX shell gives meaning to (quoting, expansion, globbing, operators, options). */
export const SHELL_PIECES = [
  ' ', '  ', '\t', '\n', '\r\n', '\r', "'", '"', "'\"'\"'", '\\', '\\\\', '\\n', '\\0', '\\x41', '`', '`id`', '$(id)', '$( id )',
  '${PATH}', '${PATH:-x}', '${#}', '$((1+1))', '$?', '$#', '$@', '$*', '$0', '$1', '$-', '$!', '$IFS', '"$@"',
  '*', '?', '[a-z]*', '[!x]', '[', ']', '{a,b}', '~', '~root', '-', '--', '-c', '-e', '-n', '-E', '--help', '--version',
  '--flag=value', '-x=$(id)', ';', '&', '&&', '|', '||', '>', '>>', '<', '<<EOF', '2>&1', '#', '!', '(', ')', '{', '}',
  '%s', '%b', '%n', '%%', '%d', '\u00a0', '\u200b', '\u2028', '\x7f', '\x1b[31m', '\x01', '\x02', '\x08', '\f', '\v',
  '=', 'IFS=x', 'a=b', 'exit 1', 'kill -9 $$',
] as const;

/** Names a `$(NAME)` reference can use. None starts with MESHJOB_: see the known-bug test. */
export const REFERENCE_NAMES = ['APP_NAME', 'EMPTY', 'HOME', 'PATH', 'X', '', 'a b', '(', 'now', 'pid', 'rc', 'id', 'x y)'] as const;

/** The user env the generated containers have (what `$(APP_NAME)` and `$(EMPTY)` expand to). */
export const USER_ENV: Record<string, string> = { APP_NAME: 'app "$(HOME)" `id` $$ \\', EMPTY: '' };

/** Pieces of the kubelet's own `$(VAR)` / `$$` syntax. */
const kubeletPiece: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('$', '$$', '$$$', '$$$$', '$(', ')', '$()', '$)', '$($(', '$$(', '$(X', 'X)'),
  fc.constantFrom(...REFERENCE_NAMES).map((n) => `$(${n})`),
  fc.constantFrom(...REFERENCE_NAMES).map((n) => `$$(${n})`),
  fc.constantFrom(...REFERENCE_NAMES).map((n) => `$$$(${n})`),
);

const noNul = (s: string): string => s.replace(/\0/g, '');

/** One piece of an argument. */
const piece: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SHELL_PIECES) },
  { weight: 3, arbitrary: kubeletPiece },
  { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 10 }).map(noNul) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }).map(noNul) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom('😀', '漢字かな', 'e\u0301\u0327', '👩‍💻', 'Ω', '\u{10FFFF}', '\uFEFF', 'ß') },
);

/** One argument: empty, short and tricky, or long (up to 12,000 code points). Never NUL or a lone surrogate: argv cannot carry them. */
export const argument: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 12, arbitrary: fc.array(piece, { minLength: 1, maxLength: 6 }).map((p) => p.join('')) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.array(piece, { minLength: 1, maxLength: 3 }), fc.integer({ min: 200, max: 3000 }))
      // Cut by code points, not UTF-16 units: a lone surrogate is not a string argv can carry.
      .map(([p, n]) => Array.from((p.join('') || 'x').repeat(n)).slice(0, 12_000).join('')),
  },
);

/** An argument list: usually short, sometimes a long list of short arguments. */
export const argumentList: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 9, arbitrary: fc.array(argument, { maxLength: 10 }) },
  { weight: 1, arbitrary: fc.array(fc.array(piece, { maxLength: 3 }).map((p) => p.join('')), { minLength: 40, maxLength: 150 }) },
);

// -- How many cases a property test generates, by test tier ------------------------------------
// `npx projen test` (the fast tier) runs each property test on a few cases from a fixed seed: the
// same cases every run, so it is deterministic. `npx projen test:long` sets MESHJOB_TEST_TIER=long:
// the full count, from a fresh seed (fast-check prints it with any counterexample).

/** True in the long tier (`npx projen test:long`). */
export const LONG_TIER = process.env.MESHJOB_TEST_TIER === 'long';

/** The fast tier's seed of every property test. */
const FAST_SEED = 20_251_207;

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[1-9][0-9]*$/.test(raw)) throw new Error(`${name}=${raw}: give a positive whole number`);
  return Number(raw);
}

/**
 * The number of generated cases of the property test `suite`: `counts.fast` in the fast tier,
 * `counts.long` in the long tier, or MESHJOB_TEST_CASES_<SUITE> in either (SUITE in capitals,
 * e.g. MESHJOB_TEST_CASES_ARG_FIDELITY=5000).
 */
export function testCases(suite: string, counts: { readonly fast: number; readonly long: number }): number {
  return positiveInteger(`MESHJOB_TEST_CASES_${suite}`, LONG_TIER ? counts.long : counts.fast);
}

/**
 * fast-check's seed: MESHJOB_TEST_SEED when set (to replay a counterexample), the fast tier's
 * fixed seed, or none in the long tier (fast-check draws one).
 */
export function testSeed(): number | undefined {
  const raw = process.env.MESHJOB_TEST_SEED;
  if (raw === undefined || raw === '') return LONG_TIER ? undefined : FAST_SEED;
  if (!/^-?[0-9]+$/.test(raw)) throw new Error(`MESHJOB_TEST_SEED=${raw}: give the whole number fast-check printed as "seed"`);
  return Number(raw);
}
