// `meshjob diagnose` on a large cluster: pods per second and peak RSS of the real process, fed
// `kubectl get pods -A -o json` on stdin. Targets: ≥ 10,000 pods/s and ≤ 300 MB peak RSS at
// 10,000 and 100,000 real-sized pods (about a gigabyte of JSON at 100,000), with the same findings
// diagnose gives the pods in process.
//
// Run alone: `npx ts-node --project bench/tsconfig.json bench/diagnose.ts` (BENCH_QUICK=1: 10,000
// pods, one run). BENCH_DIAGNOSE_CLI=path/to/cli/main.js measures an already compiled meshjob
// instead of compiling src/ (how the figures before the streaming reader were taken);
// BENCH_DIAGNOSE_CAP_MB and BENCH_DIAGNOSE_CAP_S move the limits past which a run is killed.
import { spawn } from 'child_process';
import { once } from 'events';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { compileCli, probed } from './node-process';
import { fmt, median, nowMs, progress, table, verdict } from './stats';
import { diagnose } from '../src/diagnose/findings';
import { SNAPSHOT_TIME } from '../test/fixtures/pods/build';

const ROOT = join(__dirname, '..');
const TARGET = { podsPerS: 10_000, rssMb: 300 };
/** A run that goes past this RSS or time is killed: a regression must not take the shared machine with it. */
const CAP = { rssMb: Number(process.env.BENCH_DIAGNOSE_CAP_MB ?? 3000), seconds: Number(process.env.BENCH_DIAGNOSE_CAP_S ?? 600) };
/** Pods in a block; a block holds one pod of the fixture cluster, completed Job pods and Deployment pods. */
const BLOCK = 20;
const FIXTURE_PODS: any[] = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'pods', 'cluster.json'), 'utf-8')).items;
const NOW = Date.parse(SNAPSHOT_TIME);

// ---------------------------------------------------------------------------------------------
// Pods as a cluster holds them: the fixture pods (test/fixtures/pods, abridged to what diagnose
// and people read) with what the API server and kubelet add to every pod.

/**
 * The fieldsV1 of a managedFields entry for `obj` (kubernetes-sigs/structured-merge-diff
 * fieldpath/serialize.go): `f:<field>` for members, `k:{"name":…}` for list items keyed by name,
 * `.` for the set itself.
 */
function fieldsV1(obj: unknown): unknown {
  if (Array.isArray(obj)) {
    const out: Record<string, unknown> = {};
    obj.forEach((x, i) => {
      const key = x && typeof x === 'object' && 'name' in x ? `k:${JSON.stringify({ name: x.name })}` : `i:${i}`;
      out[key] = { '.': {}, ...(fieldsV1(x) as object) };
    });
    return out;
  }
  if (obj && typeof obj === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) out[`f:${k}`] = v && typeof v === 'object' && !Array.isArray(v) ? { '.': {}, ...(fieldsV1(v) as object) } : Array.isArray(v) && v.some((x) => x && typeof x === 'object') ? fieldsV1(v) : {};
    return out;
  }
  return {};
}

