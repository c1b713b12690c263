import { PodFailureRuleSpec, podFailurePolicyRules } from './pod-failure-policy';
import { mergeMetadata } from './pod-metadata';
import { chooseLifecycle } from './select';
import { LifecycleInput, LifecycleMode, ProxyNotInjectedAction, ReadyTimeoutAction, WrapInput } from './sidecar-lifecycle';
import { assertLoopbackUrl, KILL_BY_NAME, QuitRequest, toQuitCalls } from '../meshes/endpoint';
import { injectionOptOut, MeshContract, ProxyContract, proxyForPod } from '../meshes/mesh-contract';
import { LIFECYCLE_ANNOTATION, WRAPPER_ENV_PREFIX, WRAPPER_MOUNT_PATH, WRAPPER_POD_INFO_PATH, WRAPPER_POD_INFO_VOLUME_NAME } from '../runtime/layout';
import {
  MAX_QUIT_ATTEMPTS, MAX_QUIT_RETRY_DELAY_SECONDS, MAX_READY_POLL_SECONDS, MAX_READY_TIMEOUT_SECONDS,
  MAX_REQUEST_TIMEOUT_SECONDS, MAX_SIDECAR_STOP_TIMEOUT_SECONDS,
} from '../runtime/limits';
import { wrapperCommand, WrapperSettings } from '../runtime/settings';
import { ContainerJson, INIT_CONTAINER_NAME, MountJson, RuntimeParts, VolumeJson } from '../runtime/wrapper-runtime';
import { atLeast, Version } from '../versions';

// The pure lifecycle core. From plain data (a mesh contract, a lifecycle, the pod's containers) it
// decides every value the pod gets: labels, annotations, volumes, init containers, every
// container's final name and command, probes, the podFailurePolicy and the warnings, as
// Kubernetes JSON. It knows nothing of constructs or YAML: src/manifests/write-plan.ts writes the
// plan into a Job's JSON, for the MeshJob construct and for manifests alike.

/** A container as the plan needs to see it. @internal */
export interface ContainerInput {
  /** Its name; an unnamed main container is called "main" (as cdk8s-plus names it). */
  readonly name?: string;
  /** Its image, for messages. */
  readonly image?: string;
  readonly command?: string[];
  /** Names of the environment variables the container already sets. */
  readonly envNames?: string[];
  /** Mount paths the container already uses. */
  readonly mountPaths?: string[];
  /** The container's own terminationMessagePath, where the wrapper writes its reason too. */
  readonly terminationMessagePath?: string;
}

/** A sidecar the job declares itself, as the plan needs to see it. @internal */
export interface SidecarInput extends ContainerInput {
  /** Stops it over HTTP; without it, its command is wrapped and it is stopped by a done file. */
  readonly quitRequest?: QuitRequest;
  /** Main containers wait for this loopback URL to answer 2xx before they start. */
  readonly readinessUrl?: string;
}

/** The pod as the plan needs to see it: plain data, built where the pod comes from. @internal */
export interface PodInput {
  /** Who is asking, for messages, e.g. "meshjob 'reports/nightly'" or "Job shop/migrate". */
  readonly subject: string;
  readonly mesh: MeshContract;
  readonly lifecycle: LifecycleInput;
  /** The main containers, in order. */
  readonly containers: ContainerInput[];
  /** The job's own sidecars: they must end when the main containers end. */
  readonly sidecars?: SidecarInput[];
  /** The pod's own init containers, in order; unnamed ones are named by the plan. */
  readonly initContainers?: Array<{ readonly name?: string }>;
  readonly volumeNames?: string[];
  readonly kubernetesVersion?: Version;
  /** The pod's restartPolicy, if one is set. */
  readonly restartPolicy?: string;
  /**
   * A chart's Job (not the user's own MeshJob): its restartPolicy OnFailure may become Never when
   * wrapping needs it, and its own value of the mesh's injection switch is kept.
   */
  readonly chartJob?: boolean;
  readonly podLabels?: Record<string, string>;
  readonly podAnnotations?: Record<string, string>;
  /** The user's podFailurePolicy rules, checked before the defaults. */
  readonly podFailurePolicy?: PodFailureRuleSpec[];
  /** Whether the default podFailurePolicy rules are wanted (default true). */
  readonly defaultPodFailureRules?: boolean;
  /** The Job has an activeDeadline, which bounds retries the default rules do not count. */
  readonly activeDeadline?: boolean;
  /** The pod's ServiceAccount, after which a registration Service is named (Consul with ACLs). */
  readonly serviceAccountName?: string;
}

