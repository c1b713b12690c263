import { describeMesh, imageName, imageRepository, KNOWN_SIDECAR_IMAGES, meshOf, releaseCommand, SeenMesh } from './meshes';
import { containersOf, ContainerView, cronJobNameOf, envValue, Job, jobNameOf, Pod, terminationsOf } from './pod';
import { WrapperMessage, wrapperMessagesOf, WrapperReason } from './termination-message';
import { LIFECYCLE_ANNOTATION } from '../lifecycle/pod-plan';
import { WrapperExitCode } from '../runtime/exit-codes';
import { WRAPPER_ARGV0, WRAPPER_ENV_PREFIX } from '../runtime/layout';
import { readWrapperCommand } from '../runtime/settings';

/** Why a Job's pod is stuck or looping. */
export enum FindingKind {
  /** The main containers ended and a sidecar (mesh proxy or another) still runs. */
  SIDECAR_RUNNING = 'sidecar-running',
  /** A native sidecar never became ready: the main containers never start and the pod never ends (istio#51883). */
  NATIVE_SIDECAR_NOT_READY = 'native-sidecar-not-ready',
  /** The wrapper's exit 75 (proxy never ready) on more than one of the Job's pods or restarts. */
  PROXY_NOT_READY_REPEATED = 'proxy-not-ready-repeated',
  /** An init container the mesh injected failed. */
  INJECTED_INIT_FAILED = 'injected-init-failed',
  /** The wrapper's quit request was refused or unanswered and the proxy still runs. */
  QUIT_FAILED = 'quit-failed',
  /** The wrapper left the proxy running after a failure, as asked (keepProxyOnFailure). */
  PROXY_KEPT = 'proxy-kept',
  /** The wrapper was started without a command. */
  NO_COMMAND = 'no-command',
  /** The wrapper found no mark of the mesh's injection on its pod and exited 78 without running the command. */
  PROXY_NOT_INJECTED = 'proxy-not-injected',
  /** The wrapper refused a setting beyond its bounds (a hand-edited or mismatched render) and exited 64. */
  BAD_SETTING = 'bad-setting',
}

/** One stuck or looping pod (or Job, for repeated exit 75), with its cause and fix. */
export interface Finding {
  readonly kind: FindingKind;
  readonly namespace: string;
  readonly job: string;
  readonly cronJob?: string;
  readonly pod: string;
  /** The container the cause is about. */
  readonly container: string;
  /** The mesh and version seen, e.g. `istio 1.24.2`; `none` when no mesh was seen. */
  readonly mesh: string;
  /** Since when the pod has been stuck (RFC 3339), when the status says. */
  readonly since?: string;
  /** Whole seconds between `since` and now. */
  readonly stuckSeconds?: number;
  readonly cause: string;
  readonly fix: string;
  /** The command that releases the pod now (stops its proxy from outside), when one can. */
  readonly release?: string;
}

/** How diagnose judges pods. */
export interface DiagnoseOptions {
  /** "Now", in milliseconds since the epoch. */
  readonly now: number;
  /** A sidecar that ran on for less than this after the main containers ended is not stuck yet. */
  readonly stuckAfterSeconds: number;
  /** More container names to treat as sidecars (e.g. an in-house log shipper). */
  readonly sidecars: string[];
}

/** Every finding for the given pods; `jobs` (optional) tells which CronJob owns each Job. */
export function diagnose(pods: Pod[], jobs: Job[], options: DiagnoseOptions): Finding[] {
  const jobByKey = new Map(jobs.map((j) => [`${j.metadata.namespace ?? 'default'}/${j.metadata.name}`, j]));
  const byJob = new Map<string, PodContext[]>();
  for (const pod of pods) {
    const job = jobNameOf(pod);
    if (!job) continue; // not a Job's pod
    const namespace = pod.metadata.namespace ?? 'default';
    const key = `${namespace}/${job}`;
    const context: PodContext = {
      pod,
      namespace,
      job,
      cronJob: cronJobNameOf(job, jobByKey.get(key)),
      mesh: meshOf(pod),
      containers: containersOf(pod),
      options,
    };
    byJob.set(key, [...(byJob.get(key) ?? []), context]);
  }
  const findings = [...byJob.values()].flatMap((contexts) => [
    ...contexts.flatMap(podFindings),
    ...proxyNotInjected(contexts),
    ...repeatedProxyNotReady(contexts),
  ]);
  return withPileUps(findings);
}