/** The env istio's injection template gives istio-proxy (manifests/charts/istio-control/istio-discovery/files/injection-template.yaml). */
function proxyEnv(pod: any): any[] {
  const field = (name: string, path: string) => ({ name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: path } } });
  return [
    { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
    { name: 'CA_ADDR', value: 'istiod.istio-system.svc:15012' },
    field('POD_NAME', 'metadata.name'),
    field('POD_NAMESPACE', 'metadata.namespace'),
    field('INSTANCE_IP', 'status.podIP'),
    field('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    field('HOST_IP', 'status.hostIP'),
    { name: 'ISTIO_CPU_LIMIT', valueFrom: { resourceFieldRef: { divisor: '0', resource: 'limits.cpu' } } },
    { name: 'PROXY_CONFIG', value: '{"holdApplicationUntilProxyStarts":true}\n' },
    { name: 'ISTIO_META_POD_PORTS', value: '[\n]' },
    { name: 'ISTIO_META_APP_CONTAINERS', value: (pod.spec.containers as any[]).map((c) => c.name).filter((n) => n !== 'istio-proxy').join(',') },
    { name: 'GOMEMLIMIT', valueFrom: { resourceFieldRef: { divisor: '0', resource: 'limits.memory' } } },
    { name: 'GOMAXPROCS', valueFrom: { resourceFieldRef: { divisor: '0', resource: 'limits.cpu' } } },
    { name: 'ISTIO_META_CLUSTER_ID', value: 'Kubernetes' },
    field('ISTIO_META_NODE_NAME', 'spec.nodeName'),
    { name: 'ISTIO_META_INTERCEPTION_MODE', value: 'REDIRECT' },
    { name: 'ISTIO_META_WORKLOAD_NAME', value: pod.metadata.labels?.['job-name'] ?? 'web' },
    { name: 'ISTIO_META_OWNER', value: `kubernetes://apis/batch/v1/namespaces/${pod.metadata.namespace}/jobs/${pod.metadata.labels?.['job-name'] ?? 'web'}` },
    { name: 'ISTIO_META_MESH_ID', value: 'cluster.local' },
    { name: 'TRUST_DOMAIN', value: 'cluster.local' },
  ];
}

const APP_ENV = [
  ['LOG_LEVEL', 'info'], ['LOG_FORMAT', 'json'], ['DATABASE_HOST', 'postgres.db.svc.cluster.local'], ['DATABASE_PORT', '5432'],
  ['DATABASE_NAME', 'app'], ['OTEL_EXPORTER_OTLP_ENDPOINT', 'http://otel-collector.observability:4317'], ['OTEL_SERVICE_NAME', 'app'],
  ['TZ', 'UTC'], ['GOMAXPROCS', '2'], ['HTTP_TIMEOUT', '30s'],
];

/** The pod with what a cluster adds: managedFields, env, the service account token volume and its mounts. */
function asInCluster(template: any): any {
  const pod = structuredClone(template);
  const token = { name: 'kube-api-access-5h2kq', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true };
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    const extra = c.name === 'istio-proxy' ? proxyEnv(pod) : APP_ENV.map(([name, value]) => ({ name, value }));
    c.env = [...(c.env ?? []), ...extra.filter((e) => !(c.env ?? []).some((x: any) => x.name === e.name))];
    c.volumeMounts = [...(c.volumeMounts ?? []), token];
  }
  pod.spec.volumes = [...(pod.spec.volumes ?? []), {
    name: token.name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
        { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
      ],
    },
  }];
  return withManagedFields(pod);
}

/** The managedFields of the controller that created the pod and of the kubelet (metadata.managedFields). */
function withManagedFields(pod: any): any {
  const { managedFields: _drop, ...meta } = pod.metadata;
  pod.metadata.managedFields = [
    {
      apiVersion: 'v1',
      fieldsType: 'FieldsV1',
      manager: 'kube-controller-manager',
      operation: 'Update',
      time: pod.metadata.creationTimestamp,
      fieldsV1: { 'f:metadata': fieldsV1(meta), 'f:spec': fieldsV1(pod.spec) },
    },
    {
      apiVersion: 'v1',
      fieldsType: 'FieldsV1',
      manager: 'kubelet',
      operation: 'Update',
      subresource: 'status',
      time: pod.status.startTime ?? pod.metadata.creationTimestamp,
      fieldsV1: { 'f:status': fieldsV1(pod.status) },
    },
  ];
  return pod;
}

const CLUSTER = FIXTURE_PODS.map(asInCluster);

/**
 * A pod of a Deployment (or, with `job`, of a plain Job that completed) outside the mesh, as the
 * API server returns it: the defaults of kubernetes pkg/apis/core/v1/defaults.go, the ReplicaSet
 * or Job controller's labels and owner reference, the kubelet's status.
 */
