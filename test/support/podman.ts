// Runs rendered pod templates on a real container runtime: podman 4.3 + runc (Debian 12), through
// `podman kube play`, with every image built here from local files and nothing ever pulled.
//
// What the harness changes in a rendered pod, and nothing else:
// - images: the init containers' busybox image becomes a local image of Debian's static busybox;
//   every other container runs the static stand-in (test/fixtures/podman/stand-in.c) in a
//   FROM-scratch image with a non-root user, installed at the path of the program the container
//   runs; imagePullPolicy becomes Never;
// - `$(VAR)` and `$$` in command and args are expanded here with the kubelet's rules
//   (test/support/kubelet.ts): podman 4.3 passes them through unexpanded (4.7 expands them);
// - each container gets MJT_* variables that tell the stand-in what to do, and a host directory
//   mounted at /meshjob-test-records where it records what it saw;
// - podman turns an emptyDir into a volume named after it, shared by every pod that uses the name,
//   and owned by the first container's user alone: each emptyDir is renamed after the pod and
//   created beforehand with mode 0777, as the kubelet creates it;
// - the containers a mesh would inject (its proxy) are added in front of the pod's containers, and
//   the marks its injector writes (test/support/injection.ts) into the pod's metadata;
// - a downward API volume (podman 4.3 has none) becomes a host directory the harness writes as the
//   kubelet writes the volume (test/support/kubelet.ts writeDownwardApi), from the pod as admitted.
// Podman ignores terminationGracePeriodSeconds (passed to `pod stop -t` here), postStart hooks and
// sizeLimit, and deletes init containers that succeeded (their exit codes come from its events).
import { execFile, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import * as yaml from 'yaml';
import { admitted } from './injection';
import { DownwardApiItem, expandKubelet, PodMetadata, settingsIndex, writeDownwardApi } from './kubelet';
import { validateManifest } from './schema';

/** Every image the suite builds, runs or leaves behind for reruns is named under this prefix. */
export const IMAGE_PREFIX = 'localhost/meshjob-test/';
/** Where each container sees the records directory. */
export const RECORDS_MOUNT = '/meshjob-test-records';

const FIXTURES = join(__dirname, '..', 'fixtures', 'podman');
const BUSYBOX_HOST = '/bin/busybox';
const CATATONIT_HOST = '/usr/bin/catatonit';
const NON_ROOT = '65532:65532';

/** Why podman cannot run pods here, or undefined when it can. Runs `podman info` once. */
export function podmanUnavailable(): string | undefined {
  const env = podmanEnv();
  const r = spawnSync('podman', ['info', '--format', '{{.Host.OCIRuntime.Name}}'], { env, encoding: 'utf8', timeout: 30_000 });
  if (r.error) return `podman cannot start (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}): install podman and runc`;
  if (r.status !== 0) return `podman info failed: ${(r.stderr || '').trim().split('\n').pop()}`;
  return undefined;
}

let confDir: string | undefined;
/**
 * The environment every podman command runs with: a containers.conf and registries.conf of the
 * suite's own (CONTAINERS_CONF, CONTAINERS_REGISTRIES_CONF), never an edit of /etc.
 * - default_ulimits: the sandbox lacks CAP_SYS_RESOURCE, so no container may get limits above this
 *   process's own; without both pins runc fails to start any container ("error setting rlimit
 *   type 7" for nofile, "type 6" for nproc);
 * - runtime runc: runc 1.1.5 works on this VM's hybrid cgroup layout (crun 1.8.1 is reported to
 *   refuse it);
 * - netns none: each pod gets its own loopback-only network namespace; no bridge, no firewall rule;
 * - infra_image: the pod's infra container runs Debian's static catatonit from a local image;
 * - no registry to search for short names, so a name that is not local resolves nowhere.
 */
export function podmanEnv(): NodeJS.ProcessEnv {
  if (!confDir) {
    confDir = mkdtempSync(join(tmpdir(), 'meshjob-podman-conf-'));
    writeFileSync(join(confDir, 'containers.conf'), [
      '[containers]',
      'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
      'netns = "none"',
      '[engine]',
      'runtime = "runc"',
      'events_logger = "file"',
      `infra_image = "${imageName('pause')}"`,
      '',
    ].join('\n'));
    writeFileSync(join(confDir, 'registries.conf'), 'unqualified-search-registries = []\nshort-name-mode = "enforcing"\n');
  }
  return {
    ...process.env,
    CONTAINERS_CONF: join(confDir, 'containers.conf'),
    CONTAINERS_REGISTRIES_CONF: join(confDir, 'registries.conf'),
  };
}

/** Runs podman; resolves to its stdout, rejects with its stderr on a non-zero exit. */
export async function podman(args: string[], input?: Buffer): Promise<string> {
  return (await podmanOutput(args, input)).stdout;
}

function podmanOutput(args: string[], input?: Buffer): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('podman', args, { env: podmanEnv(), maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`podman ${args.join(' ')} failed: ${stderr.toString().trim() || err.message}`));
      else resolve({ stdout: stdout.toString(), stderr: stderr.toString() });
    });
    if (input) child.stdin!.end(input);
  });
}