/** Says so when several runs of one CronJob are stuck at once (they pile up under concurrencyPolicy: Allow). */
function withPileUps(findings: Finding[]): Finding[] {
  const runs = new Map<string, number>();
  const key = (f: Finding) => `${f.namespace}/${f.cronJob}`;
  for (const f of findings) if (f.cronJob) runs.set(key(f), (runs.get(key(f)) ?? 0) + 1);
  return findings.map((f) => {
    const n = f.cronJob ? runs.get(key(f))! : 0;
    return n > 1 ? { ...f, cause: `${f.cause} (one of ${n} stuck runs of CronJob ${f.cronJob})` } : f;
  });
}

interface PodContext {
  readonly pod: Pod;
  readonly namespace: string;
  readonly job: string;
  readonly cronJob?: string;
  readonly mesh?: SeenMesh;
  readonly containers: ContainerView[];
  readonly options: DiagnoseOptions;
}

function finding(
  c: PodContext, kind: FindingKind, container: string, since: string | undefined, cause: string, fix: string, release?: string,
): Finding {
  const at = since === undefined ? NaN : Date.parse(since);
  return {
    kind,
    namespace: c.namespace,
    job: c.job,
    ...(c.cronJob ? { cronJob: c.cronJob } : {}),
    pod: c.pod.metadata.name ?? '',
    container,
    mesh: describeMesh(c.mesh),
    ...(Number.isNaN(at) ? {} : { since, stuckSeconds: Math.max(0, Math.floor((c.options.now - at) / 1000)) }),
    cause,
    fix,
    ...(release ? { release } : {}),
  };
}

/** The findings of one pod, most specific first; a pod gets at most one "still running" finding. */
function podFindings(c: PodContext): Finding[] {
  const found = [...injectedInitFailures(c), ...noCommand(c)];
  const stuck = nativeSidecarNotReady(c) ?? wrapperLeftProxy(c) ?? sidecarStillRunning(c);
  return stuck ? [...found, stuck] : found;
}

const finished = (c: PodContext) => c.pod.status?.phase === 'Succeeded' || c.pod.status?.phase === 'Failed';
const elapsed = (c: PodContext, since: string | undefined) =>
  since !== undefined && c.options.now - Date.parse(since) >= c.options.stuckAfterSeconds * 1000;

/**
 * A wrapper setting of a container (`ROLE`, ...): from the settings argument of MeshJob's wrapped
 * command, or from the env of pods MeshJob rendered before its settings left the environment.
 */
function wrapperSetting(v: ContainerView, name: string): string | undefined {
  return readWrapperCommand(v.spec.command)?.settings[name] ?? envValue(v.spec, `${WRAPPER_ENV_PREFIX}${name}`);
}

/** A container MeshJob wrapped: its command runs the wrapper, or (older pods) its env names its role. */
function isWrapped(v: ContainerView): boolean {
  return readWrapperCommand(v.spec.command) !== undefined || envValue(v.spec, `${WRAPPER_ENV_PREFIX}ROLE`) !== undefined;
}

/** A container that runs beside the job's work and does not end on its own. */
function isSidecar(c: PodContext, v: ContainerView): boolean {
  return v.spec.name === c.mesh?.proxy
    || wrapperSetting(v, 'ROLE') === 'sidecar'
    || c.options.sidecars.includes(v.spec.name)
    || KNOWN_SIDECAR_IMAGES.includes(imageName(v.status?.image ?? v.spec.image));
}

