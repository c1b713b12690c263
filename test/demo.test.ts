// The demo (`npx projen demo`, scripts/demo.ts) on the in-process kubelet, with short durations:
// the events of both timelines and their order where one causes the next, never their times.
// The README's quick start shows a sample of its output: the same lines.
import { readFileSync } from 'fs';
import { join } from 'path';
import { demo, DemoEvent, DemoTiming, formatTimeline, jobCommand, renderDemoPods, Timeline } from '../scripts/demo';
import { readWrapperCommand } from '../src/runtime/settings';

/** Short: the proxy turns ready after 200 ms, the command runs 100 ms, the plain Job is watched 300 ms more. */
const TIMING: DemoTiming = { proxyReadyAfterMs: 200, commandMs: 100, cutOffMs: 300 };

/**
 * How long a run can take: the stand-in's readiness, the command and the cut-off, starting a
 * handful of processes (busybox, the wrapper, node for the command: 10 s is ample on two cores at
 * a load average of 10), and one quit request answered at once.
 */
const RUN_BOUND_MS = TIMING.proxyReadyAfterMs + TIMING.commandMs + TIMING.cutOffMs + 10_000;

const events = (t: { entries: Timeline['entries'] }) => t.entries.map((e) => e.event);

describe('the demo\'s Jobs', () => {
  const pods = renderDemoPods();

  test('GIVEN examples/istio-job.ts THEN MeshJob wraps its one container and the plain Job leaves it as written', () => {
    expect(readWrapperCommand(pods.meshJob.containers[0].command)).toBeDefined();
    expect(readWrapperCommand(pods.plain.containers[0].command)).toBeUndefined();
    expect(pods.plain.initContainers ?? []).toEqual([]);
  });

  test('GIVEN both Jobs THEN they run the same command in the same container, with the same Job settings', () => {
    const [wrapped, plain] = [pods.meshJob.containers[0], pods.plain.containers[0]];
    expect(jobCommand(wrapped)).toEqual(jobCommand(plain));
    expect(jobCommand(plain)).toEqual(['/report', '--since', '24h', '--title', 'Nightly report: "all" regions']);
    const own = (c: any) => ({ name: c.name, image: c.image, resources: c.resources, securityContext: c.securityContext });
    expect(own(wrapped)).toEqual(own(plain));
    const settings = (spec: any) => ({
      backoffLimit: spec.backoffLimit, activeDeadlineSeconds: spec.activeDeadlineSeconds, ttlSecondsAfterFinished: spec.ttlSecondsAfterFinished,
    });
    expect(settings(pods.jobSpecs.plain)).toEqual(settings(pods.jobSpecs.meshJob));
    expect(settings(pods.jobSpecs.plain)).toEqual({ backoffLimit: 2, activeDeadlineSeconds: 1800, ttlSecondsAfterFinished: 86400 });
  });
});

describe('the demo on the in-process kubelet', () => {
  let timelines: Timeline[];
  beforeAll(async () => {
    timelines = await demo('kubelet', TIMING);
  }, 2 * RUN_BOUND_MS);

  test('GIVEN MeshJob\'s Job WHEN its pod runs beside the stand-in proxy THEN the command starts once the proxy is ready, the quit follows its exit, the proxy goes and the pod Succeeded', () => {
    const [{ entries, phase }] = timelines;

    expect(events({ entries })).toEqual([
      DemoEvent.PROXY_STARTED, DemoEvent.PROXY_READY, DemoEvent.COMMAND_STARTED, DemoEvent.COMMAND_EXITED,
      DemoEvent.QUIT_SENT, DemoEvent.PROXY_GONE, DemoEvent.POD_PHASE,
    ]);
    expect(entries.find((e) => e.event === DemoEvent.COMMAND_EXITED)!.text).toBe('command exited (code 0)');
    expect(entries.find((e) => e.event === DemoEvent.QUIT_SENT)!.text).toBe('quit sent: POST :15020/quitquitquit answered 200');
    expect(entries[entries.length - 1].text).toBe('Succeeded (report exited 0, istio-proxy exited 0): the Job completes');
    expect(phase).toBe('Succeeded');
  });

  test('GIVEN the plain Job WHEN its pod runs beside the same stand-in THEN no quit is sent and at the cut-off the proxy still runs: the pod is Running', () => {
    const [, { entries, phase }] = timelines;

    // The command starts at once, whether the proxy is ready or not: only the causal order holds.
    const seen = events({ entries });
    expect([...seen].sort()).toEqual([
      DemoEvent.PROXY_STARTED, DemoEvent.PROXY_READY, DemoEvent.COMMAND_STARTED, DemoEvent.COMMAND_EXITED, DemoEvent.CUT_OFF, DemoEvent.POD_PHASE,
    ].sort());
    const at = (e: DemoEvent) => seen.indexOf(e);
    expect(at(DemoEvent.COMMAND_STARTED)).toBeLessThan(at(DemoEvent.COMMAND_EXITED));
    expect(at(DemoEvent.COMMAND_EXITED)).toBeLessThan(at(DemoEvent.CUT_OFF));
    expect(at(DemoEvent.PROXY_READY)).toBeLessThan(at(DemoEvent.CUT_OFF));
    expect(seen[seen.length - 1]).toBe(DemoEvent.POD_PHASE);
    expect(entries.find((e) => e.event === DemoEvent.CUT_OFF)!.text).toBe('cut-off: still running, no quit was sent');
    expect(entries[entries.length - 1].text).toBe('Running (report exited 0, istio-proxy still running): the Job never completes');
    expect(phase).toBe('Running');
  });

  test('GIVEN both timelines THEN the README\'s quick start shows the lines the demo prints, under the same titles', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf-8');
    const sample = /<!-- demo-output -->\n```text\n([\s\S]*?)\n```/.exec(readme);
    expect(sample).not.toBeNull();
    // Each timeline block, without its times: the title, then "WHO TEXT" per line, sorted (two
    // events of the plain Job race: its command may start before or after the proxy is ready).
    const blocks = (text: string) => text.split('\n\n').map((block) => {
      const [title, ...lines] = block.split('\n');
      return { title, lines: lines.map((l) => l.replace(/^ +(\+\d+\.\d{3} s)? +/, '').replace(/ {2,}/, ' ')).sort() };
    });
    const printed = blocks(timelines.map(formatTimeline).join('\n\n'));
    // The sample starts with the demo's own explanation; its timelines follow.
    const shown = blocks(sample![1]).filter((b) => printed.some((p) => p.title === b.title));
    expect(shown).toEqual(printed);
  });
});
