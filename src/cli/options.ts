import { Duration } from 'cdk8s';
import { parseSelector, Selector } from './select';
import { ProxyNotInjectedAction, SidecarLifecycle } from '../lifecycle/sidecar-lifecycle';
import { ManifestLifecycle } from '../manifests/apply';
import { Mesh } from '../meshes/mesh';
import { CLI_MESHES } from '../meshes/registry';
import { WrapperRuntime } from '../runtime/wrapper-runtime';

// The command line's options, from flags or a config file (JSON or YAML, same names in camelCase).
// Each flag is declared once, here, with its help text; a mesh's own flags come from its
// descriptor (src/meshes/registry.ts).

/** Options as read, before they become a mesh and a lifecycle. */
export interface CliOptions {
  mesh?: string;
  meshVersion?: string;
  kubernetesVersion?: string;
  lifecycle?: string;
  busyboxImage?: string;
  readyTimeoutSeconds?: number;
  proxyNotInjected?: string;
  defaultPodFailureRules?: boolean;
  strict?: boolean;
  /** Image reference → the image's entrypoint argv. */
  entrypoints?: Record<string, string[]>;
  sidecars?: string[];
  select?: string[];
  exclude?: string[];
  /** A mesh's own options (`istioRevision`, `envoyAdminPort`, ...), by the keys its descriptor's flags name. */
  [meshKey: string]: unknown;
}

/**
 * One flag: the option it sets, the type of its value (`string`, `number`, `boolean`), and, for
 * flags not given once with one value, their form: `switch` takes no value (`--strict` means
 * true), `list` may be repeated, `entrypoint` is `IMAGE=PATH[,ARG…]`, repeatable. `value` names
 * the value in the help, `help` says what it is for; `mesh` names the one mesh the flag applies to.
 */
export interface FlagSpec {
  readonly key: string;
  readonly kind: 'string' | 'number' | 'boolean';
  readonly form?: 'switch' | 'list' | 'entrypoint';
  readonly value?: string;
  readonly help: string;
  readonly mesh?: string;
}

/** How a flag is read: its form if it has one, else its value's type. */
type Shape = FlagSpec['kind'] | NonNullable<FlagSpec['form']>;
const shapeOf = (spec: FlagSpec): Shape => spec.form ?? spec.kind;

/** The mesh names `--mesh` takes. */
export const MESHES = CLI_MESHES.map((m) => m.name);
/** The lifecycles `--lifecycle` takes. */
export const LIFECYCLES = ['auto', 'wrap', 'native', 'none'];
const ON_NOT_INJECTED: Record<string, ProxyNotInjectedAction> = { fail: ProxyNotInjectedAction.FAIL, start: ProxyNotInjectedAction.START };

const versionForms = CLI_MESHES.filter((m) => m.versionForms).map((m) => m.versionForms).join(', ');

/** Flag name → option, with how to read its value and its help: the common flags, then each mesh's own. */
export const FLAGS: Record<string, FlagSpec> = {
  '--mesh': { key: 'mesh', kind: 'string', value: 'MESH', help: MESHES.join(', ') },
  '--mesh-version': { key: 'meshVersion', kind: 'string', value: 'V', help: `e.g. ${versionForms} (native sidecars need a known version)` },
  '--kubernetes-version': { key: 'kubernetesVersion', kind: 'string', value: 'V', help: 'e.g. 1.30' },
  '--lifecycle': { key: 'lifecycle', kind: 'string', value: 'L', help: `${LIFECYCLES.join(', ')} (default auto)` },
  '--busybox-image': { key: 'busyboxImage', kind: 'string', value: 'IMAGE', help: "the wrapper runtime's busybox image" },
  '--ready-timeout-seconds': { key: 'readyTimeoutSeconds', kind: 'number', value: 'N', help: 'how long wrapped commands wait for the proxy' },
  '--proxy-not-injected': {
    key: 'proxyNotInjected',
    kind: 'string',
    value: 'fail|start',
    help: 'when the pod shows the mesh injected no proxy: fail at once (default), or start the command without it',
  },
  '--default-pod-failure-rules': { key: 'defaultPodFailureRules', kind: 'boolean', value: 'true|false', help: 'retry "proxy never ready" and disruptions on fresh pods (default true)' },
  '--strict': { key: 'strict', kind: 'boolean', form: 'switch', help: 'a Job that cannot be made mesh-safe, or empty input, fails the stream' },
  '--entrypoint': {
    key: 'entrypoints',
    kind: 'string',
    form: 'entrypoint',
    value: 'IMAGE=PATH[,ARG...]',
    help: "the image's entrypoint, for containers without a command (repeatable)",
  },
  '--sidecar': { key: 'sidecars', kind: 'string', form: 'list', value: 'NAME', help: "a chart's own sidecar container: stopped, not wrapped (repeatable)" },
  '--select': {
    key: 'select',
    kind: 'string',
    form: 'list',
    value: 'SELECTOR',
    help: 'only these Jobs, e.g. kind=CronJob,namespace=prod,name=backup-*,label:app=shop (terms all match; repeated --select: any of them)',
  },
  '--exclude': { key: 'exclude', kind: 'string', form: 'list', value: 'SELECTOR', help: 'never these Jobs (repeatable)' },
  ...Object.fromEntries(CLI_MESHES.flatMap((m) => m.cli!.flags.map((f) => [f.flag, { key: f.key, kind: f.kind, value: f.value, help: `${f.help} (--mesh ${m.name})`, mesh: m.name }]))),
};