/** One regular container of the pod, in its final place. @internal */
export interface ContainerPlan {
  /** Its final name. */
  readonly name: string;
  /** Where it comes from: the input's `containers` or `sidecars`, and its index there. */
  readonly from: 'containers' | 'sidecars';
  readonly index: number;
  /** Set when the container is wrapped: its new command and the mounts to add. */
  readonly wrap?: {
    /** Replaces `command`; the original command follows the wrapper's own argv, `args` stay. */
    readonly command: string[];
    readonly volumeMounts: MountJson[];
  };
}

/** A job's own sidecar that becomes a native sidecar (init container with restartPolicy: Always). @internal */
export interface NativeSidecarPlan {
  readonly name: string;
  /** Index in the input's `sidecars`. */
  readonly index: number;
  /** The kubelet's startup probe from the sidecar's readiness URL, as Kubernetes JSON (core/v1 Probe). */
  readonly startupProbe?: Record<string, unknown>;
}

/** Every value the pod gets. @internal */
export interface PodPlan {
  readonly mode: LifecycleMode;
  /** Why this mode, in one sentence. */
  readonly reason: string;
  /** What may not work as rendered; it does not stop synthesis. */
  readonly warnings: string[];
  /** Pod template labels to set (the user's own are kept). */
  readonly labels: Record<string, string>;
  /** Pod template annotations to set, merged with the user's where the mesh allows. */
  readonly annotations: Record<string, string>;
  /** Set when the pod must use this restartPolicy. */
  readonly restartPolicy?: string;
  /** The pod's containers must share one process namespace. */
  readonly shareProcessNamespace?: boolean;
  /** Volumes to add after the pod's own. */
  readonly volumes: VolumeJson[];
  /** The init container that comes first, before native sidecars and the pod's own. */
  readonly initContainer?: ContainerJson;
  /** Sidecars that become native sidecars, after `initContainer` and before the pod's own init containers. */
  readonly nativeSidecars: NativeSidecarPlan[];
  /** The final names of the pod's own init containers, in order. */
  readonly initContainerNames: string[];
  /** Every regular container, in its final order: the main containers, then the sidecars that stay regular. */
  readonly containers: ContainerPlan[];
  /** The Job's podFailurePolicy rules as JSON; absent when none apply. */
  readonly podFailureRules?: unknown[];
  /**
   * A headless Service selecting the pod, which the mesh needs to register it: named `name`, or
   * like the workload when absent.
   */
  readonly service?: { readonly name?: string; readonly port: number };
}

/** A container that must be wrapped but cannot be: the caller words the fix for its route. @internal */
export interface Unwrappable {
  readonly container: string;
  readonly image?: string;
  /** `no-command`: the image's entrypoint is not known, and the wrapper must know what to run. */
  readonly reason: 'no-command';
}

/** What the plan decided: the pod's values, or the container that keeps it from being wrapped. @internal */
export type PlanOutcome =
  | { readonly plan: PodPlan; readonly unwrappable?: undefined }
  | { readonly plan?: undefined; readonly unwrappable: Unwrappable };

export { LIFECYCLE_ANNOTATION };

/** The construct metadata type under which MeshJob records the lifecycle it rendered. */
export const LIFECYCLE_METADATA = 'meshjob:lifecycle';

/** The name cdk8s-plus gives a container that has none (cdk8s-plus-28 container.ts). */
export const DEFAULT_CONTAINER_NAME = 'main';

/**
 * The kubelet probes a native sidecar's startup this often, and gives up after this many
 * failures: the main containers wait for it up to PERIOD × THRESHOLD = 5 minutes.
 */