function injectedInitFailures(c: PodContext): Finding[] {
  const mesh = c.mesh;
  if (!mesh || c.pod.status?.phase === 'Succeeded') return [];
  return c.containers
    .filter((v) => v.init && v.spec.name !== mesh.proxy && mesh.descriptor.injectedContainers.includes(v.spec.name))
    .flatMap((v) => {
      // Failed now, or failed before and restarting; an init container that succeeded since is past it.
      const failed = terminationsOf(v.status).find((t) => (t.exitCode ?? 0) !== 0);
      if (!failed || v.status?.state?.terminated?.exitCode === 0) return [];
      const said = failed.message ? `: ${firstLine(failed.message)}` : '';
      const kind = /valid/.test(v.spec.name) ? 'validation' : 'iptables';
      const restarts = v.status?.restartCount ? `, restarted ${v.status.restartCount} times` : '';
      return [finding(c, FindingKind.INJECTED_INIT_FAILED, v.spec.name, failed.finishedAt,
        `injected init container ${v.spec.name} failed with exit code ${failed.exitCode}${restarts}${said}`,
        mesh.descriptor.diagnosis?.initFixes[kind] ?? `kubectl logs ${c.pod.metadata.name} -c ${v.spec.name} shows why`)];
    });
}

function noCommand(c: PodContext): Finding[] {
  return c.containers.flatMap((v) => wrapperMessagesOf(v.status)
    .filter((m) => m.reason === WrapperReason.NO_COMMAND || m.reason === WrapperReason.NO_HTTP_CLIENT || m.reason === WrapperReason.BAD_SETTING)
    .slice(0, 1)
    .map((m) => {
      const exited = `exited ${m.exitCode ?? WrapperExitCode.USAGE}: ${m.details}`;
      if (m.reason === WrapperReason.NO_COMMAND) {
        return finding(c, FindingKind.NO_COMMAND, v.spec.name, m.finishedAt, `the wrapper of ${v.spec.name} got no command and ${exited}`,
          `give container ${v.spec.name} a command (the image's entrypoint), or use lifecycle: SidecarLifecycle.native() / meshjob --lifecycle native`);
      }
      if (m.reason === WrapperReason.BAD_SETTING) {
        return finding(c, FindingKind.BAD_SETTING, v.spec.name, m.finishedAt, `the wrapper of ${v.spec.name} refused a setting and ${exited}`,
          'render the Job again with MeshJob (the wrapper\'s settings were edited by hand, or by a tool that does not know their bounds); ' +
          'the construct and meshjob refuse the same values at render time, with the bound');
      }
      return finding(c, FindingKind.NO_COMMAND, v.spec.name, m.finishedAt, `the wrapper of ${v.spec.name} found no HTTP client in the image and ${exited}`,
        'use the default runtime, WrapperRuntime.busybox() (an init container brings busybox), or an image with wget and timeout, or curl');
    }));
}

/**
 * The wrapper's exit 78: the pod carries no mark of the mesh's injection, so no proxy will come. One
 * finding per Job (its latest such pod): every fresh pod fails the same way until the namespace,
 * the revision or an opt-out is fixed.
 */
function proxyNotInjected(contexts: PodContext[]): Finding[] {
  if (contexts.some((c) => c.pod.status?.phase === 'Succeeded')) return [];
  const seen = contexts.flatMap((c) => c.containers.filter((v) => !v.init && !v.native).flatMap((v) => wrapperMessagesOf(v.status)
    .filter((m) => m.reason === WrapperReason.PROXY_NOT_INJECTED)
    .map((m) => ({ c, v, m }))));
  if (seen.length === 0) return [];
  const last = [...seen].sort((a, b) => (a.m.finishedAt ?? '').localeCompare(b.m.finishedAt ?? '')).pop()!;
  const pods = new Set(seen.map((s) => s.c.pod.metadata.name)).size;
  const injection = injectionFix(last.c.mesh);
  return [finding(last.c, FindingKind.PROXY_NOT_INJECTED, last.v.spec.name, last.m.finishedAt,
    `the wrapper of ${last.v.spec.name} exited ${last.m.exitCode ?? WrapperExitCode.PROXY_NOT_INJECTED} without running the command` +
    `${pods > 1 ? ` on ${pods} pods` : ''}: ${last.m.details}`,
    `${injection}; a new pod is injected once this is fixed. To run without the proxy instead: ` +
    'SidecarLifecycle.wrap({ onProxyNotInjected: ProxyNotInjectedAction.START }) / meshjob --proxy-not-injected start')];
}