/** The flags' help, one flag a line (two when the flag and its value are long), aligned. */
export function flagHelp(): string {
  return Object.entries(FLAGS).map(([flag, spec]) => {
    const head = `  ${flag}${spec.value && spec.form !== 'switch' ? ` ${spec.value}` : ''}`;
    return head.length < 32 ? `${head.padEnd(32)}${spec.help}` : `${head}\n${' '.repeat(32)}${spec.help}`;
  }).join('\n');
}

/** True when the flag takes no value. */
export function isSwitch(flag: string): boolean {
  return FLAGS[flag]?.form === 'switch';
}

/** Reads one flag's value into `options`; returns a problem line or undefined. */
export function readFlag(options: CliOptions, flag: string, value: string | undefined): string | undefined {
  const spec = FLAGS[flag];
  const o = options as Record<string, unknown>;
  const shape = shapeOf(spec);
  if (shape === 'switch') {
    if (value !== undefined && value !== 'true' && value !== 'false') return `${flag} takes no value (or =true/=false), not "${value}"`;
    o[spec.key] = value !== 'false';
    return undefined;
  }
  if (value === undefined) return `${flag} needs a value`;
  switch (shape) {
    case 'number':
      if (!/^\d+$/.test(value)) return `${flag} must be a whole number, not "${value}"`;
      o[spec.key] = Number(value);
      return undefined;
    case 'boolean':
      if (value !== 'true' && value !== 'false') return `${flag} must be true or false, not "${value}"`;
      o[spec.key] = value === 'true';
      return undefined;
    case 'list':
      o[spec.key] = [...((o[spec.key] as string[]) ?? []), value];
      return undefined;
    case 'entrypoint': {
      const eq = value.indexOf('=');
      const argv = value.slice(eq + 1).split(',');
      if (eq <= 0 || argv[0] === '') {
        return `${flag} "${value}" is not IMAGE=PATH[,ARG...]: give the image reference and its entrypoint, e.g. ${flag} registry.k8s.io/ingress-nginx/kube-webhook-certgen=/kube-webhook-certgen`;
      }
      o[spec.key] = { ...(o[spec.key] as Record<string, string[]>), [value.slice(0, eq)]: argv };
      return undefined;
    }
    default:
      o[spec.key] = value;
      return undefined;
  }
}

/**
 * The flags that say the same as `options`: the inverse of readFlag, for options given another way
 * (a KRM function's config). Lists and entrypoints become one flag per item; an entrypoint's
 * arguments are joined with commas, so an argument that holds a comma does not survive.
 */
export function toFlags(options: CliOptions): string[] {
  return Object.entries(FLAGS).flatMap(([flag, spec]) => {
    const value = options[spec.key];
    if (value === undefined) return [];
    switch (shapeOf(spec)) {
      case 'list':
        return (value as string[]).map((v) => `${flag}=${v}`);
      case 'entrypoint':
        return Object.entries(value as Record<string, string[]>).map(([image, argv]) => `${flag}=${image}=${argv.join(',')}`);
      default:
        return [`${flag}=${value}`];
    }
  });
}

/**
 * Reads one option given as text under its config key (a ConfigMap's `data`, where every value is
 * a string): a list or an entrypoint map takes one item a line (`IMAGE=PATH[,ARG...]` for
 * entrypoints). Returns a problem line, or undefined (also for an unknown key: checkConfig names it).
 */
