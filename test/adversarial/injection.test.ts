import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Chart, Cron, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as fc from 'fast-check';
import { SHELL_PIECES } from './arbitraries';
import { CanaryCommand } from './canary';
import { ChaosProxy } from './chaos-proxy';
import {
  HttpClient, HttpMethod, Mesh, MeshJob, MeshJobProps, PodFailurePolicyAction, PodFailureRule, SidecarContainerProps, SidecarLifecycle,
  WrapperRuntime,
} from '../../src';
import { admitted, istioInjected } from '../support/injection';
import { expandKubelet } from '../support/kubelet';
import { mapLimit } from '../support/light-runner';
import { HOST_BUSYBOX, kubeletEnv, runPod } from '../support/pod-runner';
import { podMetadataOf, podSpecOf, validateAll } from '../support/schema';
import { MINIMAL_PATH } from '../support/wrapper-harness';

// No injection: every user-supplied string that reaches the pod (container args and command,
// env values, readiness and quit URLs, labels and annotations, the busybox image, the image shell,
// container names, mesh names and versions, time zones, pod condition types) is either rejected at
// synth time by an Error that names the construct or the value, or rendered and then, when the
// rendered pod is run as a kubelet would (test/support/pod-runner.ts), passed as data: a
// canary executable embedded in every hostile string (after ";", "|", "&", a newline, in "$(...)",
// backticks, half-closed quotes) never runs, and the command gets its arguments exactly as the
// kubelet hands them.
//
// MJT_INJECTION_RUNS (default 300) generated configurations, 4 run at once.

const RUNS = Number(process.env.MJT_INJECTION_RUNS ?? 300);
const BATCH = 4;
const PRINTF = '/usr/bin/printf';
const DASH = '/usr/bin/dash';
/** Replaced by each case's own canary path before use. */
const CANARY = '@CANARY@';

type Slot =
  | 'arg' | 'commandTail' | 'envValue' | 'extraQuitUrl' | 'customReadyUrl' | 'customQuitUrl' | 'sidecarReadinessUrl' | 'sidecarQuitUrl'
  | 'customLabelValue' | 'customAnnotationValue' | 'podLabelValue' | 'podAnnotationValue' | 'busyboxImage' | 'imageShell' | 'containerName'
  | 'sidecarName' | 'meshName' | 'meshVersion' | 'kubernetesVersion' | 'timeZone' | 'podConditionType';

const SLOTS: Slot[] = [
  'arg', 'commandTail', 'envValue', 'extraQuitUrl', 'customReadyUrl', 'customQuitUrl', 'sidecarReadinessUrl', 'sidecarQuitUrl',
  'customLabelValue', 'customAnnotationValue', 'podLabelValue', 'podAnnotationValue', 'busyboxImage', 'imageShell', 'containerName',
  'sidecarName', 'meshName', 'meshVersion', 'kubernetesVersion', 'timeZone', 'podConditionType',
];
const URL_SLOTS: Slot[] = ['extraQuitUrl', 'customReadyUrl', 'customQuitUrl', 'sidecarReadinessUrl', 'sidecarQuitUrl'];

/** Payloads that run the canary in a shell; the `url` ones use only characters a loopback URL may carry. */
const SHELL_PAYLOADS = [
  `$(${CANARY})`, `\`${CANARY}\``, `;${CANARY}`, `;${CANARY};`, `|${CANARY}`, `&${CANARY}`, `&&${CANARY}`, `||${CANARY}`, `\n${CANARY}\n`,
  `'$(${CANARY})'`, `"$(${CANARY})"`, `';${CANARY};'`, `";${CANARY};"`, `$$(${CANARY})`, `$$$(${CANARY})`, `)${CANARY}(`, `$(${CANARY}`,
  `\${IFS}${CANARY}`, `$(\n${CANARY}\n)`, `x' ;${CANARY}; echo '`, `x" ;${CANARY}; echo "`, `\\;${CANARY}`, `$((\`${CANARY}\`))`,
  `#\n${CANARY}`, `*;${CANARY}`, ` ${CANARY} `, `\t${CANARY}`, `$(${CANARY} )`, `; ${CANARY} #`, `\r\n${CANARY}`,
];
const URL_PAYLOADS = [
  `;${CANARY};`, `&${CANARY}&`, `'${CANARY}'`, `(${CANARY})`, `';${CANARY};'`, `*;${CANARY}`, `!${CANARY}`, `&&${CANARY}`,
  `');${CANARY};('`, `;${CANARY}*`, `:${CANARY}@`, `=${CANARY},`, `~${CANARY}+`, `?a=;${CANARY};`, `%0a${CANARY}%0a`, `%24(${CANARY})`,
];

