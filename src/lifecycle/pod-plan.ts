import { Duration } from 'cdk8s';
import { LifecycleChoice, chooseLifecycle } from './select';
import { LifecycleMode, ReadyTimeoutAction, ResolvedWrap, SidecarLifecycle } from './sidecar-lifecycle';
import { assertLoopbackUrl, KILL_BY_NAME, QuitRequest, toQuitCalls } from '../meshes/endpoint';
import { MeshContract } from '../meshes/mesh-contract';
import {
  WRAPPER_BUSYBOX_PATH, WRAPPER_ENV_PREFIX, WRAPPER_MOUNT_PATH, WRAPPER_VOLUME_NAME,
  protectWrapperVariables, wrapperCommand, wrapperEnv, WrapperSettings,
} from '../runtime/wrapper';

// The pure lifecycle core: from a mesh, a lifecycle and the pod's containers (plain data), it
// decides every label, annotation, volume, init container and command a pod needs. It knows
// nothing of constructs: MeshJob renders the plan through cdk8s-plus, and the same plan can be
// applied to a pod spec read from YAML.

/** A container as the plan needs to see it. @internal */
export interface ContainerInput {
  readonly name: string;
  readonly command?: string[];
  readonly args?: string[];
  /** Names of the environment variables the container already sets. */
  readonly envNames?: string[];
  /** Mount paths the container already uses. */
  readonly mountPaths?: string[];
}

/** A sidecar the job declares itself, as the plan needs to see it. @internal */
export interface SidecarInput extends ContainerInput {
  /** Stops it over HTTP; without it, its command is wrapped and it is stopped by a done file. */
  readonly quitRequest?: QuitRequest;
  /** Main containers wait for this loopback URL to answer 2xx before they start. */
  readonly readyUrl?: string;
}

/** The pod as the plan needs to see it. @internal */
export interface PodInput {
  /** Who is asking, for error messages, e.g. "meshjob 'reports/nightly'". */
  readonly subject: string;
  readonly mesh: MeshContract;
  readonly lifecycle: SidecarLifecycle;
  readonly containers: ContainerInput[];
  /** The job's own sidecars: they must end when the main containers end. */
  readonly sidecars?: SidecarInput[];
  readonly initContainerNames?: string[];
  readonly volumeNames?: string[];
  /** The Kubernetes version the pod runs on, e.g. "1.30". */
  readonly kubernetesVersion?: string;
  /** The pod's restartPolicy, if the user set one. */
  readonly restartPolicy?: string;
  readonly podLabels?: Record<string, string>;
  readonly podAnnotations?: Record<string, string>;
}

/** The init container that copies busybox into the shared volume. @internal */
export interface InitContainerPlan {
  readonly name: string;
  readonly image: string;
  readonly command: string[];
  readonly mountPath: string;
  readonly volumeName: string;
  /** Restricted Pod Security profile, as Kubernetes JSON. */
  readonly securityContext: Record<string, unknown>;
  readonly resources: {
    readonly cpuRequestMillis: number;
    readonly cpuLimitMillis: number;
    readonly memoryRequestMebibytes: number;
    readonly memoryLimitMebibytes: number;
  };
}

/** How one main container or wrapped sidecar changes. @internal */
export interface ContainerPlan {
  readonly name: string;
  /** Replaces `command`; the original command follows the wrapper's own argv. */
  readonly command: string[];
  /** The original `args`, with references to the wrapper's variables escaped (protectWrapperVariables). */
  readonly args?: string[];
  readonly env: Array<{ name: string; value: string }>;
  readonly volumeMount: { readonly name: string; readonly mountPath: string };
}

/** A job's own sidecar that becomes a native sidecar (init container with restartPolicy: Always). @internal */
export interface NativeSidecarPlan {
  readonly name: string;
  /** HTTP startup probe from the sidecar's readiness URL (the kubelet probes the pod IP). */
  readonly startupProbe?: { readonly port: number; readonly path: string };
}

/** Everything the pod needs. @internal */
export interface PodPlan {
  /** The lifecycle chosen, why, and what may not work. */
  readonly choice: LifecycleChoice;
  /** Sidecars that become native sidecars, in order. */
  readonly nativeSidecars: NativeSidecarPlan[];
  /**
   * Wrapped main containers whose wrapper exits WrapperExitCode.PROXY_NOT_READY when the proxy
   * never turns ready (none with ReadyTimeoutAction.START: a 75 there is the command's own).
   */
  readonly proxyNotReadyContainers: string[];
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  /** Set when the pod must use this restartPolicy. */
  readonly restartPolicy?: string;
  /** The pod's containers must share one process namespace. */
  readonly shareProcessNamespace?: boolean;
  readonly volume?: { readonly name: string; readonly sizeLimitMebibytes: number };
  readonly initContainer?: InitContainerPlan;
  /** Wrapped main containers; containers not listed are left as they are. */
  readonly containers: ContainerPlan[];
  /** Wrapped sidecars (stopped by done file); HTTP-stopped sidecars are left as they are. */
  readonly sidecars: ContainerPlan[];
}

