import {
  WRAPPER_BIN_PATH, WRAPPER_BIN_VOLUME_NAME, WRAPPER_BUSYBOX_PATH, WRAPPER_STATE_PATH, WRAPPER_VOLUME_NAME,
} from './layout';

/**
 * The HTTP client the wrapper uses when it runs on the image's own shell.
 */
export enum HttpClient {
  /** `wget` (busybox or GNU), each request bounded by the `timeout` command. */
  WGET = 'wget',
  /** `curl`, each request bounded by `--max-time`. */
  CURL = 'curl',
}

/**
 * Options for `WrapperRuntime.busybox()`.
 */
export interface BusyboxRuntimeOptions {
  /**
   * The image that provides a statically linked busybox at `/bin/busybox`. Override it to pull from
   * a private mirror or to pin a digest (`registry.example.com/busybox@sha256:...`).
   *
   * @default "busybox:1.36.1-uclibc" - Docker's official image, uclibc variant (statically linked)
   */
  readonly image?: string;

  /**
   * The user the init container runs as.
   *
   * @default 65532
   */
  readonly runAsUser?: number;

  /**
   * The group the init container runs as.
   *
   * @default 65532
   */
  readonly runAsGroup?: number;

  /**
   * Leave the init container's user and group to the platform: render neither `runAsUser` nor
   * `runAsGroup` (the rest of the restricted profile stays). OpenShift's `restricted-v2` SCC
   * refuses a pod that names a UID outside the namespace's range and assigns one itself; the
   * copied binary is readable and executable by every user, so the wrapped containers can run it
   * whatever UIDs they get.
   *
   * @default false
   */
  readonly platformAssignsUser?: boolean;
}

/**
 * Options for `WrapperRuntime.imageShell()`.
 */
export interface ImageShellRuntimeOptions {
  /**
   * Absolute path of a POSIX shell in the application image.
   *
   * @default "/bin/sh"
   */
  readonly shell?: string;

  /**
   * The HTTP client on the image's PATH. With `HttpClient.WGET` the image also needs `timeout`.
   *
   * @default HttpClient.WGET
   */
  readonly httpClient?: HttpClient;
}

/** A volume the wrapper adds to the pod, as Kubernetes JSON (core/v1 Volume). @internal */
export interface VolumeJson {
  readonly name: string;
  readonly emptyDir?: { readonly sizeLimit: string };
  readonly downwardAPI?: { readonly items: Array<{ readonly path: string; readonly fieldRef: { readonly fieldPath: string } }> };
}

/** A volume mount the wrapper adds to a container, as Kubernetes JSON (core/v1 VolumeMount). @internal */
export interface MountJson {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly?: boolean;
}

/** A container the wrapper adds, as Kubernetes JSON (core/v1 Container): every field it renders. @internal */
export interface ContainerJson {
  readonly name: string;
  readonly image: string;
  readonly imagePullPolicy: string;
  readonly command: string[];
  readonly resources: {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
  };
  /** Restricted Pod Security profile. */
  readonly securityContext: Record<string, unknown>;
  readonly volumeMounts: MountJson[];
}

/** What a runtime adds to a pod and how the wrapper starts. @internal */
export interface RuntimeParts {
  /** How to start a POSIX shell, e.g. ["/meshjob/bin/busybox", "sh"]. */
  readonly shell: string[];
  /** Path of the busybox binary the wrapper calls its tools through; absent for the image's tools. */
  readonly busybox?: string;
  readonly httpClient: HttpClient;
  /** The wrapper's state directory, as its containers see it. */
  readonly stateDir: string;
  readonly volumes: VolumeJson[];
  /** Mounts every wrapped container gets. */
  readonly mounts: MountJson[];
  /** The init container that comes before every other init container. */
  readonly initContainer?: ContainerJson;
}

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

const STATE: VolumeJson = { name: WRAPPER_VOLUME_NAME, emptyDir: { sizeLimit: '1Mi' } };
const BIN: VolumeJson = { name: WRAPPER_BIN_VOLUME_NAME, emptyDir: { sizeLimit: '16Mi' } };

/** What the wrapper runs with, resolved. @internal */
interface ResolvedRuntime {
  /** Image of the init container that copies busybox into the shared volume; absent for imageShell. */
  readonly busyboxImage?: string;
  /** The init container's securityContext. */
  readonly securityContext?: Record<string, unknown>;
  /** Absolute shell path in the app image; absent when busybox provides it. */
  readonly shell?: string;
  readonly httpClient: HttpClient;
}

/** Default busybox image: the official image's uclibc variant is statically linked. */
export const DEFAULT_BUSYBOX_IMAGE = 'busybox:1.36.1-uclibc';