/** istio#51883: a native sidecar that never turns ready holds the main containers and the pod forever. */
function nativeSidecarNotReady(c: PodContext): Finding | undefined {
  if (finished(c)) return undefined;
  const stuck = c.containers.find((v) => v.native && v.status?.started !== true && v.status?.ready !== true);
  if (!stuck) return undefined;
  const mainsStarted = c.containers.some((v) => !v.init && !v.native && v.status?.state?.waiting === undefined);
  if (mainsStarted) return undefined;
  const since = stuck.status?.state?.running?.startedAt ?? c.pod.status?.startTime;
  if (!elapsed(c, since)) return undefined;
  const deleted = c.pod.metadata.deletionTimestamp ? `; deleted at ${c.pod.metadata.deletionTimestamp} and still there` : '';
  return finding(c, FindingKind.NATIVE_SIDECAR_NOT_READY, stuck.spec.name, since,
    `native sidecar ${stuck.spec.name} never became ready, so the main containers never started and the pod never ends (istio#51883)${deleted}`,
    'set activeDeadline (MeshJob activeDeadline) so the Job ends the pod, or use lifecycle: SidecarLifecycle.wrap() / meshjob --lifecycle wrap, whose readyTimeout exits 75 for a retry on a fresh pod; ' +
    `kubectl logs ${c.pod.metadata.name} -c ${stuck.spec.name} shows why it is not ready`);
}

/** The main containers: every regular container that is not a sidecar. */
function mainsOf(c: PodContext): ContainerView[] {
  return c.containers.filter((v) => !v.init && !v.native && !isSidecar(c, v));
}

/** Sidecars that still run while every main container has ended. */
function runningSidecars(c: PodContext): { mains: ContainerView[]; running: ContainerView[]; endedAt?: string } | undefined {
  if (finished(c)) return undefined;
  const mains = mainsOf(c);
  const regular = c.containers.filter((v) => !v.init && !v.native);
  const ended = mains.filter((v) => v.status?.state?.terminated !== undefined);
  if (mains.length === 0 || ended.length < mains.length) return undefined;
  const running = regular.filter((v) => isSidecar(c, v) && v.status?.state?.running !== undefined);
  if (running.length === 0) return undefined;
  const endedAt = ended.map((v) => v.status!.state!.terminated!.finishedAt).filter((t): t is string => !!t).sort().pop();
  return { mains, running, endedAt };
}

/** A wrapped main container said why the proxy still runs (quit-failed, proxy-kept). */
function wrapperLeftProxy(c: PodContext): Finding | undefined {
  const state = runningSidecars(c);
  if (!state) return undefined;
  for (const main of state.mains) {
    const said = wrapperMessagesOf(main.status)[0];
    if (said?.reason === WrapperReason.QUIT_FAILED && elapsed(c, said.finishedAt)) {
      return finding(c, FindingKind.QUIT_FAILED, main.spec.name, said.finishedAt,
        `${main.spec.name} ended but its quit request failed (${said.details}); ${names(state.running)} still running`,
        quitFix(c.mesh, said), proxyRelease(c, state.running));
    }
    if (said?.reason === WrapperReason.PROXY_KEPT && elapsed(c, said.finishedAt)) {
      return finding(c, FindingKind.PROXY_KEPT, main.spec.name, said.finishedAt,
        `${said.details}; ${names(state.running)} still running`,
        `debug it, then kubectl delete pod ${c.pod.metadata.name}; set activeDeadline so such pods end on their own, and drop keepProxyOnFailure from SidecarLifecycle.wrap() when done`,
        proxyRelease(c, state.running));
    }
  }
  return undefined;
}

