import { Duration } from 'cdk8s';
import { QuitRequest } from '../meshes/endpoint';
import { RuntimeParts, WrapperRuntime } from '../runtime/wrapper-runtime';

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
 * What the wrapper does when its pod carries no sign that the mesh injected a proxy (Istio's
 * `sidecar.istio.io/status`, Linkerd's `linkerd.io/control-plane-ns`, Consul's
 * `connect-inject-status`), read from the pod's own metadata at run time.
 */
export enum ProxyNotInjectedAction {
  /**
   * Exit at once with `WrapperExitCode.PROXY_NOT_INJECTED` without running the command, saying why
   * in the container's termination message.
   */
  FAIL = 'fail',
  /** Run the command without the mesh (no wait, no quit): its traffic gets none of the mesh's mTLS, policy or telemetry. */
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
   * What to do when the pod shows at run time that the mesh injected no proxy (the namespace is
   * not labelled for injection, a revision label points nowhere, an opt-out): without this check
   * the wrapper would wait out `readyTimeout` for a proxy that never comes.
   *
   * @default ProxyNotInjectedAction.FAIL
   */
  readonly onProxyNotInjected?: ProxyNotInjectedAction;

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

/** How to wrap, as plain data: what the plan reads (durations in milliseconds). @internal */
export interface WrapInput {
  readonly runtime: RuntimeParts;
  readonly readyTimeoutMs: number;
  readonly readyPollMs: number;
  readonly requestTimeoutMs: number;
  readonly onReadyTimeout: ReadyTimeoutAction;
  readonly onProxyNotInjected: ProxyNotInjectedAction;
  readonly quitAttempts: number;
  readonly quitRetryDelayMs: number;
  readonly keepProxyOnFailure: boolean;
  readonly extraQuitRequests: QuitRequest[];
  readonly sidecarStopTimeoutMs: number;
}

/** A lifecycle as plain data: the mode asked for (undefined for auto) and how to wrap. @internal */
export interface LifecycleInput {
  readonly mode?: LifecycleMode;
  readonly wrap: WrapInput;
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
    return new SidecarLifecycle(LifecycleMode.WRAP, options);
  }

  /**
   * Kubernetes native sidecars: the mesh injects its proxy as an init container with
   * `restartPolicy: Always` (per-pod switch rendered for the mesh's version), and the job's own
   * sidecars become such init containers too. Kubernetes stops them once the main containers end;
   * nothing is wrapped, so `command` is not needed. Needs Kubernetes >= 1.29 (1.28 with the
   * SidecarContainers feature gate) and a mesh version with per-pod native mode.
   */
  public static native(): SidecarLifecycle {
    return new SidecarLifecycle(LifecycleMode.NATIVE, {});
  }

  /**
   * Leave the containers as they are and render only the mesh's labels and annotations, for
   * pods whose proxy is stopped some other way.
   */
  public static none(): SidecarLifecycle {
    return new SidecarLifecycle(LifecycleMode.NONE, {});
  }

  /**
   * Choose from the declared versions (`MeshJobProps.kubernetesVersion` and the mesh's `version`):
   * native sidecars where Kubernetes >= 1.29 and the mesh version has per-pod native mode, wrapping
   * otherwise, and wrapping whenever a version is unknown, since it works everywhere.
   *
   * @param options how to wrap, when wrapping is chosen
   */
  public static auto(options: WrapOptions = {}): SidecarLifecycle {
    return new SidecarLifecycle(undefined, options);
  }

  private readonly mode?: LifecycleMode;
  private readonly options: WrapOptions;

  private constructor(mode: LifecycleMode | undefined, options: WrapOptions) {
    this.mode = mode;
    this.options = options;
  }

  /** The lifecycle as the plan reads it, every default applied. @internal */
  public _toInput(): LifecycleInput {
    const o = this.options;
    const ms = (d: Duration | undefined, fallback: Duration) => (d ?? fallback).toMilliseconds({ integral: false });
    return {
      mode: this.mode,
      wrap: {
        runtime: (o.runtime ?? WrapperRuntime.busybox())._parts(),
        readyTimeoutMs: ms(o.readyTimeout, Duration.minutes(2)),
        readyPollMs: ms(o.readyPollInterval, Duration.millis(20)),
        requestTimeoutMs: ms(o.requestTimeout, Duration.seconds(2)),
        onReadyTimeout: o.onReadyTimeout ?? ReadyTimeoutAction.FAIL,
        onProxyNotInjected: o.onProxyNotInjected ?? ProxyNotInjectedAction.FAIL,
        quitAttempts: o.quitAttempts ?? 10,
        quitRetryDelayMs: ms(o.quitRetryDelay, Duration.millis(200)),
        keepProxyOnFailure: o.keepProxyOnFailure ?? false,
        extraQuitRequests: o.extraQuitRequests ?? [],
        sidecarStopTimeoutMs: ms(o.sidecarStopTimeout, Duration.seconds(30)),
      },
    };
  }
}