export const NATIVE_STARTUP_PROBE = { periodSeconds: 1, failureThreshold: 300 } as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Decides what a pod needs for its mesh. Throws, naming the subject and the fix, when the input
 * is wrong; returns `unwrappable` when a container must be wrapped but has no command. @internal
 */
export function planPod(input: PodInput): PlanOutcome {
  const { subject, mesh } = input;
  const names = nameContainers(input);
  const sidecars = input.sidecars ?? [];
  sidecars.forEach((c) => c.readinessUrl === undefined || assertLoopbackUrl(c.readinessUrl, subject, 'sidecar readiness URL'));
  const optOut = injectionOptOut(mesh.injectionSwitch, input.podLabels ?? {}, input.podAnnotations ?? {});
  if (optOut) {
    throw new Error(
      `${subject}: pod ${optOut} opts out of the mesh's injection, which conflicts with mesh '${mesh.name}': ` +
      'remove it from podMetadata, or use the mesh option `injection: SidecarInjection.DISABLED` (or Mesh.none())',
    );
  }
  const choice = chooseLifecycle({
    subject, mesh, lifecycle: input.lifecycle, kubernetesVersion: input.kubernetesVersion, hasSidecars: sidecars.length > 0,
  });
  const metadata = (labels: Record<string, string>, annotations: Record<string, string>) => {
    const keepSwitch = input.chartJob ? mesh.injectionSwitch : undefined;
    return {
      labels: mergeMetadata({ subject, kind: 'label', user: input.podLabels ?? {}, mesh: labels, keepSwitch }),
      annotations: mergeMetadata({
        subject,
        kind: 'annotation',
        user: input.podAnnotations ?? {},
        mesh: { ...annotations, [LIFECYCLE_ANNOTATION]: choice.mode },
        mapKeys: mesh.mapAnnotations,
        keepSwitch,
      }),
    };
  };
  const regular = (list: 'containers' | 'sidecars', n: string[]): ContainerPlan[] => n.map((name, index) => ({ name, from: list, index }));
  const base = {
    mode: choice.mode,
    reason: choice.reason,
    volumes: [],
    nativeSidecars: [],
    initContainerNames: names.init,
    service: mesh.registrationService && { name: input.serviceAccountName, port: mesh.registrationService.port },
  };
  const notes = [...(mesh.notes ?? []), ...kubernetesNotes(mesh, input.kubernetesVersion)];
  const rules = (wrapped: string[], restartPolicy: string | undefined, initNames: string[], mainNames: string[]) => podFailurePolicyRules({
    subject,
    user: input.podFailurePolicy ?? [],
    mainContainers: mainNames,
    allContainers: [...mainNames, ...names.sidecars, ...initNames, ...names.init],
    proxyNotReadyContainers: wrapped,
    defaults: input.defaultPodFailureRules ?? true,
    bounded: input.activeDeadline ?? false,
    restartPolicy,
    kubernetesVersion: input.kubernetesVersion,
  });

  if (choice.mode === LifecycleMode.NONE) {
    const policy = rules([], input.restartPolicy, [], names.main);
    return {
      plan: {
        ...base,
        ...metadata(mesh.podLabels, mesh.podAnnotations),
        warnings: [...choice.warnings, ...notes, ...policy.warnings],
        containers: [...regular('containers', names.main), ...regular('sidecars', names.sidecars)],
        podFailureRules: nonEmpty(policy.rules),
      },
    };
  }
  if (choice.mode === LifecycleMode.NATIVE) {
    const native = mesh.native;
    const nativeSidecars = sidecars.map((c, index) => ({
      name: names.sidecars[index],
      index,
      startupProbe: c.readinessUrl === undefined ? undefined : startupProbeOf(c.readinessUrl),
    }));
    const policy = rules([], input.restartPolicy, names.sidecars, names.main);
    return {
      plan: {
        ...base,
        ...metadata(native?.podLabels ?? mesh.podLabels, native?.podAnnotations ?? mesh.podAnnotations),
        warnings: [...choice.warnings, ...notes, ...policy.warnings],
        nativeSidecars,
        containers: regular('containers', names.main),
        podFailureRules: nonEmpty(policy.rules),
      },
    };
  }
  const warnings = mesh.proxy && mesh.proxy.quit.length === 0
    ? [`nothing stops mesh '${mesh.name}''s proxy: the pod will not complete unless it stops by itself; give the mesh a quit request`]
    : [];
  if (input.restartPolicy === 'OnFailure') {
    warnings.push(
      'restartPolicy OnFailure became Never: a wrapped container restarted in the same pod would wait for a proxy ' +
      'already stopped; failed runs are retried in new pods, up to backoffLimit',
    );
  }
  const wrapped = planWrap(input, names);
  if ('unwrappable' in wrapped) return { unwrappable: wrapped.unwrappable };
  const initNames = wrapped.initContainer ? [wrapped.initContainer.name] : [];
  const policy = rules(wrapped.proxyNotReady, 'Never', initNames, names.main);
  return {
    plan: {
      ...base,
      ...metadata(mesh.podLabels, { ...mesh.podAnnotations, ...mesh.wrapPodAnnotations }),
      warnings: [...choice.warnings, ...notes, ...warnings, ...policy.warnings],
      restartPolicy: 'Never',
      shareProcessNamespace: mesh.proxy?.shareProcessNamespace,
      volumes: wrapped.volumes,
      initContainer: wrapped.initContainer,
      containers: wrapped.containers,
      podFailureRules: nonEmpty(policy.rules),
    },
  };
}