let versionHash: string | undefined;
/** The suite's version of every image: a hash of what goes into them. */
function version(): string {
  versionHash ??= createHash('sha256')
    .update(readFileSync(join(FIXTURES, 'stand-in.c')))
    .update(readFileSync(BUSYBOX_HOST))
    .update(existsSync(CATATONIT_HOST) ? readFileSync(CATATONIT_HOST) : '')
    .update(readFileSync(__filename))
    .digest('hex').slice(0, 12);
  return versionHash;
}

function imageName(name: string, variant = ''): string {
  return `${IMAGE_PREFIX}${name}:${version()}${variant ? '-' + variant : ''}`;
}

let standInBinary: string | undefined;
/** Compiles the stand-in statically (once per process). */
function standIn(): string {
  if (!standInBinary) {
    const out = join(mkdtempSync(join(tmpdir(), 'meshjob-stand-in-')), 'stand-in');
    const r = spawnSync('gcc', ['-static', '-O2', '-o', out, join(FIXTURES, 'stand-in.c')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cannot build the stand-in with gcc -static: ${r.error?.message ?? r.stderr}; install gcc and libc6-dev`);
    standInBinary = out;
  }
  return standInBinary;
}

/**
 * Imports a rootfs (files: path in the image → file on this machine) as `name`, unless an image of
 * that name exists. Every image gets a non-root user, so that containers with runAsNonRoot start.
 */
async function ensureImage(name: string, files: () => Record<string, string>, changes: string[]): Promise<string> {
  if (await podman(['image', 'exists', name]).then(() => true, () => false)) return name;
  const root = mkdtempSync(join(tmpdir(), 'meshjob-rootfs-'));
  try {
    for (const [path, from] of Object.entries(files())) {
      const target = join(root, path);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(from, target);
      chmodSync(target, 0o755);
    }
    const tar = spawnSync('tar', ['-C', root, '--owner=0', '--group=0', '-c', '.'], { maxBuffer: 256 * 1024 * 1024 });
    if (tar.status !== 0) throw new Error(`tar of ${root} failed: ${tar.stderr}`);
    const flags = ['USER=' + NON_ROOT, 'ENV=PATH=/bin:/usr/bin', ...changes].flatMap((c) => ['--change', c]);
    await podman(['import', '--quiet', ...flags, '-', name], tar.stdout);
    return name;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The images of the pod's infra container and of the init containers. Builds them when missing. */
export async function baseImages(): Promise<{ busybox: string; pause: string }> {
  const pause = await ensureImage(imageName('pause'), () => ({ '/catatonit': CATATONIT_HOST }), ['USER=0:0', 'ENTRYPOINT=["/catatonit","-P"]']);
  const busybox = await ensureImage(imageName('busybox'), () => ({ '/bin/busybox': BUSYBOX_HOST }), []);
  return { busybox, pause };
}

/**
 * The files of an image that has its own shell and curl: Debian's static busybox as /bin/sh and
 * /bin/sleep (what a Debian image has in coreutils), and this machine's curl with every shared
 * library `ldd` names.
 */
function shellAndCurl(): Record<string, string> {
  const curl = spawnSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).stdout.trim();
  if (!curl) throw new Error('no curl on this machine: install curl (an image with its own shell and curl is built from it)');
  const files: Record<string, string> = { '/bin/sh': BUSYBOX_HOST, '/bin/sleep': BUSYBOX_HOST, '/usr/bin/curl': curl };
  const ldd = spawnSync('ldd', [curl], { encoding: 'utf8' }).stdout;
  for (const m of ldd.matchAll(/(\/\S+) \(0x/g)) files[m[1]] = m[1];
  return files;
}

/**
 * A FROM-scratch image with the stand-in as its entrypoint and at each of `programs` (a name
 * without a slash goes to /bin, which is on the image's PATH); with a shell and curl when asked.
 */
async function standInImage(programs: string[], withShellAndCurl: boolean): Promise<string> {
  const paths = ['/stand-in', ...programs.map((p) => (p.startsWith('/') ? p : `/bin/${p}`))];
  const variant = createHash('sha256').update([withShellAndCurl, ...[...new Set(paths)].sort()].join('\0')).digest('hex').slice(0, 8);
  const files = () => ({
    ...(withShellAndCurl ? shellAndCurl() : {}),
    ...Object.fromEntries(paths.map((p) => [p, standIn()])),
  });
  return ensureImage(imageName('stand-in', variant), files, ['ENTRYPOINT=["/stand-in"]']);
}

/**
 * The program a container runs: the one after the `$0` and the settings of a
 * `sh -c SCRIPT meshjob SETTINGS PROGRAM...` command (a wrapped container), else the command's
 * first element; undefined when the image's entrypoint runs.
 */
export function programOf(container: any): string | undefined {
  const command: string[] | undefined = container.command;
  if (!command || command.length === 0) return undefined;
  const settings = settingsIndex(command);
  return settings >= 0 ? command[settings + 1] : command[0];
}

/** Removes the suite's images of other versions (left by earlier source states). */
export async function removeStaleImages(): Promise<void> {
  const names = (await podman(['images', '--format', '{{.Repository}}:{{.Tag}}'])).split('\n').filter((n) => n.startsWith(IMAGE_PREFIX));
  const stale = names.filter((n) => !n.includes(`:${version()}`));
  // Without --force: an image a container still uses (another run of the suite) stays.
  if (stale.length > 0) await podman(['rmi', ...stale]).catch(() => undefined);
}

/** A container the mesh would inject, emulated by the stand-in as a proxy. */
export interface InjectedContainer {
  readonly name: string;
  /** MJT_* variables for the stand-in (MJT_ROLE=proxy is set). */
  readonly env: Record<string, string>;
  /** The labels and annotations injection writes into the pod beside this container. */
  readonly marks?: PodMetadata;
}

export interface PodRunOptions {
  /** The rendered pod template's spec. */
  readonly pod: any;
  /** MJT_* variables per container name of the rendered pod, for the stand-in. */
  readonly env?: Record<string, Record<string, string>>;
  /** Containers added in front of the pod's containers, as a mesh injects its proxy. */
  readonly inject?: InjectedContainer[];
  /**
   * The images of the pod's containers also have a shell and curl (as WrapperRuntime.imageShell expects).
   * @default false
   */
  readonly imagesHaveShellAndCurl?: boolean;
  /** When this container has recorded its start, stop the pod as a deletion would (`podman pod stop`). */
  readonly stopWhenStarted?: string;
  /** When `container` has recorded its start, send `signal` to it (`podman kill`: to its PID 1, the wrapper). */
  readonly signalWhenStarted?: { readonly container: string; readonly signal: string };
  /** The rendered pod template's labels and annotations, which a downward API volume shows (with injection's marks). */
  readonly metadata?: PodMetadata;
  /** Files of emptyDir volumes to read once the pod has ended (PodRun.volumeFile). */
  readonly volumeFiles?: Array<{ readonly volume: string; readonly path: string }>;
  /**
   * How long containers may keep running once every container of the rendered pod has ended
   * (a proxy nobody stopped); they are then reported as running and the pod is removed.
   * @default 6000
   */
  readonly settleMs?: number;
  /**
   * How long the pod may run at all; containers still running then are reported as running.
   * @default 40000
   */
  readonly limitMs?: number;
}

/** One line the stand-in recorded: its kind, when (ms of CLOCK_MONOTONIC, NaN for "uid") and the rest. */
export interface StandInRecord {
  readonly kind: string;
  readonly at: number;
  readonly fields: string[];
}

export interface PodRun {
  /** Exit code per container (init containers included, from podman's events); 'running' when it never ended by itself. */
  readonly exitCodes: Record<string, number | 'running'>;
  /** What each container's stand-in recorded. */
  records(container: string): StandInRecord[];
  /** The arguments the stand-in in `container` got, byte-exact (undefined when it never ran). */
  argv(container: string): string[] | undefined;
  /** The requests a proxy saw, as [method, port:path, status], in order. */
  requests(container: string): Array<[string, string, number]>;
  /** When `kind` was first recorded in `container` (ms), or undefined. */
  at(container: string, kind: string): number | undefined;
  /** The container's stderr lines (`podman logs`), as `kubectl logs` shows them. */
  stderr(container: string): string[];
  /** A file of an emptyDir volume asked for in `volumeFiles`, as the pod left it (undefined when absent). */
  volumeFile(volume: string, path: string): string | undefined;
}

let podCounter = 0;

/** The pod spec as podman gets it: see the header of this file for every change. */
function adapt(spec: any, podName: string, images: { busybox: string; app: string; records: string; work: string }, opts: PodRunOptions): any {
  const pod = JSON.parse(JSON.stringify(spec));
  const emptyDirs = new Map<string, string>();
  for (const v of pod.volumes ?? []) {
    if (v.emptyDir) emptyDirs.set(v.name, `${podName}-${v.name}`);
  }
  const metadata = (opts.inject ?? []).reduce((m, i) => admitted(m, i.marks), opts.metadata ?? {});
  for (const v of pod.volumes ?? []) {
    if (!v.downwardAPI) continue;
    const dir = join(images.work, `downward-${v.name}`);
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    writeDownwardApi(dir, metadata, v.downwardAPI.items as DownwardApiItem[]);
    chmodSync(join(dir, readdirSync(dir).find((f) => f.startsWith('..') && f !== '..data')!), 0o755);
    delete v.downwardAPI;
    v.hostPath = { path: dir, type: 'Directory' };
  }
  const adaptContainer = (c: any, image: string, env: Record<string, string>) => {
    const kubeletEnv: Record<string, string> = {};
    for (const e of c.env ?? []) if (e.value !== undefined) kubeletEnv[e.name] = e.value;
    if (c.command) c.command = c.command.map((s: string) => expandKubelet(s, kubeletEnv));
    if (c.args) c.args = c.args.map((s: string) => expandKubelet(s, kubeletEnv));
    c.image = image;
    c.imagePullPolicy = 'Never';
    c.env = [...(c.env ?? []), ...Object.entries({ MJT_NAME: c.name, MJT_RECORDS: RECORDS_MOUNT, ...env }).map(([name, value]) => ({ name, value }))];
    c.volumeMounts = [...(c.volumeMounts ?? []).map((m: any) => ({ ...m, name: emptyDirs.get(m.name) ?? m.name })), { name: 'meshjob-test-records', mountPath: RECORDS_MOUNT }];
  };
  for (const c of pod.initContainers ?? []) adaptContainer(c, images.busybox, opts.env?.[c.name] ?? {});
  for (const c of pod.containers) adaptContainer(c, images.app, opts.env?.[c.name] ?? {});
  const injected = (opts.inject ?? []).map((i) => {
    const c: any = { name: i.name };
    adaptContainer(c, images.app, { MJT_ROLE: 'proxy', ...i.env });
    return c;
  });
  pod.containers = [...injected, ...pod.containers];
  pod.volumes = [
    ...(pod.volumes ?? []).map((v: any) => ({ ...v, name: emptyDirs.get(v.name) ?? v.name })),
    { name: 'meshjob-test-records', hostPath: { path: images.records, type: 'Directory' } },
  ];
  return pod;
}

/**
 * Test-only guard, run on every pod before `podman kube play`: nothing in it may make podman
 * reach for a registry. Throws one line naming the container, its image and pull policy.
 */
export function assertNoPull(pod: any, pause: string): void {
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
    if (!c.image.startsWith(IMAGE_PREFIX) || c.imagePullPolicy !== 'Never') {
      throw new Error(`container ${c.name} uses image ${c.image} with imagePullPolicy ${c.imagePullPolicy}: only ${IMAGE_PREFIX}* images with imagePullPolicy Never may run, nothing is pulled here`);
    }
  }
  if (!pause.startsWith(IMAGE_PREFIX)) throw new Error(`infra image ${pause} is not under ${IMAGE_PREFIX}`);
}

interface PsEntry { Names: string[]; State: string; ExitCode: number; IsInfra?: boolean }

/**
 * Plays the pod template on podman, waits until its containers end (or `settleMs` after the
 * rendered ones did), collects exit codes, records and logs, and removes the pod, its containers
 * and its volumes whatever happens.
 */
export async function runPod(opts: PodRunOptions): Promise<PodRun> {
  const podName = `meshjob-test-${process.pid}-${++podCounter}`;
  const work = mkdtempSync(join(tmpdir(), `${podName}-`));
  const records = join(work, 'records');
  mkdirSync(records);
  chmodSync(records, 0o1777); // written by the containers' non-root users
  const { busybox, pause } = await baseImages();
  const programs = [...(opts.pod.containers ?? [])].map(programOf).filter((p): p is string => p !== undefined);
  const app = await standInImage(programs, opts.imagesHaveShellAndCurl ?? false);
  const spec = adapt(opts.pod, podName, { busybox, app, records, work }, opts);
  assertNoPull(spec, pause);
  const manifest = { apiVersion: 'v1', kind: 'Pod', metadata: { name: podName }, spec };
  validateManifest(manifest);
  const file = join(work, 'pod.yaml');
  writeFileSync(file, yaml.stringify(manifest));
  const names: string[] = spec.containers.map((c: any) => c.name as string);
  const rendered = (opts.pod.containers as any[]).map((c) => c.name as string);
  const volumes = (spec.volumes as any[]).filter((v) => v.emptyDir).map((v) => v.name as string);
  const since = new Date(Date.now() - 1000).toISOString();
  try {
    for (const v of volumes) {
      // The kubelet creates an emptyDir with mode 0777 (kubernetes pkg/volume/emptydir/empty_dir.go,
      // `perm`); podman would give it to the first container's user alone. Play reuses the volume.
      await podman(['volume', 'create', v]);
      chmodSync((await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', v])).trim(), 0o777);
    }
    await podman(['kube', 'play', '--network', 'none', '--start', file]);
    const state = await waitForEnd(podName, names, rendered, records, opts);
    const exitCodes: Record<string, number | 'running'> = {};
    for (const n of names) {
      const s = state.get(n);
      exitCodes[n] = s && s.State === 'exited' ? s.ExitCode : 'running';
    }
    for (const line of (await podman(['events', '--stream=false', '--since', since, '--filter', 'event=died', '--format', '{{.Name}} {{.ContainerExitCode}}'])).split('\n')) {
      const [name, code] = line.trim().split(' ');
      const init = (spec.initContainers ?? []).find((c: any) => name === `${podName}-${c.name}`);
      if (init) exitCodes[init.name] = Number(code);
    }
    // `podman logs` writes what the container wrote on stderr to its own stderr.
    const stderrs = await Promise.all(names.map((n) => podmanOutput(['logs', `${podName}-${n}`]).then((o) => o.stderr, () => '')));
    const logs = Object.fromEntries(names.map((n, i) => [n, stderrs[i].split('\n').filter((l) => l !== '')]));
    const files = new Map<string, string | undefined>();
    for (const f of opts.volumeFiles ?? []) {
      const mountpoint = (await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', `${podName}-${f.volume}`])).trim();
      const path = join(mountpoint, f.path);
      files.set(`${f.volume}/${f.path}`, existsSync(path) ? readFileSync(path, 'utf8') : undefined);
    }
    return podRunOf(records, exitCodes, logs, files);
  } finally {
    await podman(['pod', 'rm', '--force', '--time', '0', podName]).catch(() => undefined);
    if (volumes.length > 0) await podman(['volume', 'rm', '--force', ...volumes]).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

async function waitForEnd(podName: string, names: string[], rendered: string[], records: string, opts: PodRunOptions): Promise<Map<string, PsEntry>> {
  const limit = Date.now() + (opts.limitMs ?? 40_000);
  let stopped = false;
  let signalled = false;
  const stopWhenStarted = async () => {
    const sig = opts.signalWhenStarted;
    if (sig && !signalled && readRecords(records, sig.container).some((r) => r.kind === 'start')) {
      signalled = true;
      await podman(['kill', '--signal', sig.signal, `${podName}-${sig.container}`]);
    }
    if (!opts.stopWhenStarted || stopped || !readRecords(records, opts.stopWhenStarted).some((r) => r.kind === 'start')) return;
    stopped = true;
    // Podman ignores terminationGracePeriodSeconds: pass it to `pod stop`.
    await podman(['pod', 'stop', '--time', String(opts.pod.terminationGracePeriodSeconds ?? 30), podName]);
  };
  await waitUntilExited(rendered.map((n) => `${podName}-${n}`), limit, stopWhenStarted);
  const others = names.filter((n) => !rendered.includes(n));
  await waitUntilExited(others.map((n) => `${podName}-${n}`), Math.min(limit, Date.now() + (opts.settleMs ?? 6000)));
  const ps: PsEntry[] = JSON.parse(await podman(['ps', '--all', '--filter', `pod=${podName}`, '--format', 'json']) || '[]');
  const state = new Map<string, PsEntry>();
  for (const e of ps) {
    const n = names.find((x) => e.Names.includes(`${podName}-${x}`));
    if (n) state.set(n, e);
  }
  return state;
}

/** `podman wait` for every container, given up at `deadline`; `tick` runs every 100 ms meanwhile. */
function waitUntilExited(containers: string[], deadline: number, tick?: () => Promise<void>): Promise<void> {
  if (containers.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const child = execFile('podman', ['wait', '--condition', 'exited', ...containers], { env: podmanEnv() }, () => {
      clearInterval(timer);
      resolve();
    });
    let busy = false;
    const timer = setInterval(() => {
      if (Date.now() > deadline) {
        child.kill();
        return;
      }
      if (tick && !busy) {
        busy = true;
        void tick().finally(() => (busy = false));
      }
    }, 100);
  });
}

function readRecords(dir: string, container: string): StandInRecord[] {
  const file = join(dir, `${container}.log`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => {
    const [kind, ...rest] = l.split(' ');
    return kind === 'uid' ? { kind, at: NaN, fields: rest } : { kind, at: Number(rest[0]) / 1e6, fields: rest.slice(1) };
  });
}

function podRunOf(dir: string, exitCodes: Record<string, number | 'running'>, logs: Record<string, string[]>, files: Map<string, string | undefined>): PodRun {
  // Read now: the directory goes with the pod.
  const all = new Map(Object.keys(exitCodes).map((c) => [c, readRecords(dir, c)]));
  const records = (c: string) => all.get(c) ?? [];
  const argvs = new Map<string, string[] | undefined>();
  for (const c of Object.keys(exitCodes)) {
    const file = join(dir, `${c}.argv`);
    if (!existsSync(file)) continue;
    const raw = readFileSync(file);
    const parts: string[] = [];
    let start = 0;
    for (let i = 0; i < raw.length; i++) {
      if (raw[i] === 0) {
        parts.push(raw.subarray(start, i).toString('utf8'));
        start = i + 1;
      }
    }
    argvs.set(c, parts);
  }
  return {
    exitCodes,
    records,
    argv: (c) => argvs.get(c),
    requests: (c) => records(c).filter((r) => r.kind === 'req').map((r) => [r.fields[1], `${r.fields[0]}:${r.fields[2]}`, Number(r.fields[3])]),
    at: (c, kind) => records(c).find((r) => r.kind === kind)?.at,
    stderr: (c) => logs[c] ?? [],
    volumeFile: (volume, path) => files.get(`${volume}/${path}`),
  };
}

/**
 * Removes whatever pods and volumes this process left (after a crash of the harness itself) and
 * its temporary files; harmless where podman cannot run.
 */
export async function removeLeftovers(): Promise<void> {
  const prefix = `meshjob-test-${process.pid}-`;
  const pods = (await podman(['pod', 'ps', '--format', '{{.Name}}']).catch(() => '')).split('\n').filter((n) => n.startsWith(prefix));
  if (pods.length > 0) await podman(['pod', 'rm', '--force', '--time', '0', ...pods]).catch(() => undefined);
  const vols = (await podman(['volume', 'ls', '--format', '{{.Name}}']).catch(() => '')).split('\n').filter((n) => n.startsWith(prefix));
  if (vols.length > 0) await podman(['volume', 'rm', '--force', ...vols]).catch(() => undefined);
  if (confDir) rmSync(confDir, { recursive: true, force: true });
  if (standInBinary) rmSync(dirname(standInBinary), { recursive: true, force: true });
}
