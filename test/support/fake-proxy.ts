import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';

/**
 * Milliseconds on CLOCK_MONOTONIC (process.hrtime), which on Linux is one clock for every process
 * of the machine: the fake proxy's records and the child fixture's timestamps
 * (test/support/fixtures/child.js) are comparable.
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Istio pilot-agent's admin paths. */
export const READY_PATH = '/healthz/ready';
export const QUIT_PATH = '/quitquitquit';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** When the request arrived (nowMs()). */
  readonly at: number;
  /** The status answered; undefined while (or because) it was never answered. */
  status?: number;
  /** When it was answered (nowMs()). */
  answeredAt?: number;
}

export interface FakeProxyOptions {
  /**
   * When `GET /healthz/ready` starts answering 200 instead of 503: milliseconds after start(),
   * 0 for at once, or 'never'.
   * @default 0
   */
  readonly readyAfterMs?: number | 'never';
  /**
   * The statuses successive accepted quit requests get, in order; the last one repeats.
   * @default [200]
   */
  readonly quitStatuses?: number[];
  /** Quit requests are never answered (the connection stays open until close()). */
  readonly quitHangs?: boolean;
  /**
   * The methods the quit path accepts; any other gets 405. 'any' is Cloud SQL Auth Proxy's
   * `--quitquitquit` endpoint (GET or POST).
   * @default ['POST'] (Istio)
   */
  readonly quitMethods?: string[] | 'any';
  /** Stops listening after the first 2xx quit answer, as a real proxy exits. */
  readonly closeAfterQuit?: boolean;
  /**
   * The loopback port to listen on (e.g. a FakeProxy.gonePort() that refused connections until now).
   * @default - an ephemeral port
   */
  readonly port?: number;
}

/**
 * An HTTP server on 127.0.0.1 (ephemeral port) that behaves like the admin endpoints of Istio's
 * pilot-agent: `GET /healthz/ready` answers 503 until ready, 200 after; `POST /quitquitquit`
 * answers 200 "OK"; any other method on the quit path gets 405. Every request is recorded.
 */
export class FakeProxy {
  /**
   * A loopback port where nothing listens (bound, then closed): requests get "connection refused".
   */
  public static async gonePort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  public readonly requests: RecordedRequest[] = [];
  /** When readiness turned to 200 (nowMs()); undefined while not ready. */
  public readyAt?: number;
  /** When the server stopped listening after a quit (closeAfterQuit). */
  public closedAt?: number;

  private readonly options: FakeProxyOptions;
  private readonly server: Server;
  private readyTimer?: NodeJS.Timeout;
  private quitCount = 0;
  private portNumber = 0;
  private closed?: Promise<void>;

  constructor(options: FakeProxyOptions = {}) {
    this.options = options;
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 100;
  }

  public get port(): number {
    return this.portNumber;
  }

  public get readinessUrl(): string {
    return `http://127.0.0.1:${this.portNumber}${READY_PATH}`;
  }

  public get quitUrl(): string {
    return `http://127.0.0.1:${this.portNumber}${QUIT_PATH}`;
  }

  /** Requests to `path` (all methods). */
  public requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Every request to the quit path. */
  public get quits(): RecordedRequest[] {
    return this.requestsTo(QUIT_PATH);
  }

  public async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.portNumber = (this.server.address() as AddressInfo).port;
    const after = this.options.readyAfterMs ?? 0;
    if (after === 0) {
      this.readyAt = nowMs();
    } else if (after !== 'never') {
      this.readyTimer = setTimeout(() => {
        this.readyAt = nowMs();
      }, after);
    }
    return this;
  }

  /** Turns readiness to 200 now (for a proxy started with readyAfterMs 'never'). */
  public becomeReady(): void {
    this.readyAt ??= nowMs();
  }

  /** Stops listening and drops every connection, hanging requests included. Idempotent. */
  public async close(): Promise<void> {
    if (this.readyTimer) clearTimeout(this.readyTimer);
    if (!this.closed) {
      this.closed = new Promise<void>((resolve) => {
        if (!this.server.listening) return resolve();
        this.server.close(() => resolve());
      });
    }
    this.server.closeAllConnections();
    await this.closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    const record: RecordedRequest = { method: req.method ?? '', path, at: nowMs() };
    this.requests.push(record);
    req.resume();
    const answer = (status: number, body: string): void => {
      record.status = status;
      record.answeredAt = nowMs();
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Connection': 'close' });
      res.end(body);
    };

    if (path === READY_PATH) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405, 'method not allowed\n');
      return this.readyAt === undefined ? answer(503, 'not ready\n') : answer(200, '');
    }
    if (path === QUIT_PATH) {
      const methods = this.options.quitMethods ?? ['POST'];
      if (methods !== 'any' && !methods.includes(req.method ?? '')) return answer(405, 'method not allowed\n');
      if (this.options.quitHangs) return;
      const statuses = this.options.quitStatuses ?? [200];
      const status = statuses[Math.min(this.quitCount, statuses.length - 1)];
      this.quitCount++;
      answer(status, status >= 200 && status < 300 ? 'OK' : 'error\n');
      if (status >= 200 && status < 300 && this.options.closeAfterQuit) {
        res.on('finish', () => {
          this.closedAt = nowMs();
          void this.close();
        });
      }
      return;
    }
    answer(404, 'not found\n');
  }
}