function nonEmpty(rules: unknown[]): unknown[] | undefined {
  return rules.length > 0 ? rules : undefined;
}

/** A warning when the mesh version needs a newer Kubernetes than the declared one. */
function kubernetesNotes(mesh: MeshContract, k8s: Version | undefined): string[] {
  if (!mesh.kubernetesMin || !k8s || atLeast(k8s, mesh.kubernetesMin)) return [];
  return [`${mesh.name} ${mesh.version?.text ?? ''} supports Kubernetes ${mesh.kubernetesMin} and later, and kubernetesVersion is ${k8s.text}: ` +
    'its control plane may not install or inject there; upgrade Kubernetes, or use a mesh release that supports it'];
}

/** Every container's final name, checked: unique DNS labels, none the mesh's or MeshJob's own. */
function nameContainers(input: PodInput): { main: string[]; sidecars: string[]; init: string[] } {
  const { subject } = input;
  if (input.containers.length === 0) {
    throw new Error(`${subject} has no containers: give at least one in \`containers\` (with image and command)`);
  }
  const main = input.containers.map((c) => c.name ?? DEFAULT_CONTAINER_NAME);
  const sidecars = (input.sidecars ?? []).map((c) => c.name ?? DEFAULT_CONTAINER_NAME);
  const init = (input.initContainers ?? []).map((c, i) => c.name ?? `init-${i + 1}`);
  const reserved = [INIT_CONTAINER_NAME, ...(input.mesh.injectedContainers ?? [])];
  const seen = new Set<string>();
  for (const name of [...main, ...sidecars, ...init]) {
    if (seen.has(name)) {
      throw new Error(
        `${subject} has two containers named '${name}': give each container a unique \`name\` ` +
        '(an unnamed container is called \'main\', an unnamed init container \'init-N\' after its place)',
      );
    }
    seen.add(name);
    if (!DNS_LABEL.test(name) || name.length > 63) {
      throw new Error(`${subject}: container name '${name}' is not a DNS label: use lowercase letters, digits and '-', at most 63 characters`);
    }
    if (reserved.includes(name)) {
      throw new Error(`${subject}: container name '${name}' is the name of a container the mesh or MeshJob adds: rename it`);
    }
  }
  return { main, sidecars, init };
}

/** The wrapped pod's parts, or the container that keeps it from being wrapped. */
type WrapPlan =
  | { readonly containers: ContainerPlan[]; readonly volumes: VolumeJson[]; readonly initContainer?: ContainerJson; readonly proxyNotReady: string[] }
  | { readonly unwrappable: Unwrappable };

