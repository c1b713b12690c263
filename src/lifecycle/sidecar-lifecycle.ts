import { Duration } from 'cdk8s';
import { QuitRequest } from '../meshes/endpoint';
import { WrapperRuntime } from '../runtime/wrapper-runtime';

/**
 * What the wrapper does when the proxy is not ready within `readyTimeout`.
 */
export enum ReadyTimeoutAction {
  /** Exit with `WrapperExitCode.PROXY_NOT_READY` without running the command, after stopping the proxy. */
  FAIL = 'fail',
  /** Run the command anyway; its first network calls may fail or bypass the mesh. */
  START = 'start',
}

/**
 * Options for `SidecarLifecycle.wrap()`.
 */
export interface WrapOptions {
  /**
   * Where the wrapper's shell and HTTP client come from.
   *
   * @default WrapperRuntime.busybox() - an init container copies a static busybox into a shared emptyDir
   */
  readonly runtime?: WrapperRuntime;

  /**
   * How long to wait for the proxy to turn ready before `onReadyTimeout` applies. Whole seconds.
   *
   * @default Duration.minutes(2)
   */
  readonly readyTimeout?: Duration;

  /**
   * Pause between two readiness requests. Each request costs a few milliseconds, so the command
   * starts within about this interval of the proxy turning ready.
   *
   * @default Duration.millis(20)
   */
  readonly readyPollInterval?: Duration;

  /**
   * Upper bound of one readiness or quit request. Whole seconds.
   *
   * @default Duration.seconds(2)
   */
  readonly requestTimeout?: Duration;

  /**
   * What to do when the proxy is not ready within `readyTimeout`.
   *
   * @default ReadyTimeoutAction.FAIL
   */
  readonly onReadyTimeout?: ReadyTimeoutAction;

  /**
   * How many times each quit request is tried when it gets a 5xx answer, is refused or gets no
   * answer (a 4xx answer is final). The pauses between attempts start at `quitRetryDelay` and
   * double up to 2 seconds, so the defaults keep trying for at least 13 seconds: a proxy that
   * restarts as the job ends is still stopped. After a SIGTERM (the pod is being deleted, its
   * proxy too) each quit request is tried once.
   *
   * @default 10
   */
  readonly quitAttempts?: number;

  /**
   * The first pause between two attempts of a quit request; each next pause doubles, up to 2
   * seconds (or this pause, if longer).
   *
   * @default Duration.millis(200)
   */
  readonly quitRetryDelay?: Duration;

  /**
   * Leave the proxy (and the extra sidecars) running when a wrapped command fails, so the pod
   * stays up for `kubectl exec` and `istioctl proxy-config`. The Job then ends only through
   * `activeDeadline` or deletion: set one.
   *
   * @default false
   */
  readonly keepProxyOnFailure?: boolean;

  /**
   * More sidecars to stop after the last main container ends, each by an HTTP request on the pod's
   * loopback address (e.g. a Cloud SQL Auth Proxy's `http://localhost:9091/quitquitquit`).
   * They are sent before the mesh proxy is stopped, so those sidecars keep their network to the end.
   *
   * @default - only the mesh proxy is stopped
   */
  readonly extraQuitRequests?: QuitRequest[];

  /**
   * How long a sidecar stopped by done file gets between SIGTERM and SIGKILL; the last main
   * container waits as long for the sidecars before it stops the mesh proxy. Whole seconds.
   *
   * @default Duration.seconds(30)
   */
  readonly sidecarStopTimeout?: Duration;
}

/** Wrap options with every default applied. @internal */
export interface ResolvedWrap {
  readonly runtime: WrapperRuntime;
  readonly readyTimeout: Duration;
  readonly readyPollInterval: Duration;
  readonly requestTimeout: Duration;
  readonly onReadyTimeout: ReadyTimeoutAction;
  readonly quitAttempts: number;
  readonly quitRetryDelay: Duration;
  readonly keepProxyOnFailure: boolean;
  readonly extraQuitRequests: QuitRequest[];
  readonly sidecarStopTimeout: Duration;
}

/**
 * The lifecycle MeshJob renders: what `SidecarLifecycle.auto()` chose, or what was asked.
 */
export enum LifecycleMode {
  /** Commands wrapped: wait for the proxy, run, stop the proxy. */
  WRAP = 'wrap',
  /** Kubernetes native sidecars: the proxy and the job's own sidecars are init containers with `restartPolicy: Always`. */
  NATIVE = 'native',
  /** Containers left as they are: only the mesh's labels and annotations. */
  NONE = 'none',
}

/**
 * How the job's containers live beside the mesh proxy: when they start, and how the proxy ends.
 */
export class SidecarLifecycle {
  /**
   * Wrap each main container's command: wait for the proxy to be ready, run the command, stop the
   * proxy after the last main container ends, exit with the command's exit code. Works on every
   * Kubernetes version; the containers must declare `command`.
   */
  public static wrap(options: WrapOptions = {}): SidecarLifecycle {
    return new SidecarLifecycle(LifecycleMode.WRAP, resolveWrap(options));
  }

  /**
   * Kubernetes native sidecars: the mesh injects its proxy as an init container with
   * `restartPolicy: Always` (per-pod switch rendered for the mesh's version), and the job's own
   * sidecars become such init containers too. Kubernetes stops them once the main containers end;
   * nothing is wrapped, so `command` is not needed. Needs Kubernetes >= 1.29 (1.28 with the
   * SidecarContainers feature gate) and a mesh version with per-pod native mode.
   */
  public static native(): SidecarLifecycle {
    return new SidecarLifecycle(LifecycleMode.NATIVE, resolveWrap({}));
  }

  /**
   * Leave the containers as they are and render only the mesh's labels and annotations, for
   * pods whose proxy is stopped some other way.
   */
  public static none(): SidecarLifecycle {
    return new SidecarLifecycle(LifecycleMode.NONE, resolveWrap({}));
  }

  /**
   * Choose from the declared versions (`MeshJobProps.kubernetesVersion` and the mesh's `version`):
   * native sidecars where Kubernetes >= 1.29 and the mesh version has per-pod native mode, wrapping
   * otherwise, and wrapping whenever a version is unknown, since it works everywhere.
   *
   * @param options how to wrap, when wrapping is chosen
   */
  public static auto(options: WrapOptions = {}): SidecarLifecycle {
    return new SidecarLifecycle(undefined, resolveWrap(options));
  }

  /** What was asked; undefined for auto. @internal */
  public readonly _mode?: LifecycleMode;

  /** @internal */
  public readonly _wrap: ResolvedWrap;

  private constructor(mode: LifecycleMode | undefined, wrap: ResolvedWrap) {
    this._mode = mode;
    this._wrap = wrap;
  }
}

function resolveWrap(options: WrapOptions): ResolvedWrap {
  return {
    runtime: options.runtime ?? WrapperRuntime.busybox(),
    readyTimeout: options.readyTimeout ?? Duration.minutes(2),
    readyPollInterval: options.readyPollInterval ?? Duration.millis(20),
    requestTimeout: options.requestTimeout ?? Duration.seconds(2),
    onReadyTimeout: options.onReadyTimeout ?? ReadyTimeoutAction.FAIL,
    quitAttempts: options.quitAttempts ?? 10,
    quitRetryDelay: options.quitRetryDelay ?? Duration.millis(200),
    keepProxyOnFailure: options.keepProxyOnFailure ?? false,
    extraQuitRequests: options.extraQuitRequests ?? [],
    sidecarStopTimeout: options.sidecarStopTimeout ?? Duration.seconds(30),
  };
}