const noise = fc.array(fc.constantFrom(...SHELL_PIECES, 'a', 'ok', '-', '/', '.', '1'), { maxLength: 3 }).map((p) => p.join(''));
const shellHostile = fc.tuple(noise, fc.constantFrom(...SHELL_PAYLOADS), noise).map(([a, p, b]) => `${a}${p}${b}`);

interface Hostile {
  readonly slot: Slot;
  /** With CANARY in it; a URL slot's value is either a whole hostile string or a path on PORT. */
  readonly value: string;
  /** For URL slots: a path on the test's own server (so that an accepted URL is also answered). */
  readonly onServer: boolean;
}

const hostileFor = (slot: Slot): fc.Arbitrary<Hostile> => {
  if (URL_SLOTS.includes(slot)) {
    return fc.oneof(
      shellHostile.map((value) => ({ slot, value, onServer: false })),
      fc.tuple(fc.constantFrom('', 'ready', 'a/b'), fc.constantFrom(...URL_PAYLOADS)).map(([p, q]) => ({ slot, value: `/${p}${q}`, onServer: true })),
      fc.tuple(fc.constantFrom(...SHELL_PAYLOADS)).map(([q]) => ({ slot, value: `/x${q}`, onServer: true })),
    );
  }
  return shellHostile.map((value) => ({ slot, value, onServer: false }));
};

interface Case {
  readonly hostiles: Hostile[];
  readonly mesh: 'istio' | 'custom';
  readonly runtime: 'busybox' | 'curl' | 'wget';
  readonly sidecar: 'none' | 'wrapped' | 'http';
  readonly cron: boolean;
}

const aCase: fc.Arbitrary<Case> = fc.record({
  hostiles: fc.uniqueArray(fc.constantFrom(...SLOTS), { minLength: 1, maxLength: 3 })
    // One runtime per pod: a busybox image and an image shell exclude each other.
    .filter((slots) => !(slots.includes('busyboxImage') && slots.includes('imageShell')))
    .chain((slots) => fc.tuple(...slots.map(hostileFor))),
  mesh: fc.constantFrom('istio' as const, 'custom' as const),
  runtime: fc.constantFrom('busybox' as const, 'curl' as const, 'wget' as const),
  sidecar: fc.constantFrom('none' as const, 'wrapped' as const, 'http' as const),
  cron: fc.boolean(),
}).map((c) => ({
  ...c,
  // The custom mesh's own strings need the custom mesh; the mesh version is Istio's.
  mesh: c.hostiles.some((h) => h.slot.startsWith('custom') || h.slot === 'meshName') ? 'custom'
    : c.hostiles.some((h) => h.slot === 'meshVersion') ? 'istio' : c.mesh,
}));

/** The values of a case with its canary path in place. */
function valuesOf(c: Case, canary: string, port: number): Map<Slot, string> {
  const values = new Map<Slot, string>();
  for (const h of c.hostiles) {
    const v = h.value.split(CANARY).join(canary);
    values.set(h.slot, h.onServer ? `http://127.0.0.1:${port}${v}` : v);
  }
  return values;
}

interface Built {
  readonly manifests: any[];
  readonly args: string[];
  readonly userEnv: Array<{ name: string; value: string }>;
}