/** The wrapped form: every main container's command, and every done-file sidecar's, runs under the wrapper. */
function planWrap(input: PodInput, names: { main: string[]; sidecars: string[] }): WrapPlan {
  const { subject, mesh } = input;
  const wrap = input.lifecycle.wrap;
  const runtime = wrap.runtime;
  checkWrappable(input, runtime);
  const timing = checkTiming(subject, wrap);
  const sidecars = input.sidecars ?? [];
  const unwrappable = [...input.containers.map((c, i) => ({ c, name: names.main[i] })),
    ...sidecars.map((c, i) => ({ c, name: names.sidecars[i] })).filter(({ c }) => c.quitRequest === undefined)]
    .find(({ c }) => !c.command || c.command.length === 0);
  if (unwrappable) return { unwrappable: { container: unwrappable.name, image: unwrappable.c.image, reason: 'no-command' as const } };

  const fileSidecars = sidecars.map((c, i) => ({ c, i })).filter(({ c }) => c.quitRequest === undefined);
  const sidecarQuits = toQuitCalls(sidecars.flatMap((c) => (c.quitRequest ? [c.quitRequest] : [])), subject);
  const sidecarReadyUrls = sidecars.flatMap((c) => (c.readinessUrl === undefined ? [] : [c.readinessUrl]));
  // Without a mesh proxy, containers are still wrapped when other sidecars must be stopped.
  const proxy = proxyForPod(mesh.proxy ?? { quit: [] }, input.podAnnotations ?? {});
  if (proxy.readinessUrl) assertLoopbackUrl(proxy.readinessUrl, subject, 'readiness URL');
  proxy.quit.forEach((q) => q.method === KILL_BY_NAME || assertLoopbackUrl(q.url, subject, 'quit URL'));
  const podInfo = podInfoOf(proxy);
  const mounts = podInfo ? [...runtime.mounts, podInfo.mount] : runtime.mounts;
  const common = {
    peers: names.main,
    dir: runtime.stateDir,
    busybox: runtime.busybox,
    httpClient: runtime.httpClient,
    ...timing,
    keepProxyOnFailure: wrap.keepProxyOnFailure,
    ...podInfo?.settings,
  };
  const meshReady = proxy.readinessUrl === undefined ? [] : [proxy.readinessUrl];
  // A mesh that injects its proxy (Istio, Linkerd, Consul) has it beside every container; with a
  // plain Envoy or a custom mesh the proxy may be one of the job's own sidecars, which must not
  // wait for itself.
  const sidecarReady = (mesh.injectedContainers ?? []).length > 0 ? meshReady : [];
  // The same request twice (a sidecar's quitRequest that is the mesh's own quit) is sent once, last.
  const meshQuit = new Set(proxy.quit.map((q) => `${q.method} ${q.url}`));
  const wrapped = (name: string, c: ContainerInput, settings: Omit<WrapperSettings, keyof typeof common | 'container'>) => {
    checkWrappedContainer(subject, name, c);
    return {
      command: [
        ...wrapperCommand(runtime.shell, { ...common, ...settings, container: name, terminationMessagePath: c.terminationMessagePath }),
        ...c.command!,
      ],
      volumeMounts: mounts,
    };
  };

  // Main containers wait for the mesh proxy and every sidecar; the last one to end stops the
  // job's own sidecars first and the mesh proxy last, so sidecars keep their network to the end.
  // The proxy's own readiness and quit are apart: the wrapper skips them when the pod shows that
  // no proxy was injected, or (the quit) that the proxy is a native sidecar.
  const fileSidecarNames = fileSidecars.map(({ i }) => names.sidecars[i]);
  const containers: ContainerPlan[] = [
    ...input.containers.map((c, index) => ({
      name: names.main[index],
      from: 'containers' as const,
      index,
      wrap: wrapped(names.main[index], c, {
        proxyReadyUrls: meshReady,
        readyUrls: sidecarReadyUrls,
        startOnReadyTimeout: wrap.onReadyTimeout === ReadyTimeoutAction.START,
        startWithoutProxy: wrap.onProxyNotInjected === ProxyNotInjectedAction.START,
        quit: [...sidecarQuits, ...toQuitCalls(wrap.extraQuitRequests, subject)].filter((q) => !meshQuit.has(`${q.method} ${q.url}`)),
        proxyQuit: proxy.quit,
        sidecars: fileSidecarNames,
      }),
    })),
    // Done-file sidecars wait for the mesh proxy but start anyway if it never comes (or was never
    // injected); HTTP-stopped sidecars stay as they are.
    ...sidecars.map((c, index) => ({
      name: names.sidecars[index],
      from: 'sidecars' as const,
      index,
      wrap: c.quitRequest !== undefined ? undefined : wrapped(names.sidecars[index], c, {
        role: 'sidecar', proxyReadyUrls: sidecarReady, startOnReadyTimeout: true, startWithoutProxy: true, quit: [], sidecars: [],
      }),
    })),
  ];
  const startsAnyway = wrap.onReadyTimeout === ReadyTimeoutAction.START;
  return {
    containers,
    volumes: podInfo ? [...runtime.volumes, podInfo.volume] : runtime.volumes,
    initContainer: runtime.initContainer,
    proxyNotReady: startsAnyway ? [] : names.main,
  };
}

