import { readFileSync } from 'fs';
import { join } from 'path';
import { Testing } from 'cdk8s';
import { Mesh, MeshJob, SidecarLifecycle } from '../../src';
import { diagnose, DiagnoseOptions, Finding, FindingKind } from '../../src/diagnose/findings';
import { readInputs } from '../../src/diagnose/input';
import { diagnoseMain } from '../../src/diagnose/main';
import { parseWrapperMessage, WrapperReason } from '../../src/diagnose/termination-message';
import { runMeshjob } from '../cli/run';
import { SNAPSHOT_TIME } from '../fixtures/pods/build';
import { meshjobExecutable, runPostRenderer } from '../support/cli';
import { newChart } from '../support/render';
import { podMetadataOf, podSpecOf, validateAll, validateManifest } from '../support/schema';
import { cleanup } from '../support/wrapper-harness';

// The fixtures are what `kubectl get pods -A -o json` prints for a cluster with stuck meshed
// Jobs; test/fixtures/pods/README.md says where each pod comes from.
const FIXTURES = join(__dirname, '..', 'fixtures', 'pods');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf-8');
const CLUSTER = fixture('cluster.json');
const PODS: any[] = JSON.parse(CLUSTER).items;
const NOW = Date.parse(SNAPSHOT_TIME);
const OPTIONS: DiagnoseOptions = { now: NOW, stuckAfterSeconds: 300, sidecars: [] };

function findingsFor(pods: any[], options = OPTIONS, jobs: any[] = []): Finding[] {
  return diagnose(pods, jobs, options);
}
const ALL = findingsFor(PODS);
const only = (namespace: string, job: string) => ALL.filter((f) => f.namespace === namespace && f.job === job);
const podOf = (namespace: string, job: string) => PODS.filter((p) => p.metadata.namespace === namespace && p.metadata.labels['job-name'] === job);
const secondsSince = (time: string) => Math.floor((NOW - Date.parse(time)) / 1000);
const statusOf = (pod: any, name: string) =>
  [...(pod.status.initContainerStatuses ?? []), ...pod.status.containerStatuses].find((s: any) => s.name === name);
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

describe('the pod fixtures', () => {
  test('are core/v1 Pods as the API returns them: each one schema-valid, in a List', () => {
    expect(JSON.parse(CLUSTER)).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    expect(PODS.length).toBeGreaterThan(10);
    PODS.forEach(validateManifest);
  });

  test('carry the Job controller\'s owner reference and both job-name labels on every Job pod', () => {
    const jobPods = PODS.filter((p) => p.metadata.ownerReferences[0].kind === 'Job');
    for (const p of jobPods) {
      const job = p.metadata.ownerReferences[0].name;
      expect(p.metadata.labels).toMatchObject({ 'job-name': job, 'batch.kubernetes.io/job-name': job });
    }
  });
});