/** Builds the MeshJob for a case: every slot not hostile gets a plain, working value. */
function build(c: Case, values: Map<Slot, string>, port: number): Built {
  const v = (slot: Slot): string | undefined => values.get(slot);
  const server = `http://127.0.0.1:${port}`;
  const mesh = c.mesh === 'istio'
    ? Mesh.istio({ version: v('meshVersion') })
    : Mesh.custom({
      name: v('meshName') ?? 'inhouse',
      readinessUrl: v('customReadyUrl') ?? `${server}/healthz/ready`,
      quitRequests: [{ url: v('customQuitUrl') ?? `${server}/quitquitquit` }],
      podLabels: { 'example.com/mesh': v('customLabelValue') ?? 'on' },
      podAnnotations: { 'example.com/mesh-config': v('customAnnotationValue') ?? '{}' },
    });
  const runtime = v('busyboxImage') !== undefined ? WrapperRuntime.busybox({ image: v('busyboxImage') })
    : c.runtime === 'busybox' && v('imageShell') === undefined ? WrapperRuntime.busybox()
      : WrapperRuntime.imageShell({ shell: v('imageShell') ?? '/bin/sh', httpClient: c.runtime === 'curl' ? HttpClient.CURL : HttpClient.WGET });
  const lifecycle = SidecarLifecycle.wrap({
    runtime,
    readyTimeout: Duration.seconds(3),
    requestTimeout: Duration.seconds(1),
    quitAttempts: 2,
    quitRetryDelay: Duration.millis(10),
    sidecarStopTimeout: Duration.seconds(1),
    extraQuitRequests: v('extraQuitUrl') === undefined ? [] : [{ url: v('extraQuitUrl')!, method: HttpMethod.GET }],
  });
  const tail = v('commandTail') === undefined ? [] : ['--tail', v('commandTail')!];
  const args = v('arg') === undefined ? ['--plain'] : ['--arg', v('arg')!, ''];
  const userEnv = [{ name: 'APP_VALUE', value: v('envValue') ?? 'plain' }];
  const sidecars: SidecarContainerProps[] = c.sidecar === 'none' && !v('sidecarName') && !v('sidecarReadinessUrl') && !v('sidecarQuitUrl') ? [] : [{
    name: v('sidecarName') ?? 'logs',
    image: 'registry.example.com/logs:1.0',
    ...(c.sidecar === 'http' || v('sidecarQuitUrl') !== undefined
      ? { command: ['/usr/bin/true'], quitRequest: { url: v('sidecarQuitUrl') ?? `${server}/sidecar-quit` } }
      : { command: ['/usr/bin/sleep', '30'] }),
    ...(v('sidecarReadinessUrl') !== undefined ? { readinessUrl: v('sidecarReadinessUrl') } : {}),
  }];
  const cron = c.cron || v('timeZone') !== undefined;
  const props: MeshJobProps = {
    mesh,
    lifecycle,
    kubernetesVersion: v('kubernetesVersion'),
    containers: [{
      name: v('containerName') ?? 'app',
      image: 'registry.example.com/app:1.0',
      command: [PRINTF, '%s\\0', ...tail],
      args,
      envVariables: Object.fromEntries(userEnv.map((e) => [e.name, kplus.EnvValue.fromValue(e.value)])),
    }],
    sidecars,
    podMetadata: {
      labels: { 'example.com/team': v('podLabelValue') ?? 'reports' },
      annotations: { 'example.com/note': v('podAnnotationValue') ?? 'nightly' },
    },
    podFailurePolicy: v('podConditionType') === undefined ? undefined
      : [PodFailureRule.onPodCondition(PodFailurePolicyAction.FAIL_JOB, v('podConditionType')!)],
    ...(cron ? { schedule: Cron.daily(), timeZone: v('timeZone') } : {}),
  };
  const chart = new Chart(Testing.app(), 'reports');
  new MeshJob(chart, 'nightly', props);
  return { manifests: Testing.synth(chart), args: [...tail, ...args], userEnv };
}

/** What one case showed; compared as a whole so that a counterexample shows everything. */
interface Verdict {
  readonly outcome: 'rejected' | 'rendered';
  /** For a rejection: the message names the construct or the value. */
  readonly rejectionNamesIt?: boolean;
  readonly rejectionIsError?: boolean;
  readonly schemaValid?: boolean;
  readonly canarySang: boolean;
  /** The main container's exit code and whether it got its arguments as the kubelet hands them. */
  readonly main?: { code: number | null; argsAsData: boolean; stderr: string };
  readonly otherContainersExitedZero?: boolean;
  /** Each hostile value that is rendered appears verbatim where it belongs. */
  readonly renderedVerbatim?: boolean;
}

const EXPECTED_REJECTED = { outcome: 'rejected', rejectionIsError: true, rejectionNamesIt: true, canarySang: false };

/**
 * The PATH of an application image with its own shell and tools: busybox's wget (as in Alpine;
 * this machine need not have GNU wget), then the minimal PATH (coreutils' timeout, curl).
 */
