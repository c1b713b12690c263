import { cdk8s, javascript, JsonFile, release } from 'projen';

/**
 * The Node.js a contributor's toolchain needs (see devEngines below): what every development
 * package of package-lock.json accepts.
 */
const CONTRIBUTOR_NODE = '^20.19.0 || ^22.13.0 || >=24.0.0';
/** Never test files: dependencies, and the consumer apps (whole cdk8s apps with their own tests). */
const IGNORED_TEST_PATHS = ['/node_modules/', '<rootDir>/test/fixtures/'];

const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'meshjob',
  description:
    'cdk8s constructs for Kubernetes Jobs and CronJobs that complete inside a service mesh: ' +
    'wait for the proxy, run the command, stop the proxy, keep the exit code.',
  // Unpublished: no public repository, homepage or contact address exists yet, so none is named.
  // jsii needs a repository field: it says "unpublished" instead of a made-up URL.
  author: 'MeshJob maintainers',
  authorAddress: '',
  repositoryUrl: 'unpublished',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  keywords: [
    'cdk8s', 'cdk8s-plus', 'kubernetes', 'job', 'cronjob', 'istio', 'linkerd', 'consul', 'kuma', 'envoy',
    'service-mesh', 'sidecar', 'native-sidecars', 'helm', 'post-renderer',
  ],
  // Two floors. A user's app (engines): the compiled library is ES2022 and cdk8s, cdk8s-plus-28
  // and constructs declare node >= 16.20; 18 is the floor, one line above what they allow.
  minNodeVersion: '18.0.0',
  // A contributor's toolchain (devEngines, checked by npm before install, ci and run): the
  // strictest `engines` among the development packages of package-lock.json, with the release
  // tool pinned below (jsii >= 20.16; eslint-visitor-keys 5 and @napi-rs/wasm-runtime
  // ^20.19.0 || ^22.13.0 || >= 23.5/24). .ci/run checks the same range.
  devEngines: { runtime: { name: 'node', version: CONTRIBUTOR_NODE, onFail: 'error' } },
  // projen's release bump (`npx projen release`) runs commit-and-tag-version; 13 and its
  // conventional-changelog packages ask for node >= 22 (85 lines of EBADENGINE at `npm ci` on
  // Node 20). 12 asks for >= 18 and reads the same .versionrc.json projen writes.
  bumpPackage: 'commit-and-tag-version@^12',

  // Every language cdk8s ships in. Names only: nothing is published yet (release below is manual).
  publishToPypi: { distName: 'meshjob', module: 'meshjob' },
  publishToMaven: { javaPackage: 'org.meshjob', mavenGroupId: 'org.meshjob', mavenArtifactId: 'meshjob' },
  publishToNuget: { dotNetNamespace: 'MeshJob', packageId: 'MeshJob' },
  publishToGo: { moduleName: 'github.com/meshjob/meshjob-go', packageName: 'meshjob' },

  // Toolchain: TypeScript 5.9 (ts-node does not run on 7), jsii of the same line.
  jsiiVersion: '~5.9.0',
  typescriptVersion: '~5.9.0',
  cdk8sVersion: '2.68.12',
  constructsVersion: '10.3.0',
  peerDeps: ['cdk8s-plus-28@^2.2.0'],
  // The command-line post-renderer parses YAML; jsii libraries bundle their non-jsii dependencies.
  bundledDeps: ['yaml@^2.6.0'],
  bin: { meshjob: 'lib/cli/main.js' },
  // Native sidecars (ContainerRestartPolicy.ALWAYS) need cdk8s-plus-28 >= 2.2.0; the registry
  // here serves 2.3.4 as the lowest such release, so the library is built and tested against it.
  peerDependencyOptions: { pinnedDevDependency: false },
  devDeps: [
    '@types/node@^20',
    'cdk8s@2.68.12',
    'cdk8s-plus-28@2.3.4',
    'constructs@10.3.0',
    'kubernetes-models@4.5.1',
    'fast-check@^3',
    'cdk8s-cli@^2.117.0',
    // The newest cdk8s-plus line the registry serves, so that `npm ci` caches it for the consumer
    // test's offline app (test/consumer/), which applies MeshJobs.applyTo to its typed Job.
    'cdk8s-plus-34@2.0.54',
    // The line cdk8s-cli brings (cdk8s init's apps use it): named so that the cdk8s-plus lines
    // test (test/consumer/plus-lines.test.ts) compiles against it, at the version cdk8s-cli installs.
    'cdk8s-plus-33@2.5.57',
    // The YAML library the transformer benchmark measures itself against (bench/transformer.ts).
    'js-yaml@4.3.2',
  ],

  // No hosted CI or release automation: `.ci/run` is the project's CI.
  github: false,
  depsUpgrade: false,
  // Releases are cut by hand (`npx projen release`): projen bumps the version from the
  // conventional commits since the last tag and prepends their notes to CHANGELOG.md.
  release: true,
  releaseTrigger: release.ReleaseTrigger.manual({ changelogPath: 'CHANGELOG.md' }),
  buildWorkflow: false,
  pullRequestTemplate: false,

  // The consumer apps import 'meshjob' as a user would; they compile against the installed package.
  tsconfigDev: { compilerOptions: {}, exclude: ['fixtures/consumer'] },
  // The lint check reports and never rewrites: `npx projen test` and CI fail on a lint error,
  // fixable or not. `npx projen eslint --fix` fixes what it can.
  eslintOptions: { dirs: ['src'], devdirs: ['test', 'build-tools'], commandOptions: { fix: false } },
  jestOptions: {
    // Snapshots can fail: `test` runs jest with --ci; `test:update` rewrites them on purpose.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      // test/fixtures/consumer/ holds whole cdk8s apps with their own tests, run inside the apps.
      testPathIgnorePatterns: IGNORED_TEST_PATHS,
      // The consumer apps' package.json files are not modules of this repository (jest would
      // print a "Haste module naming collision" for their shared name).
      modulePathIgnorePatterns: ['<rootDir>/test/fixtures/consumer/'],
      testTimeout: 60_000,
      collectCoverage: false,
      // The repository's own snapshots show the wrapper script as users' do: one line naming its
      // version (src/testing/), so a change of the script is one line per container, not kilobytes.
      snapshotSerializers: ['<rootDir>/src/testing/jest-serializer.ts'],
    },
  },
});