/**
 * What the wrapper reads of its own pod at run time, when the mesh leaves anything there to read
 * (an injection marker, a native proxy's status, ports and paths a pod annotation may move): a
 * downward API volume with only the files needed, its read-only mount, and the settings that say
 * what to look for.
 */
function podInfoOf(proxy: ProxyContract) {
  const files = new Set<'annotations' | 'labels'>();
  if (proxy.injectionMarker) files.add(proxy.injectionMarker.file);
  if (proxy.nativeStatus || (proxy.portAnnotations ?? []).length > 0 || (proxy.pathAnnotations ?? []).length > 0) files.add('annotations');
  if (files.size === 0) return undefined;
  const volume: VolumeJson = {
    name: WRAPPER_POD_INFO_VOLUME_NAME,
    downwardAPI: { items: [...files].sort().map((f) => ({ path: f, fieldRef: { fieldPath: `metadata.${f}` } })) },
  };
  return {
    volume,
    mount: { name: WRAPPER_POD_INFO_VOLUME_NAME, mountPath: WRAPPER_POD_INFO_PATH, readOnly: true } as MountJson,
    settings: {
      podInfoDir: WRAPPER_POD_INFO_PATH,
      injectionMarker: proxy.injectionMarker,
      nativeProxy: proxy.nativeStatus,
      portAnnotations: proxy.portAnnotations,
      pathAnnotations: proxy.pathAnnotations,
    },
  };
}

/** What a container must have to be wrapped: nothing of the wrapper's own. */
function checkWrappedContainer(subject: string, name: string, c: ContainerInput): void {
  if (c.command![0].startsWith('-')) {
    throw new Error(
      `${subject}: container '${name}' command ${JSON.stringify(c.command![0])} starts with "-", which the wrapper's ` +
      '`exec` would read as an option: give the program\'s path first (e.g. "/bin/app")',
    );
  }
  const clash = (c.envNames ?? []).find((n) => n.startsWith(WRAPPER_ENV_PREFIX));
  if (clash) {
    throw new Error(`${subject}: container '${name}' sets ${clash}, but ${WRAPPER_ENV_PREFIX}* variables belong to the wrapper: rename it`);
  }
  const mounted = (c.mountPaths ?? []).find((p) => isUnder(p, WRAPPER_MOUNT_PATH));
  if (mounted !== undefined) {
    const spelled = mounted === WRAPPER_MOUNT_PATH ? '' : ` (${JSON.stringify(mounted)})`;
    throw new Error(`${subject}: container '${name}' mounts a volume at ${WRAPPER_MOUNT_PATH}${spelled}, which the wrapper uses: mount it elsewhere`);
  }
}

/** What makes wrapping impossible whatever the containers: the pod's restartPolicy and volume names. */
function checkWrappable(input: PodInput, runtime: RuntimeParts): void {
  const { subject } = input;
  const changeable = input.restartPolicy === 'OnFailure' && input.chartJob;
  if (input.restartPolicy !== undefined && input.restartPolicy !== 'Never' && !changeable) {
    throw new Error(
      `${subject}: restartPolicy '${input.restartPolicy}' cannot be used with wrapped containers: ` +
      'a container restarted in the same pod waits for a proxy the wrapper already stopped. ' +
      'Leave restartPolicy unset (Never) and let the Job retry with new pods through `backoffLimit`',
    );
  }
  for (const volume of [...runtime.volumes, { name: WRAPPER_POD_INFO_VOLUME_NAME }]) {
    if ((input.volumeNames ?? []).includes(volume.name)) {
      throw new Error(`${subject}: volume name '${volume.name}' is reserved for the wrapper (its shared directory, its binary, its pod's metadata): rename your volume`);
    }
  }
}