let imageBin: string | undefined;
function imagePath(): string {
  if (imageBin === undefined) {
    imageBin = mkdtempSync(join(tmpdir(), 'meshjob-image-bin-'));
    symlinkSync(HOST_BUSYBOX, join(imageBin, 'wget'));
  }
  return `${imageBin}:${MINIMAL_PATH}`;
}

async function judge(c: Case, port: number): Promise<{ verdict: Verdict; values: Map<Slot, string> }> {
  const canary = new CanaryCommand();
  const values = valuesOf(c, canary.path, port);
  const cwd = mkdtempSync(join(tmpdir(), 'meshjob-workdir-'));
  try {
    let built: Built;
    try {
      built = build(c, values, port);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const names = message.startsWith("meshjob '") || [...values.values()].some((v) => message.includes(v) || message.includes(JSON.stringify(v)));
      return { verdict: { outcome: 'rejected', rejectionIsError: e instanceof Error && e.constructor === Error, rejectionNamesIt: names, canarySang: canary.sang }, values };
    }
    let schemaValid = true;
    try {
      validateAll(built.manifests);
    } catch {
      schemaValid = false;
    }
    const workload = built.manifests.find((m) => m.kind === 'Job' || m.kind === 'CronJob');
    const pod = podSpecOf(workload);
    const runs = await runPod({
      pod,
      // As stored once the mesh injected its proxy (a custom mesh's proxy is no one's to mark).
      metadata: admitted(podMetadataOf(workload), c.mesh === 'istio' ? istioInjected() : undefined),
      cwd,
      // FROM scratch for the busybox runtime; an image with a shell and tools otherwise.
      path: values.has('busyboxImage') || (c.runtime === 'busybox' && !values.has('imageShell')) ? '/nonexistent' : imagePath(),
      imageShell: DASH,
      ports: { 'localhost:15021': `127.0.0.1:${port}`, 'localhost:15020': `127.0.0.1:${port}` },
      deadlineMs: 12_000,
    });
    const main = runs[0];
    const env = kubeletEnv(built.userEnv);
    const expected = Buffer.from(built.args.map((a) => `${expandKubelet(a, env)}\0`).join(''), 'utf8');
    return {
      verdict: {
        outcome: 'rendered',
        schemaValid,
        canarySang: canary.sang || canary.strays().length > 0,
        main: { code: main.code, argsAsData: main.stdout.equals(expected), stderr: main.stderr },
        otherContainersExitedZero: runs.slice(1).every((r) => r.code === 0),
        renderedVerbatim: verbatim(values, workload, pod),
      },
      values,
    };
  } finally {
    canary.remove();
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** Every rendered hostile value sits, unchanged, in the one place it belongs. */
function verbatim(values: Map<Slot, string>, workload: any, pod: any): boolean {
  const meta = podMetadataOf(workload);
  const main = pod.containers[0];
  const env = Object.fromEntries(main.env.map((e: any) => [e.name, e.value]));
  const checks: Partial<Record<Slot, (v: string) => boolean>> = {
    arg: (v) => main.args.includes(v),
    commandTail: (v) => main.command.includes(v),
    envValue: (v) => env.APP_VALUE === v,
    customLabelValue: (v) => meta.labels['example.com/mesh'] === v,
    customAnnotationValue: (v) => meta.annotations['example.com/mesh-config'] === v,
    podLabelValue: (v) => meta.labels['example.com/team'] === v,
    podAnnotationValue: (v) => meta.annotations['example.com/note'] === v,
    busyboxImage: (v) => pod.initContainers[0].image === v,
    imageShell: (v) => main.command[0] === v,
    timeZone: (v) => workload.spec.timeZone === v,
  };
  return [...values].every(([slot, v]) => checks[slot]?.(v) ?? true);
}

/** Programs the pod run needs on this machine (CI installs them: see .ci/run). */
const NEEDED = [HOST_BUSYBOX, DASH, PRINTF, '/usr/bin/curl', '/usr/bin/timeout'].filter((p) => {
  try {
    accessSync(p, constants.X_OK);
    return false;
  } catch {
    return true;
  }
});
const describeIfTools = NEEDED.length === 0 ? describe : describe.skip;

describeIfTools('no user-supplied string can run a command in the pod', () => {
  let server: ChaosProxy;
  beforeAll(async () => {
    // Answers 200 to every path: an accepted hostile URL is asked and answered, so the pod runs through.
    server = await new ChaosProxy({ otherPaths: 200 }).start();
  });
  afterAll(async () => {
    await server.close();
    if (imageBin !== undefined) rmSync(imageBin, { recursive: true, force: true });
  });
  beforeEach(() => {
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  test(`${RUNS} generated hostile configurations are rejected with a clear Error, or run with every string as data`, async () => {
    const seen = { rejected: 0, rendered: 0 };
    const renderedSlots = new Set<Slot>();
    await fc.assert(
      fc.asyncProperty(fc.array(aCase, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const verdicts = await mapLimit(batch, BATCH, (c) => judge(c, server.port));
        verdicts.forEach(({ verdict, values }, i) => {
          seen[verdict.outcome]++;
          if (verdict.outcome === 'rendered') batch[i].hostiles.forEach((h) => renderedSlots.add(h.slot));
          const shown = { values: Object.fromEntries(values), ...verdict };
          if (verdict.outcome === 'rejected') {
            expect(shown).toEqual({ values: Object.fromEntries(values), ...EXPECTED_REJECTED });
          } else {
            expect(shown).toEqual({
              values: Object.fromEntries(values),
              outcome: 'rendered',
              schemaValid: true,
              canarySang: false,
              main: { code: 0, argsAsData: true, stderr: '' },
              otherContainersExitedZero: true,
              renderedVerbatim: true,
            });
          }
        });
      }),
      { numRuns: Math.ceil(RUNS / BATCH), endOnFailure: true },
    );
    // Both paths were exercised, and hostile strings reached a running pod from many slots.
    expect(seen.rejected).toBeGreaterThan(0);
    expect(seen.rendered).toBeGreaterThan(0);
    expect([...renderedSlots].sort()).toEqual(expect.arrayContaining(['arg', 'commandTail', 'envValue', 'podAnnotationValue']));
  }, 180_000);
});

// KNOWN BUG (reported to the lead, not fixed here): the wrapper splits MESHJOB_READY_URL and
// MESHJOB_QUIT with unquoted expansions (src/runtime/wrapper.sh wait_ready: `for waiting_for in
// $MESHJOB_READY_URL`; finish: `for q in $MESHJOB_QUIT`), which also performs pathname expansion.
// The URL check (src/meshes/endpoint.ts LOOPBACK_URL) accepts "*" in paths and "?" in queries, so an
// accepted URL is a glob: when the container's working directory holds a matching path (e.g.
// `http:/127.0.0.1:9091/...`), the wrapper asks a different URL than the one configured. It runs
// nothing, but the URL is not passed as data. Expected fix: `set -f` in the wrapper (kill_named's
// `/proc/[0-9]*` then needs `set +f` around it), or reject glob characters in URLs.
describeIfTools('URLs are not globs', () => {
  let server: ChaosProxy;
  beforeAll(async () => {
    server = await new ChaosProxy({ otherPaths: 200 }).start();
  });
  afterAll(() => server.close());

  test('a readiness URL with "*" is asked as written, even when the working directory holds a matching path', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'meshjob-workdir-'));
    try {
      const readinessUrl = `http://127.0.0.1:${server.port}/healthz/ready*`;
      // What a glob of that URL matches, relative to the working directory.
      mkdirSync(join(cwd, 'http:', `127.0.0.1:${server.port}`, 'healthz', 'ready-decoy'), { recursive: true });
      const chart = new Chart(Testing.app(), 'reports');
      new MeshJob(chart, 'nightly', {
        mesh: Mesh.custom({ readinessUrl }),
        lifecycle: SidecarLifecycle.wrap({ readyTimeout: Duration.seconds(2), requestTimeout: Duration.seconds(1) }),
        containers: [{ name: 'app', image: 'registry.example.com/app:1.0', command: ['/usr/bin/true'] }],
      });
      const pod = podSpecOf(validateAll(Testing.synth(chart)).find((m) => m.kind === 'Job'));
      const before = server.requests.length;
      const [main] = await runPod({ pod, metadata: {}, cwd, path: '/nonexistent', deadlineMs: 10_000 });
      expect({ code: main.code, asked: server.requests.slice(before).map((r) => r.path) })
        .toEqual({ code: 0, asked: ['/healthz/ready*'] });
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 15_000);
});