// npm 11 runs no dependency's install script unless package.json allows it, and lists the
// packages it skipped after every install. None of these is needed, so each is denied by name
// (npm install-scripts ls shows what is left): @parcel/watcher builds from source only without
// its prebuilt binary (installed), backport is a CLI cdk8s lists as optional, unrs-resolver's
// postinstall fetches a binding that is installed.
project.package.addField('allowScripts', { '@parcel/watcher': false, 'backport': false, 'unrs-resolver': false });

// The registry reachable here serves unrs-resolver 1.13.0 (eslint's import resolver) without its
// other platforms' bindings, which leaves package-lock.json unusable for `npm ci`; 1.12.2 is whole.
project.package.addField('overrides', { 'unrs-resolver': '1.12.2' });

// The wrapper script is a runtime asset read next to the compiled module.
project.compileTask.exec('mkdir -p lib/runtime && cp src/runtime/wrapper.sh lib/runtime/wrapper.sh');
project.npmignore?.addPatterns('!/lib/runtime/wrapper.sh', '/examples/', '/bench/', '/.ci/');

// What the package ships, as an allow-list (npm adds package.json, README.md and LICENSE itself):
// the compiled library and its bin, the jsii assembly other languages load, the docs, and the
// Helm 4 plugin. Nothing else of the repository (scripts/, docs/, test/, examples/, bench/).
project.package.addField('files', ['lib/', '.jsii', 'API.md', 'CHANGELOG.md', 'helm-plugin/', 'kustomize-plugin/']);

// jsii-pacmak packs what jsii compiled (.jsii and lib/), so `package:js` on a fresh clone, and a
// plain `npm pack`, compile first when nothing is compiled or a source changed since.
const compileIfStale = project.addTask('compile:if-stale', {
  description: 'Compile when .jsii is missing or older than src/, README.md or package.json',
  condition: '[ ! -f .jsii ] || [ ! -f lib/runtime/wrapper.sh ] || [ -n "$(find src README.md package.json -newer .jsii -print -quit)" ]',
});
compileIfStale.spawn(project.compileTask);
project.tasks.tryFind('package:js')?.prependSpawn(compileIfStale);
project.addTask('prepack', { description: 'npm runs this before it packs', steps: [{ spawn: compileIfStale.name }] });

// -- Two test tiers ---------------------------------------------------------------------------
// `npx projen test`, the README's command: the unit, property (few generated cases, fixed seed),
// snapshot and emulated-pod tests, then the lint check; minutes on two cores. `npx projen
// test:long`: the suites that take minutes or need more than node (the long fuzzing, podman, the
// packed library in apps, the jsii bindings), every property test at its full count from a fresh
// seed. CI (.ci/run) runs both. A test picks its case count with testCases() (test/adversarial/arbitraries.ts):
//   MESHJOB_TEST_TIER=long            set by test:long: every property test runs its full count
//   MESHJOB_TEST_CASES_<SUITE>=N      one suite's count, either tier (ARG_FIDELITY, ARG_GENERATOR,
//                                     BAD_INPUT, INJECTION, KUBECTL are taken)
//   MESHJOB_TEST_SEED=N               the seed of every property test (replays a failure)

/**
 * Suites only the long tier runs: a real runtime, packaging and installing, code generation; and
 * injection.test.ts, whose generated configurations (MJT_INJECTION_RUNS) come from a fresh seed
 * and must reach given slots: too few of them for the fast tier would fail by chance.
 */
const LONG_ONLY = [
  'test/e2e/podman.test.ts', 'test/consumer/consumer-app.test.ts', 'test/consumer/bindings.test.ts',
  'test/adversarial/injection.test.ts',
];
/**
 * Tests that depend on a wall-clock margin, skipped by name in the fast tier and run in the long
 * tier: none. A test takes its timing from its work (README, Development); list one here only
 * while it is being fixed.
 */
