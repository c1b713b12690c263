import { QuitCall, QuitRequest, toQuitCalls, assertLoopbackUrl } from './endpoint';
import { MeshContract } from './mesh-contract';

/**
 * Options for `Mesh.custom()`: an in-house mesh or any HTTP-stoppable proxy.
 */
export interface CustomMeshOptions {
  /**
   * A name for messages.
   *
   * @default "custom"
   */
  readonly name?: string;

  /**
   * A loopback URL that answers GET with 2xx once the proxy is ready.
   *
   * @default - the containers start without waiting
   */
  readonly readinessUrl?: string;

  /**
   * Requests that stop the proxy, in order, sent after the last main container ends.
   *
   * @default - nothing is stopped
   */
  readonly quitRequests?: QuitRequest[];

  /**
   * Labels the pod template needs (e.g. an injection switch).
   *
   * @default - none
   */
  readonly podLabels?: { [key: string]: string };

  /**
   * Annotations the pod template needs.
   *
   * @default - none
   */
  readonly podAnnotations?: { [key: string]: string };
}

/** A custom mesh's contract; throws on non-loopback URLs. @internal */
export function customContract(options: CustomMeshOptions): MeshContract {
  const name = options.name ?? 'custom';
  const subject = `mesh '${name}'`;
  if (options.readinessUrl !== undefined) assertLoopbackUrl(options.readinessUrl, subject, 'readiness URL');
  const quit: QuitCall[] = toQuitCalls(options.quitRequests ?? [], subject);
  const hasProxy = options.readinessUrl !== undefined || quit.length > 0;
  return {
    name,
    podLabels: { ...options.podLabels },
    podAnnotations: { ...options.podAnnotations },
    proxy: hasProxy ? { readinessUrl: options.readinessUrl, quit } : undefined,
  };
}