/**
 * Pod template annotation that records the lifecycle applied ("wrap", "native" or "none"): what
 * MeshJob chose, for operators, and the mark that makes applying it again a no-op.
 */
export const LIFECYCLE_ANNOTATION = 'meshjob/lifecycle';

/** Name of the init container that provides busybox. */
export const INIT_CONTAINER_NAME = 'meshjob-busybox';


/** The Pod Security "restricted" profile for a container (kubernetes.io/docs/concepts/security/pod-security-standards). */
export const RESTRICTED_SECURITY_CONTEXT: Record<string, unknown> = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  allowPrivilegeEscalation: false,
  privileged: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Decides what a pod needs for its mesh. Throws, naming the subject and the fix, when it cannot work. @internal */
export function planPod(input: PodInput): PodPlan {
  const { subject, mesh } = input;
  checkContainers(input);
  const sidecars = input.sidecars ?? [];
  sidecars.forEach((c) => c.readyUrl === undefined || assertLoopbackUrl(c.readyUrl, subject, 'sidecar readiness URL'));
  const choice = chooseLifecycle({
    subject, mesh, lifecycle: input.lifecycle, kubernetesVersion: input.kubernetesVersion, hasSidecars: sidecars.length > 0,
  });
  const metadata = (labels: Record<string, string>, annotations: Record<string, string>) => ({
    labels: meshMetadata(subject, 'label', input.podLabels ?? {}, labels),
    annotations: meshMetadata(subject, 'annotation', input.podAnnotations ?? {}, { ...annotations, [LIFECYCLE_ANNOTATION]: choice.mode },
      mesh.annotationMerges),
  });
  const unchanged = { choice, containers: [], sidecars: [], nativeSidecars: [], proxyNotReadyContainers: [] };

  if (choice.mode === LifecycleMode.NONE) {
    return { ...unchanged, ...metadata(mesh.podLabels, mesh.podAnnotations) };
  }
  if (choice.mode === LifecycleMode.NATIVE) {
    const native = mesh.native;
    return {
      ...unchanged,
      ...metadata(native?.podLabels ?? mesh.podLabels, native?.podAnnotations ?? mesh.podAnnotations),
      nativeSidecars: sidecars.map((c) => ({ name: c.name, startupProbe: c.readyUrl === undefined ? undefined : probeOf(c.readyUrl) })),
    };
  }
  const wrapped = mesh.proxy && mesh.proxy.quit.length === 0
    ? { ...choice, warnings: [...choice.warnings, `nothing stops mesh '${mesh.name}''s proxy: the pod will not complete unless it stops by itself; give the mesh a quit request`] }
    : choice;
  return planWrap(input, wrapped, metadata(mesh.podLabels, mesh.podAnnotations));
}