const WALL_CLOCK_TESTS: Array<{ file: string; test: string }> = [];
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Property tests the long tier runs again at their full count: every test file that calls
 * testCases() or reads MESHJOB_TEST_TIER or a MESHJOB_..._CASES variable, found when the task runs
 * (a new one needs no change here).
 */
const PROPERTY_TESTS = '$(grep -rlE "testCases[(]|MESHJOB_TEST_TIER|MESHJOB_[A-Z_]*CASES" test --include="*.test.ts")';
// jest runs a worker per core (its default leaves one core idle): most tests wait on child
// processes (shells, HTTP, podman). Every suite took 7.5 min with one worker on an idle 2-core
// machine, and 6.9 min with two at a load average of 5 to 8.
const WORKERS = '--maxWorkers=100%';

const ignore = [...IGNORED_TEST_PATHS, ...LONG_ONLY.map((f) => `<rootDir>/${f.replace(/\./g, '\\.')}$`)];
project.testTask.reset();
const wallClockNames = WALL_CLOCK_TESTS.map((t) => escapeRegExp(t.test)).join('|');
const notWallClock = WALL_CLOCK_TESTS.length === 0 ? [] : [`--testNamePattern=^(?!.*(?:${wallClockNames})$)`];
// eslint runs beside jest (scripts/test-fast.sh), so a lint error shows even when a test fails.
project.testTask.execArgs([
  'bash', 'scripts/test-fast.sh',
  'jest', '--passWithNoTests', '--ci', WORKERS, ...ignore.map((p) => `--testPathIgnorePatterns=${p}`), ...notWallClock,
], { receiveArgs: true });
project.testTask.description = 'Fast tier: unit, property, snapshot and emulated-pod tests (jest --ci), with eslint beside them';

project.addTask('test:long', {
  description: 'Long tier: podman, the packed library in apps, the jsii bindings, every property test at full count',
  env: {
    MESHJOB_TEST_TIER: 'long',
    // A report of its own beside the fast tier's test-reports/junit.xml.
    JEST_JUNIT_OUTPUT_NAME: 'junit-long.xml',
  },
  exec: `jest --ci ${WORKERS} ${[...new Set([...LONG_ONLY, ...WALL_CLOCK_TESTS.map((t) => t.file)])].join(' ')} ${PROPERTY_TESTS}`,
  receiveArgs: true,
});

/**
 * A folder of TypeScript that runs with ts-node beside the library (examples, scripts, benchmarks):
 * its own tsconfig (so eslint's project service finds its files) and a lint pattern.
 */
function tsFolder(folder: string): string {
  new JsonFile(project, `${folder}/tsconfig.json`, {
    obj: {
      extends: '../tsconfig.json',
      compilerOptions: { noEmit: true, rootDir: '..', isolatedModules: true },
      include: ['**/*.ts'],
    },
  });
  project.eslint?.addLintPattern(folder);
  return `ts-node --project ${folder}/tsconfig.json`;
}

project.eslint?.addIgnorePattern('test/fixtures/consumer/');

// The API reference for Python users too, rendered from the same assembly as API.md.
project.tasks.tryFind('docgen')?.exec('jsii-docgen -l python -o API.python.md');

// Examples: compiled with the library's sources and rendered to YAML by one command.
const examples = tsFolder('examples');
project.addTask('examples', {
  description: 'Render every example in examples/ to examples/dist/*.k8s.yaml',
  exec: `${examples} examples/synth.ts`,
});
project.gitignore.exclude('/examples/dist/');
// The examples as a Helm chart (cdk8s-cli >= 2.117.0 writes Chart.yaml and templates/).
project.addTask('examples:helm', {
  description: 'Render the examples as a Helm chart in examples/dist/helm',
  exec: `cdk8s synth --app "${examples} examples/helm-app.ts" --format helm --chart-version 0.1.0 --output examples/dist/helm`,
});

// Generated parts of README.md (the lifecycle/version table), from the code that decides.
const scripts = tsFolder('scripts');
project.addTask('docs', {
  description: 'Rewrite the generated parts of README.md',
  exec: `${scripts} scripts/docs.ts`,
});

// See a Job finish: examples/istio-job.ts beside a stand-in proxy, on podman or the in-process
// kubelet, then the same Job without MeshJob (scripts/demo.ts; `--runtime podman|kubelet`).
project.addTask('demo', {
  description: 'Run examples/istio-job.ts beside a stand-in Istio proxy, with and without MeshJob, and print both timelines',
  exec: `${scripts} scripts/demo.ts`,
  receiveArgs: true,
  // Starts in seconds instead of ten: test/demo.test.ts type-checks scripts/demo.ts in the test tier.
  env: { TS_NODE_TRANSPILE_ONLY: 'true' },
});

// Benchmarks: outside the test task; print tables and write bench/RESULTS.md.
project.addTask('bench', {
  description: 'Synth, wrapper-latency and pod-overhead benchmarks; writes bench/RESULTS.md',
  exec: `${tsFolder('bench')} bench/run.ts`,
});

project.synth();