function appPod(job?: string): any {
  const owner = job
    ? { apiVersion: 'batch/v1', blockOwnerDeletion: true, controller: true, kind: 'Job', name: job, uid: '6c1d2f9a-0b7e-4d3c-8a51-2f6e9b0c7d14' }
    : { apiVersion: 'apps/v1', blockOwnerDeletion: true, controller: true, kind: 'ReplicaSet', name: 'api-7c9d8f6b5d', uid: '3f2a1b0c-9d8e-4f7a-b6c5-d4e3f2a1b0c9' };
  const labels: Record<string, string> = job
    ? { 'batch.kubernetes.io/controller-uid': owner.uid, 'batch.kubernetes.io/job-name': job, 'controller-uid': owner.uid, 'job-name': job }
    : { 'app': 'api', 'app.kubernetes.io/instance': 'api', 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/version': '2.14.1', 'pod-template-hash': '7c9d8f6b5d' };
  const created = '2026-11-28T09:12:31Z';
  const started = '2026-11-28T09:12:34Z';
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      annotations: { 'prometheus.io/port': '9090', 'prometheus.io/scrape': 'true' },
      creationTimestamp: created,
      generateName: job ? `${job}-` : 'api-7c9d8f6b5d-',
      labels,
      name: job ? `${job}-x7k2p` : 'api-7c9d8f6b5d-x7k2p',
      namespace: 'shop',
      ownerReferences: [owner],
      resourceVersion: '48213377',
      uid: '9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
    },
    spec: {
      containers: [{
        env: APP_ENV.slice(0, 6).map(([name, value]) => ({ name, value })),
        image: job ? 'registry.example.com/shop-jobs:2.14.1' : 'registry.example.com/shop-api:2.14.1',
        imagePullPolicy: 'IfNotPresent',
        name: job ? 'run' : 'api',
        ...(job ? { command: ['/app/run', 'rollup'] } : {
          ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
          readinessProbe: { failureThreshold: 3, httpGet: { path: '/ready', port: 'http', scheme: 'HTTP' }, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 1 },
        }),
        resources: { limits: { memory: '512Mi' }, requests: { cpu: '100m', memory: '256Mi' } },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        volumeMounts: [{ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: 'kube-api-access-5h2kq', readOnly: true }],
      }],
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      nodeName: 'node-a-7',
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      restartPolicy: job ? 'Never' : 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      serviceAccount: 'default',
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      tolerations: [
        { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
        { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
      ],
      volumes: [{
        name: 'kube-api-access-5h2kq',
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
            { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
          ],
        },
      }],
    },
    status: {
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
        lastProbeTime: null,
        lastTransitionTime: started,
        ...(job && (type === 'Ready' || type === 'ContainersReady') ? { reason: 'PodCompleted', status: 'False' } : { status: job && type === 'PodReadyToStartContainers' ? 'False' : 'True' }),
        type,
      })),
      containerStatuses: [{
        containerID: 'containerd://4f1c0e2b9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b',
        image: job ? 'registry.example.com/shop-jobs:2.14.1' : 'registry.example.com/shop-api:2.14.1',
        imageID: 'registry.example.com/shop-api@sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9',
        lastState: {},
        name: job ? 'run' : 'api',
        ready: !job,
        restartCount: 0,
        started: !job,
        state: job
          ? { terminated: { containerID: 'containerd://4f1c0e2b9a8d', exitCode: 0, finishedAt: '2026-11-28T09:14:02Z', reason: 'Completed', startedAt: started } }
          : { running: { startedAt: started } },
      }],
      hostIP: '10.0.3.17',
      hostIPs: [{ ip: '10.0.3.17' }],
      phase: job ? 'Succeeded' : 'Running',
      ...(job ? {} : { podIP: '10.244.3.41', podIPs: [{ ip: '10.244.3.41' }] }),
      qosClass: 'Burstable',
      startTime: started,
    },
  };
  return withManagedFields(pod);
}

const COMPLETED = appPod('rollup');
const DEPLOYMENT = appPod();

/** A pod in namespace `<namespace>-<group>`, named apart from every other; a Job pod of `job` if given. */
function copyOf(template: any, group: number, n: number, job?: string): any {
  const pod = structuredClone(template);
  const m = pod.metadata;
  m.namespace = `${m.namespace}-${group}`;
  m.name = job ? `${job}-${m.name.slice(-5)}` : `${m.name}-${n}`;
  if (job) {
    for (const l of ['job-name', 'batch.kubernetes.io/job-name']) if (m.labels?.[l]) m.labels[l] = job;
    for (const o of m.ownerReferences ?? []) if (o.kind === 'Job') o.name = job;
  }
  m.uid = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return pod;
}

