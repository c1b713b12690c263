import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo, Socket } from 'net';
import { nowMs } from '../support/fake-proxy';

// A misbehaving Istio pilot-agent for the fault matrix, on 127.0.0.1 only: what
// test/support/fake-proxy.ts does, plus answers slower than the wrapper's per-request timeout,
// connections reset without an answer, and a switch to vanish mid-run. Every request is recorded
// with how it ended.

export const CHAOS_READY_PATH = '/healthz/ready';
export const CHAOS_QUIT_PATH = '/quitquitquit';

/** How one request is treated. */
export type Behaviour =
  /** Answer with this status at once. */
  | number
  /** Destroy the connection without answering (the client sees a reset or an empty reply). */
  | 'reset'
  /** Never answer (until close()). */
  | 'hang'
  /** Answer with `status` after `delayMs`. */
  | { readonly delayMs: number; readonly status: number };

export interface ChaosOptions {
  /** Successive readiness requests, in order; the last repeats. Default [200]. */
  readonly ready?: Behaviour[];
  /** Successive quit requests with an accepted method, in order; the last repeats. Default [200]. */
  readonly quit?: Behaviour[];
  /** Methods the quit path accepts; others get 405. Default ['POST']. */
  readonly quitMethods?: string[];
  /** Any other path, any method. Default 404. */
  readonly otherPaths?: Behaviour;
}

/** How a request ended: its status, 'reset' (we destroyed it), or 'abandoned' (the client gave up first). */
export type Ending = number | 'reset' | 'abandoned' | 'pending';

export interface ChaosRequest {
  readonly method: string;
  readonly path: string;
  readonly at: number;
  ending: Ending;
  endedAt?: number;
}

export class ChaosProxy {
  public readonly requests: ChaosRequest[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readyCount = 0;
  private quitCount = 0;
  private portNumber = 0;
  private closing?: Promise<void>;
  /** Resolved when the first request to a path arrives. */
  private readonly waiters: Array<{ path: string; resolve: () => void }> = [];

  constructor(private readonly options: ChaosOptions = {}) {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 100;
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
  }

  public async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.portNumber = (this.server.address() as AddressInfo).port;
    return this;
  }

  public get port(): number {
    return this.portNumber;
  }

  public get readinessUrl(): string {
    return `http://127.0.0.1:${this.portNumber}${CHAOS_READY_PATH}`;
  }

  public get quitUrl(): string {
    return `http://127.0.0.1:${this.portNumber}${CHAOS_QUIT_PATH}`;
  }

  public requestsTo(path: string): ChaosRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Endings of the quit requests, in order. */
  public get quitEndings(): Ending[] {
    return this.requestsTo(CHAOS_QUIT_PATH).map((r) => r.ending);
  }

  /** Endings of the readiness requests, in order. */
  public get readyEndings(): Ending[] {
    return this.requestsTo(CHAOS_READY_PATH).map((r) => r.ending);
  }

  /** Resolves when a request to `path` has arrived (at once if one already has). */
  public arrival(path: string): Promise<void> {
    if (this.requestsTo(path).length > 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ path, resolve }));
  }

  /** Stops listening and drops every connection, as a proxy that exits. Idempotent. */
  public close(): Promise<void> {
    if (!this.closing) {
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      this.closing = new Promise<void>((resolve) => {
        if (!this.server.listening) return resolve();
        this.server.close(() => resolve());
      });
      for (const s of this.sockets) s.destroy();
    }
    return this.closing;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    const record: ChaosRequest = { method: req.method ?? '', path, at: nowMs(), ending: 'pending' };
    this.requests.push(record);
    for (const w of this.waiters.filter((x) => x.path === path)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
    req.resume();
    let settled = false;
    const end = (ending: Ending): void => {
      if (settled) return;
      settled = true;
      record.ending = ending;
      record.endedAt = nowMs();
    };
    res.once('close', () => end('abandoned'));
    const answer = (status: number): void => {
      if (settled) return;
      end(status);
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Connection': 'close' });
      res.end(status >= 200 && status < 300 ? 'OK\n' : 'error\n');
    };
    const behave = (b: Behaviour): void => {
      if (typeof b === 'number') return answer(b);
      if (b === 'reset') {
        end('reset');
        req.socket.destroy();
        return;
      }
      if (b === 'hang') return;
      const t = setTimeout(() => {
        this.timers.delete(t);
        answer(b.status);
      }, b.delayMs);
      this.timers.add(t);
    };
    const pick = (list: Behaviour[] | undefined, n: number): Behaviour => {
      const l = list ?? [200];
      return l[Math.min(n, l.length - 1)];
    };

    if (path === CHAOS_READY_PATH) {
      if (req.method !== 'GET') return answer(405);
      return behave(pick(this.options.ready, this.readyCount++));
    }
    if (path === CHAOS_QUIT_PATH) {
      if (!(this.options.quitMethods ?? ['POST']).includes(req.method ?? '')) return answer(405);
      return behave(pick(this.options.quit, this.quitCount++));
    }
    behave(this.options.otherPaths ?? 404);
  }
}