function sidecarStillRunning(c: PodContext): Finding | undefined {
  const state = runningSidecars(c);
  if (!state || !elapsed(c, state.endedAt)) return undefined;
  const mains = state.mains.map((v) => `${v.spec.name} exited ${v.status!.state!.terminated!.exitCode}`).join(', ');
  return finding(c, FindingKind.SIDECAR_RUNNING, names(state.running), state.endedAt,
    `main containers ended (${mains}); ${names(state.running)} still running`,
    stillRunningFix(c, state.running), proxyRelease(c, state.running));
}

/** The line that stops the mesh proxy of the pod now, when it is among the running containers. */
function proxyRelease(c: PodContext, running: ContainerView[]): string | undefined {
  const mesh = c.mesh;
  return mesh && running.some((v) => v.spec.name === mesh.proxy) ? releaseCommand(mesh, c.pod) : undefined;
}

function stillRunningFix(c: PodContext, running: ContainerView[]): string {
  const mesh = c.mesh;
  const proxyRunning = mesh !== undefined && running.some((v) => v.spec.name === mesh.proxy);
  const others = running.filter((v) => v.spec.name !== mesh?.proxy);
  const lifecycle = c.pod.metadata.annotations?.[LIFECYCLE_ANNOTATION];
  const fixes: string[] = [];
  const meshFix = mesh?.descriptor.diagnosis?.stillRunningFix;
  if (proxyRunning && meshFix) {
    fixes.push(meshFix);
  } else if (proxyRunning && lifecycle === 'wrap') {
    fixes.push(`the wrapper left no reason: kubectl logs ${c.pod.metadata.name} -c <main container> shows its ${WRAPPER_ARGV0}[...] lines`);
  } else if (proxyRunning && lifecycle !== undefined) {
    fixes.push(`MeshJob rendered lifecycle ${lifecycle} but ${mesh.proxy} runs as a regular container: use lifecycle: SidecarLifecycle.wrap() / meshjob --lifecycle wrap (or a mesh version with native sidecars)`);
  } else if (proxyRunning) {
    fixes.push(postRenderFix(c, mesh));
  }
  const wrapped = others.filter((v) => wrapperSetting(v, 'ROLE') === 'sidecar');
  const undeclared = others.filter((v) => !wrapped.includes(v));
  if (wrapped.length > 0) {
    fixes.push(`MeshJob stops ${names(wrapped)} once every main container has ended (SIGTERM, then SIGKILL after sidecarStopTimeout): ` +
      `kubectl logs ${c.pod.metadata.name} -c ${wrapped[0].spec.name} shows its ${WRAPPER_ARGV0}[...] lines`);
  }
  if (undeclared.length > 0) {
    fixes.push(`declare ${names(undeclared)} in MeshJob sidecars (stopped once the main containers end), or make it a native sidecar (initContainers with restartPolicy: Always)`);
  }
  return fixes.join('; ');
}

/**
 * The fix for a Job MeshJob did not render: the post-renderer, with the entrypoint of each main
 * container that has no command spelled out (wrapping needs it).
 */
function postRenderFix(c: PodContext, mesh: SeenMesh): string {
  const commandless = mainsOf(c).filter((v) => (v.spec.command ?? []).length === 0 && v.spec.image);
  const images = [...new Set(commandless.map((v) => imageRepository(v.spec.image!)))];
  const entrypoints = images.map((image) => ` --entrypoint ${image}=<PATH>`).join('');
  const why = images.length > 0 ? ` (the image's entrypoint: ${images.length > 1 ? 'these containers have' : 'the container has'} no command, and the wrapper must know what to run)` : '';
  return `post-render the Job with meshjob --mesh ${mesh.descriptor.name}${entrypoints}${why}, or render it with MeshJob / MeshJobs.applyTo and ${mesh.descriptor.factory}`;
}