describe('GIVEN a cluster with stuck meshed Jobs WHEN diagnose reads its pods', () => {
  test('THEN it finds exactly the stuck or looping Job pods, one cause each, and nothing else', () => {
    const found = ALL.map((f) => `${f.namespace}/${f.job}: ${f.kind}`).sort();
    expect(found).toEqual([
      'analytics/nightly-report: native-sidecar-not-ready',
      'billing/invoice-export: proxy-not-ready-repeated',
      'debug/flaky-import: proxy-kept',
      'etl/export-orders: sidecar-running',
      'inventory/restock: sidecar-running',
      'ledger/reconcile: injected-init-failed',
      'ops/rotate-keys: no-command',
      'payments/settle: injected-init-failed',
      'reports/backup-29930940: sidecar-running',
      'reports/backup-29931000: sidecar-running',
      'reports/backup-29931060: sidecar-running',
      'reports/backup-manual: sidecar-running',
      'search/reindex: quit-failed',
      'shop/shop-migrate: sidecar-running',
    ]);
  });

  test('THEN a chart\'s Job whose main container ended hours ago beside istio-proxy is stuck since that end, with the post-renderer as fix', () => {
    const [f] = only('shop', 'shop-migrate');
    const [pod] = podOf('shop', 'shop-migrate');
    const ended = statusOf(pod, 'migrate').state.terminated.finishedAt;
    expect(f).toMatchObject({ pod: pod.metadata.name, container: 'istio-proxy', mesh: 'istio 1.24.2', since: ended, stuckSeconds: secondsSince(ended) });
    expect(f.cause).toContain('istio-proxy still running');
    expect(f.fix).toContain('meshjob --mesh istio');
  });

  test('THEN a stuck pod comes with the line that releases it now, from the mesh\'s descriptor and the pod', () => {
    const [istio] = only('shop', 'shop-migrate');
    expect(istio.release).toBe(`kubectl exec -n shop ${istio.pod} -c istio-proxy -- pilot-agent request POST quitquitquit`);
    const [linkerd] = ALL.filter((f) => f.namespace === 'reports' && f.job === 'backup-manual');
    expect(linkerd.release).toBe(`kubectl debug -n reports ${linkerd.pod} -i --image=busybox:1.36.1-uclibc -- wget -q -O- --post-data= http://localhost:4191/shutdown`);
    // A log shipper that is no mesh proxy: nothing in the pod stops it from outside.
    expect(only('etl', 'export-orders')[0].release).toBeUndefined();
  });

  test('THEN the release line goes to the port the pod\'s own annotation names', () => {
    const pod = clone(podOf('reports', 'backup-manual')[0]);
    pod.metadata.annotations['config.linkerd.io/admin-port'] = '4999';
    const [f] = findingsFor([pod]);
    expect(f.release).toContain('--post-data= http://localhost:4999/shutdown');
  });

  test('THEN a chart\'s Job without command gets the post-renderer with its image\'s --entrypoint to fill in', () => {
    const pod = clone(podOf('shop', 'shop-migrate')[0]);
    const migrate = pod.spec.containers.find((c: any) => c.name === 'migrate');
    delete migrate.command;
    migrate.image = 'registry.example.com/shop/migrate:2.1@sha256:' + 'b'.repeat(64);
    const [f] = findingsFor([pod]);
    expect(f.fix).toContain('post-render the Job with meshjob --mesh istio --entrypoint registry.example.com/shop/migrate=<PATH>');
  });

  test('THEN each run of a CronJob piling up under Allow is its own finding, named after the CronJob by its Jobs\' names', () => {
    const runs = ALL.filter((f) => f.namespace === 'reports' && f.job.startsWith('backup-2'));
    expect(runs).toHaveLength(3);
    runs.forEach((f) => expect(f).toMatchObject({ cronJob: 'backup', mesh: 'linkerd edge-24.11.8', container: 'linkerd-proxy' }));
    runs.forEach((f) => expect(f.cause).toContain('(one of 3 stuck runs of CronJob backup)'));
    expect(runs.map((f) => f.fix)).toEqual(runs.map(() => expect.stringContaining('meshjob --mesh linkerd')));
  });

  test('THEN a native istio-proxy that never turned ready is reported with istio#51883, the deletion that did not end the pod, and activeDeadline or wrap as fix', () => {
    const [f] = only('analytics', 'nightly-report');
    const [pod] = podOf('analytics', 'nightly-report');
    expect(f).toMatchObject({ container: 'istio-proxy', mesh: 'istio 1.24.2', since: statusOf(pod, 'istio-proxy').state.running.startedAt });
    expect(f.cause).toContain('istio#51883');
    expect(f.cause).toContain(`deleted at ${pod.metadata.deletionTimestamp}`);
    expect(f.fix).toContain('activeDeadline');
    expect(f.fix).toContain('SidecarLifecycle.wrap()');
  });

  test('THEN exit 75 on every pod of a Job with no proxy injected is one finding for the Job, since the first exit, with the injection fix', () => {
    const findings = only('billing', 'invoice-export');
    const pods = podOf('billing', 'invoice-export');
    const exits = pods.map((p) => statusOf(p, 'report').state.terminated.finishedAt).sort();
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ mesh: 'istio no proxy', since: exits[0], container: 'report' });
    expect(findings[0].cause).toContain(`exited 75 ${pods.length} times on ${pods.length} pods`);
    expect(findings[0].cause).toContain('no istio-proxy was injected');
    expect(findings[0].fix).toContain('istio-injection=enabled');
  });

  test('THEN Consul\'s failed connect-inject-init names the Service Consul needs', () => {
    const [f] = only('payments', 'settle');
    expect(f).toMatchObject({ container: 'consul-connect-inject-init', mesh: 'consul consul-dataplane 1.6.1' });
    expect(f.fix).toContain('add a Service');
  });

  test('THEN a failed istio-validation points at the node\'s istio-cni', () => {
    const [f] = only('ledger', 'reconcile');
    expect(f).toMatchObject({ container: 'istio-validation', mesh: 'istio 1.24.2' });
    expect(f.cause).toContain('exit code 126');
    expect(f.fix).toContain('istio-cni-node');
  });

  test('THEN the wrapper\'s refused quit (Linkerd 404) comes from the termination message, with the shutdown annotation as fix', () => {
    const [f] = only('search', 'reindex');
    const [pod] = podOf('search', 'reindex');
    expect(f).toMatchObject({ container: 'report', mesh: 'linkerd stable-2.16.1', since: statusOf(pod, 'report').state.terminated.finishedAt });
    expect(f.cause).toContain('POST http://localhost:4191/shutdown answered 404');
    expect(f.fix).toContain('config.linkerd.io/proxy-admin-shutdown=enabled');
  });

  test('THEN a proxy kept up on purpose after a failure is reported with how to end it', () => {
    const [f] = only('debug', 'flaky-import');
    expect(f.cause).toContain('keepProxyOnFailure');
    expect(f.fix).toContain(`kubectl delete pod ${f.pod}`);
  });

  test('THEN a log shipper that outlives the main container is a sidecar still running, in a Job without a mesh', () => {
    const [f] = only('etl', 'export-orders');
    expect(f).toMatchObject({ container: 'logs', mesh: 'none' });
    expect(f.fix).toContain('MeshJob sidecars');
  });

  test('THEN Kuma\'s sidecar still running points at the control plane that should have stopped it', () => {
    const [f] = only('inventory', 'restock');
    expect(f).toMatchObject({ container: 'kuma-sidecar', mesh: 'kuma 2.9.3' });
    expect(f.fix).toContain("Kuma's control plane");
  });

  test('THEN a wrapper started without a command says which container needs one', () => {
    const [f] = only('ops', 'rotate-keys');
    expect(f.cause).toContain('exited 64');
    expect(f.fix).toContain('give container report a command');
  });

  test.each([
    ['shop', 'shop-seed', 'a completed Job'],
    ['reports', 'report-live', 'a Job whose main container still runs'],
    ['shop', 'shop-reindex', 'a Job whose proxy is being stopped (main ended 40 s ago)'],
    ['analytics', 'hourly-rollup', 'a Job that exited 75 once and then succeeded'],
    ['etl', 'split-load', 'a Job with two main containers, one still at work'],
  ])('THEN %s/%s (%s) gives nothing', (namespace, job) => {
    expect(podOf(namespace, job).length).toBeGreaterThan(0);
    expect(only(namespace, job)).toEqual([]);
  });

  test('THEN a Deployment\'s pod beside its proxy gives nothing: it is not a Job\'s', () => {
    const web = PODS.filter((p) => p.metadata.ownerReferences[0].kind === 'ReplicaSet');
    expect(web).toHaveLength(1);
    expect(ALL.filter((f) => f.pod === web[0].metadata.name)).toEqual([]);
  });
});