const IMAGE_REFERENCE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
const ABSOLUTE_PATH = /^\/[A-Za-z0-9._\-/]*$/;

/**
 * Where the wrapper's shell and HTTP client come from.
 */
export class WrapperRuntime {
  /**
   * An init container copies a static busybox into a shared emptyDir and the wrapper runs with it:
   * works in any image, including `FROM scratch` and distroless ones.
   */
  public static busybox(options: BusyboxRuntimeOptions = {}): WrapperRuntime {
    const image = options.image ?? DEFAULT_BUSYBOX_IMAGE;
    if (!IMAGE_REFERENCE.test(image)) {
      throw new Error(
        `busybox runtime image ${JSON.stringify(image)} is not a valid image reference: ` +
        'use [registry/]name[:tag][@sha256:digest], e.g. "busybox:1.36.1-uclibc"',
      );
    }
    const id = (name: string, value: number | undefined) => {
      if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 2147483647)) {
        throw new Error(`busybox runtime ${name} ${value} is not a non-root user or group ID: use a whole number from 1 to 2147483647`);
      }
      return value ?? RESTRICTED_SECURITY_CONTEXT[name];
    };
    const runAsUser = id('runAsUser', options.runAsUser);
    const runAsGroup = id('runAsGroup', options.runAsGroup);
    if (options.platformAssignsUser && (options.runAsUser !== undefined || options.runAsGroup !== undefined)) {
      throw new Error('busybox runtime: platformAssignsUser leaves the user and group to the platform: remove runAsUser and runAsGroup, or platformAssignsUser');
    }
    const { runAsUser: _u, runAsGroup: _g, ...rest } = RESTRICTED_SECURITY_CONTEXT;
    const securityContext = options.platformAssignsUser ? rest : { ...RESTRICTED_SECURITY_CONTEXT, runAsUser, runAsGroup };
    return new WrapperRuntime({ busyboxImage: image, httpClient: HttpClient.WGET, securityContext });
  }

  /**
   * The wrapper runs on the application image's own shell and HTTP client: no init container, but
   * the image must have a POSIX shell and wget (with `timeout`) or curl.
   */
  public static imageShell(options: ImageShellRuntimeOptions = {}): WrapperRuntime {
    const shell = options.shell ?? '/bin/sh';
    if (!ABSOLUTE_PATH.test(shell)) {
      throw new Error(
        `image shell ${JSON.stringify(shell)} is not an absolute path: use e.g. "/bin/sh" or "/bin/bash"`,
      );
    }
    return new WrapperRuntime({ shell, httpClient: options.httpClient ?? HttpClient.WGET });
  }

  private readonly resolved: ResolvedRuntime;

  private constructor(resolved: ResolvedRuntime) {
    this.resolved = resolved;
  }

  /**
   * The volumes, mounts and init container this runtime adds, and how the wrapper starts. The
   * binary lives in an emptyDir that only the init container writes; wrapped containers mount it
   * read-only, apart from the writable state directory, so no container can replace the program
   * another container's wrapper runs.
   * @internal
   */
  public _parts(): RuntimeParts {
    const { busyboxImage, shell, httpClient, securityContext } = this.resolved;
    const state = { name: STATE.name, mountPath: WRAPPER_STATE_PATH };
    if (busyboxImage === undefined) {
      return { shell: [shell ?? '/bin/sh'], httpClient, stateDir: WRAPPER_STATE_PATH, volumes: [STATE], mounts: [state] };
    }
    return {
      shell: [WRAPPER_BUSYBOX_PATH, 'sh'],
      busybox: WRAPPER_BUSYBOX_PATH,
      httpClient,
      stateDir: WRAPPER_STATE_PATH,
      volumes: [STATE, BIN],
      mounts: [state, { name: BIN.name, mountPath: WRAPPER_BIN_PATH, readOnly: true }],
      initContainer: {
        name: INIT_CONTAINER_NAME,
        image: busyboxImage,
        // The image is pinned by tag or digest: a node that has it needs no pull.
        imagePullPolicy: 'IfNotPresent',
        command: ['/bin/busybox', 'cp', '/bin/busybox', WRAPPER_BUSYBOX_PATH],
        resources: { requests: { cpu: '10m', memory: '8Mi' }, limits: { cpu: '100m', memory: '32Mi' } },
        securityContext: securityContext ?? RESTRICTED_SECURITY_CONTEXT,
        volumeMounts: [{ name: BIN.name, mountPath: WRAPPER_BIN_PATH }],
      },
    };
  }
}