/** The fix for a refused or unanswered quit request, by what the wrapper saw. */
function quitFix(seen: SeenMesh | undefined, said: WrapperMessage): string {
  const status = /answered (\d{3})/.exec(said.details)?.[1];
  const meshFix = seen?.descriptor.diagnosis?.quitFixes?.[status ?? 'no-answer'];
  if (meshFix) return meshFix;
  if (status === '403') return 'the proxy refused a request that did not come from loopback: the quit URL must be localhost or 127.0.0.1';
  return `check the proxy's admin port and path (${said.details}); Mesh.envoy({ adminPort }) / meshjob --envoy-admin-port for a plain Envoy`;
}

/** The wrapper's exit 75 (proxy never ready) on several of a Job's pods, or restarts of one. */
function repeatedProxyNotReady(contexts: PodContext[]): Finding[] {
  if (contexts.some((c) => c.pod.status?.phase === 'Succeeded')) return [];
  const seen: Array<{ c: PodContext; v: ContainerView; finishedAt?: string; details?: string }> = [];
  for (const c of contexts) {
    for (const v of c.containers.filter((x) => !x.init && !x.native && isWrapped(x))) {
      for (const t of terminationsOf(v.status)) {
        if (t.exitCode !== WrapperExitCode.PROXY_NOT_READY) continue;
        const said = wrapperMessagesOf({ name: v.spec.name, state: { terminated: t } })[0];
        // A container restarted in place (restartPolicy OnFailure) keeps only its last termination:
        // its restarts stand for the earlier ones.
        const times = t === v.status?.lastState?.terminated ? Math.max(1, v.status.restartCount ?? 0) : 1;
        for (let n = 0; n < times; n++) {
          seen.push({ c, v, finishedAt: t.finishedAt, details: said?.reason === WrapperReason.PROXY_NOT_READY ? said.details : undefined });
        }
      }
    }
  }
  if (seen.length < 2) return [];
  const byTime = [...seen].sort((a, b) => (a.finishedAt ?? '').localeCompare(b.finishedAt ?? ''));
  const first = byTime[0];
  const last = byTime[byTime.length - 1];
  const c = last.c;
  const pods = new Set(seen.map((s) => s.c.pod.metadata.name)).size;
  const said = last.details ? ` (${last.details})` : '';
  const mesh = c.mesh;
  const where = pods > 1 ? `${pods} pods` : `pod ${c.pod.metadata.name}`;
  if (mesh?.injected) {
    return [finding(c, FindingKind.PROXY_NOT_READY_REPEATED, last.v.spec.name, first.finishedAt,
      `the wrapper exited ${WrapperExitCode.PROXY_NOT_READY} ${seen.length} times on ${where}: ${mesh.proxy} is in the pod but never became ready in time${said}`,
      `kubectl logs ${c.pod.metadata.name} -c ${mesh.proxy} shows why; raise readyTimeout in SidecarLifecycle.wrap() / meshjob --ready-timeout-seconds if it is only slow`)];
  }
  const injection = injectionFix(mesh);
  return [finding(c, FindingKind.PROXY_NOT_READY_REPEATED, last.v.spec.name, first.finishedAt,
    `the wrapper exited ${WrapperExitCode.PROXY_NOT_READY} ${seen.length} times on ${where}: no ${mesh?.proxy ?? 'proxy'} was injected, so nothing ever became ready${said}`,
    `${injection}; check the injection label, revision and namespace`)];
}

/** How to get the mesh's proxy injected: its descriptor's fix, or naming the mesh when none was seen. */
function injectionFix(mesh: SeenMesh | undefined): string {
  return mesh?.descriptor.diagnosis?.injectionFix ?? 'name the mesh the Job runs in: meshjob --mesh <mesh> / MeshJob mesh';
}

function names(views: ContainerView[]): string {
  return views.map((v) => v.spec.name).join(', ');
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0];
}
