// The wrapper's own outcomes: the exit codes it ends a container with, and the reasons it writes to
// the container's termination message. Any other exit code is the command's own.

/**
 * Exit codes the wrapper uses for its own outcomes. Any other code is the command's own
 * (128+N when the command died of signal N).
 */
export class WrapperExitCode {
  /**
   * The proxy did not become ready within the ready timeout and the command was not started
   * (EX_TEMPFAIL in sysexits.h: a fresh pod may succeed).
   */
  public static readonly PROXY_NOT_READY = 75;

  /**
   * The wrapper was started without a command to run, with a setting beyond its bounds, or in an
   * image without the HTTP client it needs (EX_USAGE in sysexits.h).
   */
  public static readonly USAGE = 64;

  /**
   * The pod carries no mark of the mesh's injection (e.g. Istio's `sidecar.istio.io/status`
   * annotation), so no proxy will come: the command was not started (EX_CONFIG in sysexits.h: the
   * namespace or pod configuration is wrong, and a fresh pod fails the same way until it is fixed).
   */
  public static readonly PROXY_NOT_INJECTED = 78;

  private constructor() {}
}

/**
 * The reasons wrapper.sh writes to the termination message (`report REASON ...`), as
 * `meshjob: <reason>: <details>`; `meshjob diagnose` reads them back. @internal
 */
export enum WrapperReason {
  /** The proxy was not ready in time; the command did not run (exit 75). */
  PROXY_NOT_READY = 'proxy-not-ready',
  /** The wrapper got no command (exit 64). */
  NO_COMMAND = 'no-command',
  /** A quit request was refused or unanswered; the proxy may still run. */
  QUIT_FAILED = 'quit-failed',
  /** The command failed and the proxy was left running, as asked (keepProxyOnFailure). */
  PROXY_KEPT = 'proxy-kept',
  /** The image has no HTTP client the wrapper can run (WrapperRuntime.imageShell); exit 64. */
  NO_HTTP_CLIENT = 'no-http-client',
  /** A setting is not a number within the bounds of src/runtime/limits.ts; exit 64, the command did not run. */
  BAD_SETTING = 'bad-setting',
  /** The pod carries no mark of the mesh's injection; exit 78, the command did not run. */
  PROXY_NOT_INJECTED = 'proxy-not-injected',
  /**
   * The shared directory holds a symlink, FIFO or other non-regular file no wrapper made: another
   * container tampered with it. Written by the container that sent the quits; its exit code is
   * the command's.
   */
  STATE_TAMPERED = 'state-tampered',
}