export function readOptionText(options: CliOptions, key: string, text: string): string | undefined {
  const flag = Object.keys(FLAGS).find((f) => FLAGS[f].key === key);
  if (!flag) return undefined;
  const form = FLAGS[flag].form;
  const values = form === 'list' || form === 'entrypoint' ? text.split('\n').map((l) => l.trim()).filter((l) => l !== '') : [text];
  for (const value of values) {
    const problem = readFlag(options, flag, value);
    if (problem) return `option "${key}": ${problem}`;
  }
  return undefined;
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Checks a config file's keys and value types; returns the problems found. */
export function checkConfig(config: Record<string, unknown>, source: string): string[] {
  const known = new Map(Object.values(FLAGS).map((f) => [f.key as string, shapeOf(f)]));
  return Object.entries(config).flatMap(([key, value]) => {
    const kind = known.get(key);
    if (!kind) return [`${source}: unknown option "${key}" (known: ${[...known.keys()].join(', ')})`];
    const expected: Record<Shape, [string, (v: unknown) => boolean]> = {
      string: ['a string', (v) => typeof v === 'string'],
      number: ['a number', (v) => typeof v === 'number'],
      boolean: ['true or false', (v) => typeof v === 'boolean'],
      switch: ['true or false', (v) => typeof v === 'boolean'],
      list: ['a list of strings', isStrings],
      entrypoint: [
        'a map of image reference to the entrypoint as a list of strings',
        (v) => !!v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => isStrings(x) && x.length > 0),
      ],
    };
    const [what, ok] = expected[kind];
    return ok(value) ? [] : [`${source}: option "${key}" must be ${what}, not ${JSON.stringify(value)}`];
  });
}

/** Merges a config file's options under the flags' (flags win; lists and entrypoints add up). */
export function mergeOptions(file: CliOptions, flags: CliOptions): CliOptions {
  return {
    ...file,
    ...flags,
    entrypoints: file.entrypoints || flags.entrypoints ? { ...file.entrypoints, ...flags.entrypoints } : undefined,
    sidecars: file.sidecars || flags.sidecars ? [...(file.sidecars ?? []), ...(flags.sidecars ?? [])] : undefined,
    select: flags.select ?? file.select,
    exclude: file.exclude || flags.exclude ? [...(file.exclude ?? []), ...(flags.exclude ?? [])] : undefined,
  };
}

/** The --select and --exclude selectors; throws with a one-line message when one is wrong. */
export function toSelectors(o: CliOptions): { select: Selector[]; exclude: Selector[] } {
  return {
    select: (o.select ?? []).map((s) => parseSelector('--select', s)),
    exclude: (o.exclude ?? []).map((s) => parseSelector('--exclude', s)),
  };
}

/** The mesh and lifecycle the options describe; throws with a one-line message when they are wrong. */
export function toManifestLifecycle(o: CliOptions): ManifestLifecycle {
  if (!o.mesh) throw new Error(`--mesh is required: one of ${MESHES.join(', ')}`);
  const descriptor = CLI_MESHES.find((m) => m.name === o.mesh);
  if (!descriptor) throw new Error(`unknown mesh "${o.mesh}": use one of ${MESHES.join(', ')}`);
  const stray = Object.entries(FLAGS).filter(([, spec]) => spec.mesh !== undefined && spec.mesh !== o.mesh && o[spec.key] !== undefined);
  if (stray.length > 0) {
    throw new Error(`${stray.map(([flag]) => flag).join(', ')} applies to --mesh ${stray[0][1].mesh} only, not to --mesh ${o.mesh}: remove it`);
  }
  const flags = Object.fromEntries(descriptor.cli!.flags.map((f) => [f.key, o[f.key] as string | number | undefined]));
  const mesh = Mesh._of(descriptor.cli!.contract({ version: o.meshVersion, flags }));
  const onProxyNotInjected = o.proxyNotInjected === undefined ? undefined : ON_NOT_INJECTED[o.proxyNotInjected];
  if (o.proxyNotInjected !== undefined && !onProxyNotInjected) {
    throw new Error(`--proxy-not-injected must be fail or start, not "${o.proxyNotInjected}"`);
  }
  const wrap = {
    runtime: o.busyboxImage === undefined ? undefined : WrapperRuntime.busybox({ image: o.busyboxImage }),
    readyTimeout: o.readyTimeoutSeconds === undefined ? undefined : Duration.seconds(o.readyTimeoutSeconds),
    onProxyNotInjected,
  };
  const lifecycles: Record<string, () => SidecarLifecycle> = {
    auto: () => SidecarLifecycle.auto(wrap),
    wrap: () => SidecarLifecycle.wrap(wrap),
    native: () => SidecarLifecycle.native(),
    none: () => SidecarLifecycle.none(),
  };
  const lifecycle = lifecycles[o.lifecycle ?? 'auto'];
  if (!lifecycle) throw new Error(`unknown lifecycle "${o.lifecycle}": use one of ${LIFECYCLES.join(', ')}`);
  return {
    mesh,
    lifecycle: lifecycle(),
    kubernetesVersion: o.kubernetesVersion,
    defaultPodFailureRules: o.defaultPodFailureRules,
    entrypoints: o.entrypoints,
    sidecarContainers: o.sidecars,
    strict: o.strict,
  };
}