/**
 * `n` pods: in every block of 20, one pod of the fixture cluster (in turn, so each run of 23
 * blocks, which share namespaces, holds the whole cluster with its stuck Jobs), `jobPods - 1`
 * pods of completed Jobs of their own, and Deployment pods for the rest.
 */
function* pods(n: number, jobPods: number): Generator<any[]> {
  let made = 0;
  for (let block = 0; made < n; block++) {
    const group = Math.floor(block / CLUSTER.length);
    const out = [copyOf(CLUSTER[block % CLUSTER.length], group, made)];
    for (let i = 1; i < BLOCK; i++) {
      out.push(i < jobPods ? copyOf(COMPLETED, group, made + i, `rollup-${block}-${i}`) : copyOf(DEPLOYMENT, group, made + i));
    }
    made += out.length;
    yield out.slice(0, out.length - Math.max(0, made - n));
  }
}

const INDENT = ' '.repeat(8);

/**
 * The pods as `kubectl get pods -A -o json` prints them (a v1 List, four-space indents: kubectl's
 * JSONPrinter, json.MarshalIndent), in chunks, with the findings diagnose gives them in process.
 * kubectl leaves managedFields out unless given --show-managed-fields (kubectl >= 1.21,
 * kubernetes/kubernetes#96878); `managedFields` prints them, as that flag or the API itself does.
 */
function* listChunks(n: number, jobPods: number, managedFields: boolean, tally: { findings: number; bytes: number }): Generator<Buffer> {
  yield Buffer.from('{\n    "apiVersion": "v1",\n    "items": [\n');
  let first = true;
  let group: any[] = [];
  let groupId = 0;
  let block = 0;
  for (const batch of pods(n, jobPods)) {
    const g = Math.floor(block++ / CLUSTER.length);
    if (g !== groupId) {
      tally.findings += diagnose(group, [], { now: NOW, stuckAfterSeconds: 300, sidecars: [] }).length;
      group = [];
      groupId = g;
    }
    group.push(...batch);
    const text = batch.map((p) => {
      const { managedFields: fields, ...metadata } = p.metadata;
      const printed = managedFields ? p : { ...p, metadata };
      const s = (first ? '' : ',\n') + INDENT + JSON.stringify(printed, null, 4).replace(/\n/g, `\n${INDENT}`);
      first = false;
      return s;
    }).join('');
    const b = Buffer.from(text);
    tally.bytes += b.length;
    yield b;
  }
  tally.findings += diagnose(group, [], { now: NOW, stuckAfterSeconds: 300, sidecars: [] }).length;
  yield Buffer.from('\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n');
}

// ---------------------------------------------------------------------------------------------

interface Run {
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly rssMb: number;
  readonly code: number | null;
  readonly findings?: number;
  readonly bytes: number;
  readonly expected: number;
  readonly killed?: string;
  readonly stderr: string;
}