/** True when `path` is `dir` or lies under it, however it is spelled ("//meshjob/", "/meshjob/./x"). */
function isUnder(path: string, dir: string): boolean {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  const normal = `/${parts.join('/')}`;
  return normal === dir || normal.startsWith(`${dir}/`);
}

/** The kubelet's HTTP startup probe for a loopback URL: same port and path, on the pod IP. */
function startupProbeOf(url: string): Record<string, unknown> {
  const u = new URL(url);
  return { httpGet: { port: Number(u.port || 80), path: `${u.pathname}${u.search}` }, ...NATIVE_STARTUP_PROBE };
}

/** A duration for messages, as the user likely wrote it: whole seconds in s, else ms. */
function spell(ms: number): string {
  return ms >= 1000 && Number.isInteger(ms / 1000) ? `${ms / 1000} s` : `${ms} ms`;
}

/** The wrapper's timing in seconds, each value checked against the wrapper's bounds (src/runtime/limits.ts). */
function checkTiming(subject: string, wrap: WrapInput) {
  const bounded = (name: string, ms: number, maxSeconds: number, what: string) => {
    if (!(ms <= maxSeconds * 1000)) {
      throw new Error(`${subject}: ${name} of ${spell(ms)} is longer than the wrapper allows (${maxSeconds} s, ${what}): shorten it`);
    }
    return ms;
  };
  const wholeSeconds = (name: string, ms: number, maxSeconds: number, what: string) => {
    if (!(ms >= 1000) || ms % 1000 !== 0) {
      throw new Error(`${subject}: ${name} of ${spell(ms)} must be a whole number of seconds, at least 1: use Duration.seconds(n)`);
    }
    return bounded(name, ms, maxSeconds, what) / 1000;
  };
  const readyTimeoutSeconds = wholeSeconds('readyTimeout', wrap.readyTimeoutMs, MAX_READY_TIMEOUT_SECONDS, 'a day');
  const requestTimeoutSeconds = wholeSeconds('requestTimeout', wrap.requestTimeoutMs, MAX_REQUEST_TIMEOUT_SECONDS, 'an hour');
  const sidecarStopTimeoutSeconds = wholeSeconds('sidecarStopTimeout', wrap.sidecarStopTimeoutMs, MAX_SIDECAR_STOP_TIMEOUT_SECONDS, 'an hour');
  const poll = bounded('readyPollInterval', wrap.readyPollMs, MAX_READY_POLL_SECONDS, 'a minute');
  if (!(poll >= 1)) {
    throw new Error(`${subject}: readyPollInterval of ${spell(poll)} is too short: use at least Duration.millis(1) (default 20 ms)`);
  }
  if (poll > wrap.readyTimeoutMs) {
    throw new Error(
      `${subject}: readyTimeout (${wrap.readyTimeoutMs} ms) is shorter than readyPollInterval (${poll} ms), ` +
      'so the proxy would be asked at most once: lengthen readyTimeout or shorten readyPollInterval',
    );
  }
  const quitRetryDelay = bounded('quitRetryDelay', wrap.quitRetryDelayMs, MAX_QUIT_RETRY_DELAY_SECONDS, 'a minute');
  const attempts = wrap.quitAttempts;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > MAX_QUIT_ATTEMPTS) {
    throw new Error(`${subject}: quitAttempts ${attempts} must be a whole number from 1 to ${MAX_QUIT_ATTEMPTS}`);
  }
  return {
    readyTimeoutSeconds,
    readyPollSeconds: poll / 1000,
    requestTimeoutSeconds,
    quitAttempts: attempts,
    quitRetryDelaySeconds: quitRetryDelay / 1000,
    sidecarStopTimeoutSeconds,
  };
}
