// The quit back-off: the pauses between the attempts of one quit request, and how long the last
// main container can take to stop every sidecar.

/** The longest pause between two attempts of a quit request, unless the first pause is longer. */
export const QUIT_RETRY_DELAY_CAP_SECONDS = 2;

/**
 * The longest quit window the wrapper accepts (about 31 years): the window follows from bounded
 * settings (src/runtime/limits.ts) and the number of quit steps, and its centiseconds must stay far
 * inside the shell's 64-bit arithmetic.
 */
export const MAX_QUIT_WINDOW_SECONDS = 999_999_999;

/**
 * How long the wrapper keeps a quit request's client connected before the command ends, before it
 * replaces it with a new one: busybox wget connects before it reads the request's body, and an HTTP
 * server may close a connection that sends no request within its header timeout (for servers that
 * set one, typically tens of seconds).
 */
export const ARMED_QUIT_RENEW_SECONDS = 10;

/** What the back-off depends on. @internal */
export interface QuitTiming {
  /** Attempts of each quit request. */
  readonly quitAttempts: number;
  /** The first pause between two attempts. */
  readonly quitRetryDelaySeconds: number;
  /** The bound of one request. */
  readonly requestTimeoutSeconds: number;
  /** How many quit steps are sent. */
  readonly quitSteps: number;
  /** How long the done-file sidecars may take to end, when there are any. */
  readonly sidecarStopTimeoutSeconds?: number;
}

/** The pauses between the attempts of one quit request: from quitRetryDelaySeconds, doubling, capped. @internal */
export function quitDelays(t: Pick<QuitTiming, 'quitAttempts' | 'quitRetryDelaySeconds'>): number[] {
  const cap = Math.max(QUIT_RETRY_DELAY_CAP_SECONDS, t.quitRetryDelaySeconds);
  return Array.from({ length: t.quitAttempts - 1 }, (_, i) => Math.min(cap, t.quitRetryDelaySeconds * 2 ** i));
}

/**
 * The longest the last main container can take to stop the sidecars: waiting for the done-file
 * sidecars, then every quit step with every attempt unanswered; in whole seconds. @internal
 */
export function quitWindowSeconds(t: QuitTiming): number {
  const perStep = quitDelays(t).reduce((a, d) => a + d, 0) + t.quitAttempts * t.requestTimeoutSeconds;
  const sidecars = t.sidecarStopTimeoutSeconds === undefined ? 0 : t.sidecarStopTimeoutSeconds + 1;
  return Math.ceil(sidecars + Math.max(1, t.quitSteps) * perStep) + 1;
}