describe('what decides a finding', () => {
  test('a sidecar is stuck only once it has outlived the main containers by --stuck-after', () => {
    const [pod] = podOf('etl', 'export-orders');
    const ended = secondsSince(statusOf(pod, 'export').state.terminated.finishedAt);
    expect(findingsFor([pod], { ...OPTIONS, stuckAfterSeconds: ended })).toHaveLength(1);
    expect(findingsFor([pod], { ...OPTIONS, stuckAfterSeconds: ended + 1 })).toEqual([]);
  });

  test('a container named with --sidecar counts as a sidecar', () => {
    const pods = podOf('etl', 'split-load');
    expect(findingsFor(pods, { ...OPTIONS, sidecars: ['load'] })).toMatchObject([{ kind: FindingKind.SIDECAR_RUNNING, container: 'load' }]);
  });

  /** A pod of a MeshJob with an in-house log shipper MeshJob wraps as a sidecar: the report ended an hour ago, the shipper runs. */
  function podWithWrappedShipper() {
    const chart = newChart();
    new MeshJob(chart, 'nightly', {
      mesh: Mesh.istio(),
      lifecycle: SidecarLifecycle.wrap(),
      containers: [{ name: 'report', image: 'registry.example.com/report:1.4', command: ['/report'] }],
      sidecars: [{ name: 'shipper', image: 'registry.example.com/shipper:2', command: ['/ship'] }],
    });
    const job = validateAll(Testing.synth(chart)).find((m) => m.kind === 'Job');
    const pod = clone(podOf('etl', 'export-orders')[0]);
    pod.metadata.annotations = podMetadataOf(job).annotations;
    pod.spec = { ...pod.spec, ...podSpecOf(job) };
    pod.status.initContainerStatuses = pod.spec.initContainers.map((c: any) => ({ ...statusOf(pod, 'export'), name: c.name, image: c.image }));
    pod.status.containerStatuses = [
      { ...statusOf(pod, 'export'), name: 'report', image: 'registry.example.com/report:1.4' },
      { ...statusOf(pod, 'logs'), name: 'shipper', image: 'registry.example.com/shipper:2' },
    ];
    validateManifest(pod);
    return pod;
  }

  test('a sidecar MeshJob wrapped is known as one by the role in its wrapper\'s settings', () => {
    const pod = podWithWrappedShipper();
    expect(pod.spec.containers.find((c: any) => c.name === 'shipper').env ?? []).not.toContainEqual(expect.objectContaining({ name: 'MESHJOB_ROLE' }));
    const [f] = findingsFor([pod]);
    expect(f).toMatchObject({ kind: FindingKind.SIDECAR_RUNNING, container: 'shipper' });
    expect(f.fix).toContain(`kubectl logs ${pod.metadata.name} -c shipper`);
  });

  test('a sidecar wrapped by an older MeshJob is known as one by MESHJOB_ROLE in its env', () => {
    const pod = podWithWrappedShipper();
    const shipper = pod.spec.containers.find((c: any) => c.name === 'shipper');
    shipper.command = shipper.command.map((word: string) => word.replace('MESHJOB_ROLE=sidecar', ''));
    expect(findingsFor([pod])).toEqual([]);
    shipper.env = [...(shipper.env ?? []), { name: 'MESHJOB_ROLE', value: 'sidecar' }];
    expect(findingsFor([pod])).toMatchObject([{ kind: FindingKind.SIDECAR_RUNNING, container: 'shipper' }]);
  });

  test('a Job list names the CronJob of a Job whose name does not show it (kubectl create job --from)', () => {
    const jobs = JSON.parse(fixture('reports-jobs.json')).items;
    const pods = podOf('reports', 'backup-manual');
    expect(findingsFor(pods)[0].cronJob).toBeUndefined();
    expect(findingsFor(pods, OPTIONS, jobs)[0].cronJob).toBe('backup');
  });

  test('one pod restarting in place on exit 75 (restartPolicy OnFailure) is looping', () => {
    const pod = clone(podOf('billing', 'invoice-export')[0]);
    pod.spec.restartPolicy = 'OnFailure';
    pod.status.phase = 'Running';
    const report = statusOf(pod, 'report');
    report.lastState = report.state;
    report.state = { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container=report' } };
    report.restartCount = 4;
    const [f] = findingsFor([pod]);
    expect(f).toMatchObject({ kind: FindingKind.PROXY_NOT_READY_REPEATED, pod: pod.metadata.name });
    expect(f.cause).toContain(`exited 75 4 times on pod ${pod.metadata.name}`);
  });

  test('exit 75 on several pods that have a proxy points at the proxy\'s readiness, not at injection', () => {
    const pods = podOf('billing', 'invoice-export').map(clone);
    const proxy = PODS.find((p) => p.metadata.namespace === 'debug').spec.containers.find((c: any) => c.name === 'istio-proxy');
    for (const p of pods) {
      p.spec.containers.push(proxy);
      p.status.containerStatuses.push({ ...statusOf(p, 'report'), name: 'istio-proxy', image: proxy.image, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    }
    const [f] = findingsFor(pods);
    expect(f).toMatchObject({ kind: FindingKind.PROXY_NOT_READY_REPEATED, mesh: 'istio 1.24.2' });
    expect(f.cause).toContain('istio-proxy is in the pod but never became ready in time');
    expect(f.fix).toContain('--ready-timeout-seconds');
  });

  test('exit 75 from a container the wrapper does not run is the command\'s own code, not a finding', () => {
    const pods = podOf('billing', 'invoice-export').map(clone);
    pods.forEach((p) => { p.spec.containers[0].command = ['/report']; p.spec.containers[0].env = []; });
    expect(findingsFor(pods)).toEqual([]);
  });

  /** The `debug` pod (wrapped, Istio) with its wrapper's message replaced, and its proxy renamed for another mesh. */
  function quitFailedPod(message: string, proxy?: { name: string; image: string }) {
    const pod = clone(podOf('debug', 'flaky-import')[0]);
    statusOf(pod, 'report').state.terminated.message = message;
    if (proxy) {
      for (const c of [pod.spec.containers.find((x: any) => x.name === 'istio-proxy'), statusOf(pod, 'istio-proxy')]) Object.assign(c, proxy);
      pod.spec.initContainers = pod.spec.initContainers.filter((c: any) => c.name !== 'istio-init');
      pod.status.initContainerStatuses = pod.status.initContainerStatuses.filter((c: any) => c.name !== 'istio-init');
    }
    return pod;
  }

  test.each([
    ['Istio answering 404 (before 1.3, no /quitquitquit)', 'POST http://localhost:15020/quitquitquit answered 404', undefined, 'IstioStopMethod.KILL_PILOT_AGENT'],
    ['a proxy refusing a request from off loopback (403)', 'POST http://localhost:15020/quitquitquit answered 403', undefined, 'loopback'],
    ['consul-dataplane refusing the connection (dual-stack binds ::1)', 'POST http://127.0.0.1:20600/graceful_shutdown refused',
      { name: 'consul-dataplane', image: 'hashicorp/consul-dataplane:1.6.1' }, 'dualStack'],
  ])('a quit that failed on %s names its own fix', (_what, details, proxy, fix) => {
    const [f] = findingsFor([quitFailedPod(`meshjob: quit-failed: ${details}`, proxy)]);
    expect(f).toMatchObject({ kind: FindingKind.QUIT_FAILED, cause: expect.stringContaining(details) });
    expect(f.fix).toContain(fix);
  });

  test('an injected init container that failed once and then succeeded is not a finding', () => {
    const pod = clone(podOf('ledger', 'reconcile')[0]);
    const validation = statusOf(pod, 'istio-validation');
    validation.lastState = validation.state;
    validation.state = { terminated: { ...validation.state.terminated, exitCode: 0, reason: 'Completed' } };
    validation.restartCount = 1;
    expect(findingsFor([pod])).toEqual([]);
  });

  test('a pod that opted out of injection names no mesh', () => {
    const pod = clone(podOf('etl', 'export-orders')[0]);
    pod.metadata.labels['sidecar.istio.io/inject'] = 'false';
    expect(findingsFor([pod])).toMatchObject([{ kind: FindingKind.SIDECAR_RUNNING, mesh: 'none' }]);
  });

  test('a quit that failed after the pod ended anyway is not stuck', () => {
    const pod = clone(podOf('search', 'reindex')[0]);
    pod.status.phase = 'Succeeded';
    statusOf(pod, 'linkerd-proxy').state = { terminated: { exitCode: 0, reason: 'Completed', startedAt: pod.status.startTime, finishedAt: SNAPSHOT_TIME } };
    expect(findingsFor([pod])).toEqual([]);
  });
});

describe('the wrapper\'s termination message', () => {
  test.each([
    ['meshjob: proxy-not-ready: http://localhost:15021/healthz/ready not ready after 120s; exit 75 without running the command', WrapperReason.PROXY_NOT_READY],
    ['meshjob: no-command: the wrapper got no command', WrapperReason.NO_COMMAND],
    ['meshjob: quit-failed: POST http://127.0.0.1:20600/graceful_shutdown refused', WrapperReason.QUIT_FAILED],
    ['meshjob: proxy-kept: command failed (main=1); proxy left running as asked (keepProxyOnFailure)', WrapperReason.PROXY_KEPT],
  ])('reads %j as its reason', (message, reason) => {
    expect(parseWrapperMessage(message)?.reason).toBe(reason);
  });

  test('finds the line wherever it stands in a message of several lines', () => {
    expect(parseWrapperMessage('starting\nmeshjob: quit-failed: POST http://localhost:15020/quitquitquit got no answer\n')).toEqual(
      { reason: WrapperReason.QUIT_FAILED, details: 'POST http://localhost:15020/quitquitquit got no answer' });
  });

  test.each([
    ['the command\'s own message', 'export done: 120 rows'],
    ['an unknown reason', 'meshjob: coffee-break: back soon'],
    ['the wrapper\'s log prefix, which is not the contract', 'meshjob[report]: not ready at http://localhost:15021/healthz/ready after 120s'],
  ])('ignores %s', (_what, message) => {
    expect(parseWrapperMessage(message)).toBeUndefined();
  });
});

describe('meshjob diagnose', () => {
  const run = (args: string[], stdin = CLUSTER) => diagnoseMain(['--now', SNAPSHOT_TIME, ...args], stdin);

  test('GIVEN kubectl get pods -A -o json on stdin THEN it prints a table with the fix under each row and exits 1', () => {
    const r = run([]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual(['NAMESPACE', 'JOB', 'POD', 'STUCK FOR', 'MESH', 'CAUSE']);
    expect(lines.slice(1).filter((l) => !l.startsWith('  fix: ') && !l.startsWith('  release now: '))).toHaveLength(ALL.length);
    expect(lines.filter((l) => l.startsWith('  release now: '))).toHaveLength(ALL.filter((f) => f.release).length);
    expect(lines.filter((l) => l.startsWith('  fix: '))).toHaveLength(ALL.length);
    const migrate = lines.find((l) => l.startsWith('shop ') && l.includes('shop-migrate'))!;
    expect(migrate).toContain('3h5m');
  });

  test('GIVEN --output json THEN it prints every finding with every field, for tools', () => {
    const r = run(['--output', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings).toEqual(ALL);
  });

  test('GIVEN only finished, healthy or non-Job pods THEN it prints nothing and exits 0', () => {
    const clean = PODS.filter((p) => !ALL.some((f) => f.namespace === p.metadata.namespace && f.job === p.metadata.labels['job-name']));
    const r = run(['-o', 'json'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: clean }));
    expect(r).toMatchObject({ code: 0, stdout: '{\n  "findings": []\n}\n' });
    expect(run([], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: clean })).stdout).toBe('');
  });

  test('GIVEN a single pod as kubectl get pod -o yaml prints it THEN it reads it', () => {
    const r = run(['-o', 'json', join(FIXTURES, 'search-reindex-pod.yaml')], '');
    expect(JSON.parse(r.stdout).findings).toEqual(only('search', 'reindex'));
  });

  test('GIVEN pods and Jobs as files THEN the Jobs name their CronJob', () => {
    const r = run(['-o', 'json', join(FIXTURES, 'cluster.json'), join(FIXTURES, 'reports-jobs.json')], '');
    expect(JSON.parse(r.stdout).findings.find((f: Finding) => f.job === 'backup-manual').cronJob).toBe('backup');
  });

  test('GIVEN YAML with unquoted timestamps THEN they are read as the API reads them, as times', () => {
    const yaml = fixture('search-reindex-pod.yaml').replace(/(startedAt|finishedAt|startTime|creationTimestamp): "([^"]+)"/g, '$1: $2');
    expect(yaml).not.toEqual(fixture('search-reindex-pod.yaml'));
    expect(JSON.parse(run(['-o', 'json'], yaml).stdout).findings).toEqual(only('search', 'reindex'));
  });

  test('GIVEN several YAML documents THEN it reads each', () => {
    const [a, b] = [podOf('shop', 'shop-migrate')[0], podOf('etl', 'export-orders')[0]];
    const read = readInputs([{ source: 'stdin', text: `${JSON.stringify(a)}\n---\n${JSON.stringify(b)}\n` }]);
    expect(read.problems).toEqual([]);
    expect(read.pods.map((p) => p.metadata.name)).toEqual([a.metadata.name, b.metadata.name]);
    expect(diagnose(read.pods, [], OPTIONS)).toEqual(diagnose([a, b], [], OPTIONS));
  });

  test('GIVEN the meshjob executable WHEN kubectl get pods -A -o json is piped into `meshjob diagnose` THEN it exits 1 with the findings', () => {
    const r = runPostRenderer(meshjobExecutable(), ['diagnose', '--now', SNAPSHOT_TIME, '--output', 'json'], CLUSTER);
    expect(r).toMatchObject({ code: 1, stderr: '' });
    expect(JSON.parse(r.stdout).findings).toEqual(ALL);
    return cleanup();
  });

  test('GIVEN --sidecar NAME THEN that container counts as a sidecar', () => {
    const pods = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: podOf('etl', 'split-load') });
    expect(run([], pods).code).toBe(0);
    expect(JSON.parse(run(['--sidecar', 'load', '-o', 'json'], pods).stdout).findings).toMatchObject([{ job: 'split-load', container: 'load' }]);
  });

  test('is what `meshjob diagnose` runs', async () => {
    expect(await runMeshjob(['diagnose', '--now', SNAPSHOT_TIME, '-o', 'json'], CLUSTER)).toEqual(run(['-o', 'json']));
  });

  test.each([
    ['invalid JSON', '{"kind": "List", "items": [', 'stdin: not JSON or YAML'],
    ['empty input', '', 'stdin: empty input'],
    ['a List without items', '{"apiVersion": "v1", "kind": "List"}', 'stdin: List without an items array'],
    ['a Pod without a name', '{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Pod", "metadata": {}}]}', 'stdin item 1: Pod without metadata.name'],
    ['a scalar', '42', 'stdin: expected a Pod or a List of Pods, got 42'],
    ['a map that is not a Kubernetes object', 'pods: 3', 'stdin: not a Kubernetes object'],
    ['containerStatuses that are not a list', '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "n"}, "status": {"containerStatuses": {}}}', 'stdin: Pod n/p has status.containerStatuses that is not a list'],
  ])('fails with exit 2 and one line naming the document on %s', (_what, stdin, line) => {
    const r = run([], stdin);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(line)]);
  });

  test('fails with exit 2 naming the document of a second YAML document that is bad', () => {
    const r = run([], `${JSON.stringify(PODS[0])}\n---\n- not\n- a pod\n`);
    expect(r).toMatchObject({ code: 2, stderr: expect.stringContaining('stdin document 2: expected a Pod or a List of Pods, got an array') });
  });

  test('fails with exit 2 naming a file it cannot read', () => {
    const r = run(['/nonexistent/pods.json'], '');
    expect(r).toMatchObject({ code: 2, stderr: 'meshjob diagnose: /nonexistent/pods.json: cannot read it (ENOENT)\n' });
  });

  test.each([
    [['--output', 'wide'], '--output must be table or json, not "wide"'],
    [['--stuck-after', 'soon'], '--stuck-after must be a duration such as 90s, 5m or 1h, not "soon"'],
    [['--bogus'], 'unknown option "--bogus"'],
    [['--sidecar'], '--sidecar needs a value'],
  ])('fails with exit 2 on the options %j', (args, line) => {
    const r = diagnoseMain(args, CLUSTER);
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining(line) });
  });

  test('fails with exit 2 on a --now that is not an RFC 3339 time', () => {
    expect(diagnoseMain(['--now', 'yesterday'], CLUSTER)).toMatchObject({ code: 2, stderr: expect.stringContaining('--now must be an RFC 3339 time') });
  });
});