/** Compiles src/ to JavaScript in `dir` (as bench/transformer.ts does; lib/ may be stale); returns the CLI's path. */
function vmRssMb(pid: number): number {
  try {
    const kib = /VmRSS:\s*(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf-8'))?.[1];
    return kib ? (Number(kib) * 1024) / 1e6 : 0;
  } catch {
    return 0;
  }
}

/** Runs `meshjob diagnose -o json` with `input` piped to its stdin as it reads it; its peak RSS recorded at exit. */
function runDiagnose(cli: string, dir: string, input: Input): Promise<Run> {
  const p = probed(dir);
  return new Promise((resolve, reject) => {
    const started = nowMs();
    const child = spawn(process.execPath, [...p.execArgv, cli, 'diagnose', '--now', SNAPSHOT_TIME, '-o', 'json'], {
      cwd: ROOT,
      env: p.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    let killed: string | undefined;
    let peakSeen = 0;
    child.stdout.on('data', (b: Buffer) => stdout.push(b));
    child.stderr.on('data', (b: Buffer) => { if (stderr.length < 4096) stderr += b.toString(); });
    const watch = setInterval(() => {
      peakSeen = Math.max(peakSeen, vmRssMb(child.pid!));
      const s = (nowMs() - started) / 1000;
      if (!killed && (peakSeen > CAP.rssMb || s > CAP.seconds)) {
        killed = `killed at ${fmt(peakSeen)} MB RSS after ${fmt(s)} s`;
        child.kill('SIGKILL');
      }
    }, 100);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(watch);
      const wallMs = nowMs() - started;
      if (killed) {
        resolve({ cpuMs: NaN, wallMs, rssMb: peakSeen, code, bytes: input.bytes, expected: input.findings, killed, stderr });
        return;
      }
      const usage = p.usage();
      let findings: number | undefined;
      try {
        findings = JSON.parse(Buffer.concat(stdout).toString()).findings.length;
      } catch {
        findings = undefined;
      }
      resolve({
        ...usage,
        wallMs,
        code,
        findings,
        bytes: input.bytes,
        expected: input.findings,
        stderr,
      });
    });
    child.stdin.on('error', () => undefined);
    // Piped as the child reads it: the benchmark never holds the whole list.
    const file = createReadStream(input.file);
    file.on('error', reject);
    file.pipe(child.stdin);
  });
}

/** An input written to a file once, with what it holds. */
interface Input {
  readonly file: string;
  readonly bytes: number;
  /** The findings diagnose gives its pods in process. */
  readonly findings: number;
}

/** Writes the pods of a case to a file in `dir`, chunk by chunk. */
async function writeInput(dir: string, name: string, chunks: (tally: { findings: number; bytes: number }) => Iterable<Buffer>): Promise<Input> {
  const file = join(dir, name);
  const out = createWriteStream(file);
  const tally = { findings: 0, bytes: 0 };
  for (const chunk of chunks(tally)) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return { file, bytes: tally.bytes, findings: tally.findings };
}

interface Case {
  readonly label: string;
  readonly pods: number;
  /** Pods of Jobs in every block of 20. */
  readonly jobPods: number;
  readonly managedFields: boolean;
  /** Whether the targets are judged on it. */
  readonly target: boolean;
}

/** Measures every case; returns the Markdown section for bench/RESULTS.md. */
export async function benchDiagnose(quick: boolean): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'meshjob-bench-diagnose-'));
  try {
    const runs = quick ? 1 : 3;
    const cases: Case[] = [
      { label: '10,000 pods', pods: 10_000, jobPods: 5, managedFields: false, target: true },
      ...(quick ? [] : [
        { label: '100,000 pods', pods: 100_000, jobPods: 5, managedFields: false, target: true },
        { label: '100,000 pods, every one of a Job', pods: 100_000, jobPods: BLOCK, managedFields: false, target: false },
        { label: '100,000 pods with managedFields', pods: 100_000, jobPods: 5, managedFields: true, target: false },
      ]),
    ];
    let cli = process.env.BENCH_DIAGNOSE_CLI;
    if (!cli) {
      progress('diagnose: compiling src/ to JavaScript');
      cli = compileCli(dir);
    }
    const emptyList = await writeInput(dir, 'empty.json', () => [Buffer.from('{"apiVersion": "v1", "items": [], "kind": "List", "metadata": {"resourceVersion": ""}}\n')]);
    const empty = await sequence(runs, () => runDiagnose(cli!, dir, emptyList));
    const startup = median(empty.map((r) => r.cpuMs));
    progress(`diagnose: startup ${fmt(startup)} ms CPU; ${cases.map((c) => c.label).join(', ')}; ${runs} run(s) each`);
    const rows: string[][] = [];
    const summary: string[][] = [];
    for (const c of cases) {
      progress(`diagnose: writing ${c.label}`);
      const input = await writeInput(dir, 'pods.json', (tally) => listChunks(c.pods, c.jobPods, c.managedFields, tally));
      const results: Run[] = [];
      for (let i = 0; i < (c.target ? runs : 1); i++) {
        const r = await runDiagnose(cli, dir, input);
        progress(`diagnose: ${c.label}: ${r.killed ?? `exit ${r.code}, ${fmt(r.cpuMs)} ms CPU, ${fmt(r.rssMb)} MB, ${r.findings} findings (${r.expected} expected)`}`);
        results.push(r);
        if (r.killed) break;
        if (r.code !== 1 || r.findings !== r.expected) throw new Error(`meshjob diagnose gave exit ${r.code} and ${r.findings} findings, not 1 and ${r.expected}, on ${c.label}: ${r.stderr}`);
      }
      const killed = results.find((r) => r.killed)?.killed;
      const cpu = median(results.map((r) => r.cpuMs));
      const wall = median(results.map((r) => r.wallMs));
      const rate = c.pods / ((cpu - startup) / 1000);
      const wallRate = c.pods / ((wall - median(empty.map((r) => r.wallMs))) / 1000);
      const rss = Math.max(...results.map((r) => r.rssMb));
      const mb = results[0].bytes / 1e6;
      rows.push([
        c.label, fmt(mb), fmt((results[0].bytes / c.pods) / 1024, 1), fmt(results[0].expected),
        killed ? killed : fmt(cpu), killed ? '' : fmt(wall), killed ? 'n/a' : fmt(rate), killed ? '' : fmt(wallRate), `${killed ? '> ' : ''}${fmt(rss)}`,
      ]);
      if (c.target) {
        summary.push([`diagnose throughput, ${c.label} (CPU; wall-clock ${killed ? 'n/a' : fmt(wallRate)} pods/s)`, `≥ ${fmt(TARGET.podsPerS)} pods/s`,
          killed ? 'n/a' : `${fmt(rate)} pods/s`, killed ? 'MISS' : verdict(TARGET.podsPerS, rate)]);
        summary.push([`diagnose peak RSS, ${c.label}`, `≤ ${TARGET.rssMb} MB`, `${killed ? '> ' : ''}${fmt(rss)} MB`, killed ? 'MISS' : verdict(rss, TARGET.rssMb)]);
      }
    }
    return [
      '',
      '## 5. meshjob diagnose on a large cluster',
      '',
      '`meshjob diagnose --now <snapshot> -o json` as its own process (src/ compiled with tsc, run by node), ' +
      '`kubectl get pods -A -o json` piped to its stdin. In every 20 pods: one pod of the fixture cluster of test/fixtures/pods ' +
      '(23 blocks in a row share namespaces, so each such run holds the whole cluster with its stuck meshed Jobs), with the env Istio ' +
      'injects, ten app variables and the service account token volume added; pods of completed plain Jobs (four in 20, or all 19 in ' +
      '"every one of a Job"); and pods of a Deployment for the rest. Every pod carries the managedFields of the controller manager and ' +
      'the kubelet; they are printed only in "with managedFields", as kubectl >= 1.21 leaves them out unless given --show-managed-fields. ' +
      'The list is printed as kubectl prints it (a v1 List, four-space indents). Each run must exit 1 with exactly the findings ' +
      'diagnose gives the same pods in process. ' +
      `Pods/s = pods / (median CPU time − median CPU time on an empty List: ${fmt(startup)} ms), CPU time being the ` +
      'process\'s user + system time from `process.resourceUsage()` at exit, because the machine is shared; peak RSS = its VmHWM at ' +
      `exit, the largest of the runs: ${runs} for the inputs the targets are judged on, 1 for the others. A run past ` +
      `${fmt(CAP.rssMb)} MB RSS or ${fmt(CAP.seconds)} s is killed.`,
      '',
      table(['input', 'MB', 'KiB/pod', 'findings', 'CPU ms', 'wall ms', 'pods/s (CPU)', 'pods/s (wall)', 'peak RSS MB'], rows),
      '',
      table(['target', 'bound', 'measured', 'verdict'], summary, ['l', 'r', 'r', 'l']),
      '',
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function sequence<T>(n: number, f: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await f());
  return out;
}

if (require.main === module) {
  benchDiagnose(process.env.BENCH_QUICK === '1').then((markdown) => process.stdout.write(markdown), (e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
