import { accessSync, constants } from 'fs';
import * as kplus from 'cdk8s-plus-28';
import * as fc from 'fast-check';
import { argument, argumentList, REFERENCE_NAMES, testCases, testSeed, USER_ENV } from './arbitraries';
import { Mesh } from '../../src';
import { expandKubelet } from '../support/kubelet';
import { kubeletArgv, mapLimit, runLight } from '../support/light-runner';
import { renderMeshJob } from '../support/render';
import { cleanup, missingPrograms, runWrapper, sharedDir, SHELL_SETUPS } from '../support/wrapper-harness';

// Argument fidelity, property-based: for generated argument lists (empty strings, whitespace,
// quotes, "$", "$(X)", "$$", backticks, "\", globs, leading dashes, newlines, long and unicode
// strings; never NUL), split between the container's `command` and its `args`, the wrapped command
// receives exactly what the kubelet hands the same command unwrapped: each element
// kubelet-expanded with the container's own env (`$$` -> `$`, `$(APP_NAME)` -> its value, an
// undefined `$(HOME)` kept as written). The command is `printf '%s\0'`, which writes its arguments
// NUL-separated: a few ms per run, no proxy, no readiness URL, no quit request.
//
// Argument lists per shell setup: 24 in the fast tier, 1000 in the long tier, or
// MESHJOB_TEST_CASES_ARG_FIDELITY (see testCases); BATCH of them run at once.

const PRINTF = '/usr/bin/printf';
const RUNS = testCases('ARG_FIDELITY', { fast: 24, long: 1000 });
const BATCH = 8;
/** runLight SIGKILLs a case's process group after this long. */
const CASE_DEADLINE_MS = 10_000;
/**
 * The longest one batch can take: its cases run at once, each killed at CASE_DEADLINE_MS, and
 * runLight waits at most 2 s for the pipes of a process that exited.
 */
const BATCH_BOUND_MS = CASE_DEADLINE_MS + 2_000;
/** Generating the lists and comparing the results, beside the runs (a few seconds for 1000 cases). */
const CHECKING_MS = 10_000;

/** What `printf '%s\0' ARGS...` writes: each argument and a NUL; one NUL for no arguments. */
function printed(args: string[]): Buffer {
  return Buffer.from(args.length === 0 ? '\0' : args.map((a) => `${a}\0`).join(''), 'utf8');
}

/** A generated container: `command` = printf, its format, then `split` of the list; `args` the rest. */
interface Case {
  readonly list: string[];
  readonly split: number;
}
const aCase: fc.Arbitrary<Case> = fc.tuple(argumentList, fc.nat()).map(([list, n]) => ({ list, split: n % (list.length + 1) }));

