import { MeshDescriptor } from './descriptor';
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
  for (const [key, value] of Object.entries(options.podLabels ?? {})) checkLabel(subject, key, value);
  for (const key of Object.keys(options.podAnnotations ?? {})) checkKey(subject, 'annotation', key);
  const hasProxy = options.readinessUrl !== undefined || quit.length > 0;
  return {
    name,
    podLabels: { ...options.podLabels },
    podAnnotations: { ...options.podAnnotations },
    proxy: hasProxy ? { readinessUrl: options.readinessUrl, quit } : undefined,
  };
}

// Kubernetes' syntax for label and annotation keys and label values (apimachinery
// pkg/util/validation: IsQualifiedName, IsValidLabelValue): the API server refuses others.
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkKey(subject: string, kind: string, key: string): void {
  const [prefix, name, extra] = key.includes('/') ? key.split('/') : [undefined, key];
  const ok = extra === undefined && NAME.test(name) && name.length <= 63 && (prefix === undefined || (PREFIX.test(prefix) && prefix.length <= 253));
  if (!ok) {
    throw new Error(`${subject}: pod ${kind} key ${JSON.stringify(key)} is not a Kubernetes key: use [prefix/]name, the name at most 63 letters, digits, '-', '_' or '.'`);
  }
}

function checkLabel(subject: string, key: string, value: string): void {
  checkKey(subject, 'label', key);
  if (value !== '' && (!NAME.test(value) || value.length > 63)) {
    throw new Error(`${subject}: pod label ${key}=${JSON.stringify(value)} has a value Kubernetes refuses: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`);
  }
}

/** An in-house mesh or any HTTP-stoppable proxy: in the construct and applyTo only. @internal */
export const CUSTOM: MeshDescriptor = {
  name: 'custom',
  factory: 'Mesh.custom()',
  injectedContainers: [],
  requestMarkers: [],
  docs: [{ factory: '`Mesh.custom({...})`', podGets: 'your labels and annotations', waitsFor: 'your `readinessUrl`', stopsWith: 'your `quitRequests`' }],
};

/** No mesh. @internal */
export const NONE: MeshDescriptor = {
  name: 'none',
  factory: 'Mesh.none()',
  injectedContainers: [],
  requestMarkers: [],
  cli: { flags: [], contract: () => noneContract() },
  docs: [{ factory: '`Mesh.none()`', podGets: 'nothing', waitsFor: 'nothing', stopsWith: 'nothing' }],
};

/** No mesh: nothing to wait for or stop. @internal */
export function noneContract(): MeshContract {
  return { name: 'none', podLabels: {}, podAnnotations: {} };
}