/** The wrapped form: every main container's command runs under the wrapper. */
function planWrap(input: PodInput, choice: LifecycleChoice, meta: { labels: Record<string, string>; annotations: Record<string, string> }): PodPlan {
  const { subject, mesh } = input;
  const { labels, annotations } = meta;
  const wrap = input.lifecycle._wrap;
  const extraQuits = toQuitCalls(wrap.extraQuitRequests, subject);
  const sidecars = input.sidecars ?? [];
  const httpSidecars = sidecars.filter((c) => c.quitRequest !== undefined);
  const fileSidecars = sidecars.filter((c) => c.quitRequest === undefined);
  const sidecarQuits = toQuitCalls(httpSidecars.map((c) => c.quitRequest!), subject);
  const sidecarReadyUrls = sidecars.flatMap((c) => (c.readyUrl === undefined ? [] : [c.readyUrl]));
  // Without a mesh proxy, containers are still wrapped when other sidecars must be stopped.
  const proxy = mesh.proxy ?? { quit: [] };
  if (proxy.readyUrl) assertLoopbackUrl(proxy.readyUrl, subject, 'readiness URL');
  proxy.quit.forEach((q) => q.method === KILL_BY_NAME || assertLoopbackUrl(q.url, subject, 'quit URL'));
  const timing = checkTiming(subject, wrap);

  if (input.restartPolicy !== undefined && input.restartPolicy !== 'Never') {
    throw new Error(
      `${subject}: restartPolicy '${input.restartPolicy}' cannot be used with wrapped containers: ` +
      'a container restarted in the same pod waits for a proxy the wrapper already stopped. ' +
      'Leave restartPolicy unset (Never) and let the Job retry with new pods through `backoffLimit`',
    );
  }

  const runtime = wrap.runtime._resolved;
  const volumeName = WRAPPER_VOLUME_NAME;
  if ((input.volumeNames ?? []).includes(volumeName)) {
    throw new Error(`${subject}: volume name '${volumeName}' is reserved for the wrapper's shared directory: rename your volume`);
  }
  const shell = runtime.shell ? [runtime.shell] : [WRAPPER_BUSYBOX_PATH, 'sh'];
  const common = {
    peers: input.containers.map((c) => c.name),
    dir: WRAPPER_MOUNT_PATH,
    busybox: runtime.shell ? undefined : WRAPPER_BUSYBOX_PATH,
    httpClient: runtime.httpClient,
    ...timing,
    quitAttempts: wrap.quitAttempts,
    keepProxyOnFailure: wrap.keepProxyOnFailure,
  };
  const meshReady = proxy.readyUrl === undefined ? [] : [proxy.readyUrl];

  const wrapContainer = (c: ContainerInput, env: Omit<WrapperSettings, keyof typeof common | 'container'>): ContainerPlan => {
    if (!c.command || c.command.length === 0) {
      throw new Error(
        `${subject} wraps container '${c.name}' but it has no command: the image's entrypoint is not ` +
        'visible at synth time. Set `command` to the image\'s entrypoint (and `args` to its arguments)',
      );
    }
    if (c.command[0].startsWith('-')) {
      throw new Error(
        `${subject}: container '${c.name}' command ${JSON.stringify(c.command[0])} starts with "-", which the wrapper's ` +
        '`exec` would read as an option: give the program\'s path first (e.g. "/bin/app")',
      );
    }
    const clash = (c.envNames ?? []).find((n) => n.startsWith(WRAPPER_ENV_PREFIX));
    if (clash) {
      throw new Error(`${subject}: container '${c.name}' sets ${clash}, but ${WRAPPER_ENV_PREFIX}* variables belong to the wrapper: rename it`);
    }
    if ((c.mountPaths ?? []).some((p) => p === WRAPPER_MOUNT_PATH || p.startsWith(`${WRAPPER_MOUNT_PATH}/`))) {
      throw new Error(`${subject}: container '${c.name}' mounts a volume at ${WRAPPER_MOUNT_PATH}, which the wrapper uses: mount it elsewhere`);
    }
    return {
      name: c.name,
      command: [...wrapperCommand(shell), ...c.command.map(protectWrapperVariables)],
      args: c.args?.map(protectWrapperVariables),
      env: wrapperEnv({ ...common, ...env, container: c.name }),
      volumeMount: { name: volumeName, mountPath: WRAPPER_MOUNT_PATH },
    };
  };

  // Main containers wait for the mesh proxy and every sidecar; the last one to end stops the
  // job's own sidecars first and the mesh proxy last, so sidecars keep their network to the end.
  const fileSidecarNames = fileSidecars.map((c) => c.name);
  const containers = input.containers.map((c) => wrapContainer(c, {
    role: 'main',
    readyUrls: [...meshReady, ...sidecarReadyUrls],
    startOnReadyTimeout: wrap.onReadyTimeout === ReadyTimeoutAction.START,
    quit: [...sidecarQuits, ...extraQuits, ...proxy.quit],
    sidecars: fileSidecarNames,
  }));
  // Done-file sidecars wait for the mesh proxy but start anyway if it never comes.
  const wrappedSidecars = fileSidecars.map((c) => wrapContainer(c, {
    role: 'sidecar',
    readyUrls: meshReady,
    startOnReadyTimeout: true,
    quit: [],
    sidecars: [],
  }));

  const initContainer: InitContainerPlan | undefined = runtime.busyboxImage === undefined ? undefined : {
    name: INIT_CONTAINER_NAME,
    image: runtime.busyboxImage,
    command: ['/bin/busybox', 'cp', '/bin/busybox', WRAPPER_BUSYBOX_PATH],
    mountPath: WRAPPER_MOUNT_PATH,
    volumeName,
    securityContext: RESTRICTED_SECURITY_CONTEXT,
    resources: { cpuRequestMillis: 10, cpuLimitMillis: 100, memoryRequestMebibytes: 8, memoryLimitMebibytes: 32 },
  };
  if (initContainer && (input.initContainerNames ?? []).includes(initContainer.name)) {
    throw new Error(`${subject}: init container name '${initContainer.name}' is reserved for the wrapper: rename yours`);
  }

  const startsAnyway = wrap.onReadyTimeout === ReadyTimeoutAction.START;
  return {
    choice,
    nativeSidecars: [],
    proxyNotReadyContainers: startsAnyway ? [] : containers.map((c) => c.name),
    labels,
    annotations,
    restartPolicy: 'Never',
    shareProcessNamespace: proxy.shareProcessNamespace,
    volume: { name: volumeName, sizeLimitMebibytes: 16 },
    initContainer,
    containers,
    sidecars: wrappedSidecars,
  };
}