function hasPrintf(): boolean {
  try {
    accessSync(PRINTF, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

describe.each(SHELL_SETUPS)('argument fidelity on $name', (setup) => {
  const missing = [...missingPrograms(setup), ...(hasPrintf() ? [] : [PRINTF])];
  if (missing.length > 0) {
    test.skip(`SKIPPED: this machine lacks ${missing.join(', ')}`, () => undefined);
    return;
  }
  afterEach(cleanup);

  test('the light runner starts the wrapper with exactly the argv and env of runWrapper', async () => {
    const command = [PRINTF, '%s\\0', '$(APP_NAME)', '$$(X)'];
    const args = ['$(MESHJOB_ROLE)', '$$', '`id`'];
    const dir = sharedDir();
    const run = runWrapper({ setup, command, args, env: USER_ENV, settings: { dir } });
    // The same shared dir (named in the wrapper's settings argument): the argv must match element for element.
    const light = kubeletArgv({ setup, command, args, env: USER_ENV }, dir);
    expect(light.argv).toEqual(run.argv);
    const r = await run.result;
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    // No MESHJOB_* variable is in the container's env, so "$(MESHJOB_ROLE)" stays as written, as unwrapped.
    expect(r.stdout.split('\0')).toEqual(['app "$(HOME)" `id` $$ \\', '$(X)', '$(MESHJOB_ROLE)', '$', '`id`', '']);
  });

  test(`hands the command exactly the kubelet-expanded arguments, for ${RUNS} generated argument lists`, async () => {
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(aCase, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const results = await mapLimit(batch, BATCH, (c) => runLight({
          setup,
          command: [PRINTF, '%s\\0', ...c.list.slice(0, c.split)],
          args: c.list.slice(c.split),
          env: USER_ENV,
          deadlineMs: CASE_DEADLINE_MS,
        }));
        ran += batch.length;
        batch.forEach((c, i) => {
          const unwrapped = c.list.map((a) => expandKubelet(a, USER_ENV));
          const r = results[i];
          // One comparison, so that a counterexample shows everything at once: the arguments the
          // command received (printf's NUL-separated output, split) against the unwrapped ones.
          const received = r.stdout.toString('utf8').split('\0').slice(0, -1);
          expect({ code: r.code, signal: r.signal, stderr: r.stderr, received })
            .toEqual({ code: 0, signal: null, stderr: '', received: unwrapped.length === 0 ? [''] : unwrapped });
          // And byte for byte.
          expect(r.stdout.equals(printed(unwrapped))).toBe(true);
        });
      }),
      { numRuns: Math.ceil(RUNS / BATCH), endOnFailure: false, seed: testSeed() },
    );
    expect(ran).toBeGreaterThanOrEqual(RUNS);
  }, Math.ceil(RUNS / BATCH) * BATCH_BOUND_MS + CHECKING_MS);
});

test('the generator reaches every kind of hostile argument it promises', () => {
  // Guards the property above against a generator that silently stopped producing the hard cases.
  const sample = fc.sample(argumentList, { numRuns: 2000, seed: 42 }).flat();
  const has = (re: RegExp): boolean => sample.some((a) => re.test(a));
  expect({
    empty: sample.includes(''),
    whitespace: has(/^\s|\s$/),
    quotes: has(/['"]/),
    dollar: has(/\$[^($]/),
    reference: has(/\$\([A-Za-z_]+\)/),
    escapedDollar: has(/\$\$/),
    backtick: has(/`/),
    backslash: has(/\\/),
    glob: has(/[*?[]/),
    leadingDash: has(/^-/),
    newline: has(/\n/),
    long: has(/^[^]{5000,}$/),
    nonAscii: has(/[^\x00-\x7f]/),
    astral: has(/[\u{10000}-\u{10FFFF}]/u),
    nul: has(/\0/),
    loneSurrogate: has(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/),
    meshjobReference: sample.some((a) => a.includes('$(MESHJOB_')),
  }).toEqual({
    empty: true,
    whitespace: true,
    quotes: true,
    dollar: true,
    reference: true,
    escapedDollar: true,
    backtick: true,
    backslash: true,
    glob: true,
    leadingDash: true,
    newline: true,
    long: true,
    nonAscii: true,
    astral: true,
    nul: false,
    loneSurrogate: false,
    meshjobReference: false,
  });
  expect(REFERENCE_NAMES.some((n) => n.startsWith('MESHJOB_'))).toBe(false);
  // Never what argv cannot carry (a NUL, a lone UTF-16 surrogate): a failure would be the generator's.
  const carriable = (a: string): boolean => !a.includes('\0') && Buffer.from(a, 'utf8').toString('utf8') === a;
  fc.assert(fc.property(argument, carriable), { numRuns: testCases('ARG_GENERATOR', { fast: 2_000, long: 20_000 }), seed: testSeed() });
});

// Once a known bug: the wrapper's settings were MESHJOB_* variables of the wrapped container's
// env, so the kubelet expanded a user argument naming one of them, while the same container
// unwrapped kept it as written. The settings are now one argument of the wrapper's command (src/
// runtime/settings.ts), and the container's env is its own: this guards that.
describe('argument fidelity against the rendered container', () => {
  test('an argument naming a wrapper variable, "$(MESHJOB_CONTAINER)", reaches the command as the kubelet hands it unwrapped', () => {
    const list = ['$(MESHJOB_CONTAINER)', '--dir=$(MESHJOB_DIR)', '$(MESHJOB_READY_URL)', '$(APP_NAME)'];
    const { pod } = renderMeshJob({
      mesh: Mesh.istio(),
      containers: [{
        name: 'report',
        image: 'registry.example.com/report:1.4',
        command: ['/report'],
        args: list,
        envVariables: { APP_NAME: kplus.EnvValue.fromValue('app') },
      }],
    });
    const container = pod.containers[0];
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
    const handed = [...container.command, ...container.args].map((s: string) => expandKubelet(s, env));
    const tail = handed.slice(handed.indexOf('/report') + 1);
    expect(tail).toEqual(list.map((a) => expandKubelet(a, { APP_NAME: 'app' })));
  });
});
