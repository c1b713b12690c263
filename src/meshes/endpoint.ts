/**
 * An HTTP method a sidecar's quit endpoint accepts. Only GET and POST: busybox wget, the
 * wrapper's default HTTP client, can send no other.
 */
export enum HttpMethod {
  /** GET, for endpoints that stop on any method (e.g. Cloud SQL Auth Proxy's `/quitquitquit`). */
  GET = 'GET',
  /** POST, what Istio's, Linkerd's and Envoy's quit endpoints require. */
  POST = 'POST',
}

/**
 * An HTTP request that tells a sidecar in the pod to exit, sent after the last main container ends.
 */
export interface QuitRequest {
  /**
   * The URL, on the pod's loopback address only (`localhost`, `127.0.0.0/8` or `[::1]`), e.g.
   * `http://localhost:9091/quitquitquit` for a Cloud SQL Auth Proxy started with `--quitquitquit`.
   */
  readonly url: string;

  /**
   * The method.
   *
   * @default HttpMethod.POST
   */
  readonly method?: HttpMethod;
}

/** The quit "method" that signals a process by name instead of sending a request. @internal */
export const KILL_BY_NAME = 'KILL';

/**
 * A quit step after validation, what the wrapper runtime is given: an HTTP request, or with
 * method KILL_BY_NAME, SIGTERM to every process whose name (/proc/PID/comm) is `url`. @internal
 */
export interface QuitCall {
  readonly method: HttpMethod | typeof KILL_BY_NAME;
  readonly url: string;
}

/** The loopback URL of a port and path inside the pod. */
export function loopbackUrl(port: number, path: string, host = 'localhost'): string {
  return `http://${host}:${port}${path}`;
}

const LOOPBACK_URL = /^http:\/\/(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::(\d{1,5}))?(\/[A-Za-z0-9\-._~%!&'()*+,;=:@/]*)?(\?[A-Za-z0-9\-._~%!&'()*+,;=:@/?]*)?$/;

/**
 * Checks that `url` is a plain `http://` URL on the pod's loopback address, with nothing a shell
 * or the kubelet could interpret: the wrapper passes it to wget or curl as one argument.
 *
 * @param url the URL to check
 * @param subject who is asking, for the error message (e.g. "meshjob 'reports/nightly'")
 * @param what what the URL is for (e.g. "extra quit request")
 */
export function assertLoopbackUrl(url: string, subject: string, what: string): void {
  const match = LOOPBACK_URL.exec(url);
  const port = match?.[2] === undefined ? 80 : Number(match[2]);
  if (!match || port < 1 || port > 65535 || url.includes('$')) {
    throw new Error(
      `${subject}: ${what} ${JSON.stringify(url)} is not a loopback http:// URL: a sidecar's admin ` +
      'endpoints listen only inside the pod; use http://localhost:<port>/<path> (or 127.0.0.1, [::1]) ' +
      'with no spaces, quotes or "$"',
    );
  }
}

/** Validates user quit requests. @internal */
export function toQuitCalls(requests: QuitRequest[], subject: string): QuitCall[] {
  return requests.map((r) => {
    assertLoopbackUrl(r.url, subject, 'quit request');
    return { method: r.method ?? HttpMethod.POST, url: r.url };
  });
}

/** Throws unless `port` is a TCP port number, naming what it is for and where to find the right one. @internal */
export function checkPort(port: number, what: string, fix: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${what} ${port} is not a port number (1 to 65535): ${fix}`);
  }
}