/** The kubelet's HTTP probe for a loopback URL: same port and path, on the pod IP. */
function probeOf(url: string): { port: number; path: string } {
  const u = new URL(url);
  return { port: Number(u.port || 80), path: `${u.pathname}${u.search}` };
}

function checkContainers(input: PodInput): void {
  const { subject } = input;
  if (input.containers.length === 0) {
    throw new Error(`${subject} has no containers: give at least one in \`containers\` (with image and command)`);
  }
  const seen = new Set<string>();
  const names = [...input.containers, ...(input.sidecars ?? [])].map((c) => c.name);
  for (const name of [...names, ...(input.initContainerNames ?? [])]) {
    if (seen.has(name)) {
      throw new Error(
        `${subject} has two containers named '${name}': give each container a unique \`name\` ` +
        '(an unnamed container is called \'main\')',
      );
    }
    seen.add(name);
    if (!DNS_LABEL.test(name) || name.length > 63) {
      throw new Error(`${subject}: container name '${name}' is not a DNS label: use lowercase letters, digits and '-', at most 63 characters`);
    }
    if (name === INIT_CONTAINER_NAME || input.mesh.injectedContainers?.includes(name)) {
      throw new Error(`${subject}: container name '${name}' is the name of a container the mesh or MeshJob adds: rename it`);
    }
  }
}

function meshMetadata(
  subject: string, kind: string, user: Record<string, string>, mesh: Record<string, string>,
  merge: Record<string, (user: string, mesh: string) => string | undefined> = {},
): Record<string, string> {
  const result = { ...mesh };
  for (const [key, value] of Object.entries(mesh)) {
    const merged = key in user && merge[key] ? merge[key](user[key], value) : undefined;
    if (merged !== undefined) {
      result[key] = merged;
    } else if (key in user && user[key] !== value) {
      throw new Error(
        `${subject}: pod ${kind} ${key}=${JSON.stringify(user[key])} conflicts with ${JSON.stringify(value)}, ` +
        'which the mesh settings need: remove it from podMetadata, or change the mesh options instead',
      );
    }
  }
  return { ...mesh };
}

function checkTiming(subject: string, wrap: ResolvedWrap) {
  const ms = (d: Duration) => d.toMilliseconds();
  const wholeSeconds = (name: string, d: Duration) => {
    const v = ms(d);
    if (v < 1000 || v % 1000 !== 0) {
      throw new Error(`${subject}: ${name} of ${v} ms must be a whole number of seconds, at least 1: use Duration.seconds(n)`);
    }
    return v / 1000;
  };
  const readyTimeoutSeconds = wholeSeconds('readyTimeout', wrap.readyTimeout);
  const requestTimeoutSeconds = wholeSeconds('requestTimeout', wrap.requestTimeout);
  const poll = ms(wrap.readyPollInterval);
  if (poll < 1) {
    throw new Error(`${subject}: readyPollInterval of ${poll} ms is too short: use at least Duration.millis(1) (default 20 ms)`);
  }
  if (poll > ms(wrap.readyTimeout)) {
    throw new Error(
      `${subject}: readyTimeout (${ms(wrap.readyTimeout)} ms) is shorter than readyPollInterval (${poll} ms), ` +
      'so the proxy would be asked at most once: lengthen readyTimeout or shorten readyPollInterval',
    );
  }
  if (!Number.isInteger(wrap.quitAttempts) || wrap.quitAttempts < 1 || wrap.quitAttempts > 100) {
    throw new Error(`${subject}: quitAttempts ${wrap.quitAttempts} must be a whole number from 1 to 100`);
  }
  return {
    readyTimeoutSeconds,
    readyPollSeconds: poll / 1000,
    requestTimeoutSeconds,
    quitRetryDelaySeconds: ms(wrap.quitRetryDelay) / 1000,
    sidecarStopTimeoutSeconds: wholeSeconds('sidecarStopTimeout', wrap.sidecarStopTimeout),
  };
}
