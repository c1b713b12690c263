// Pod overhead as rendered: what the lifecycle adds to a Job's pod, per mode, read from the
// manifests cdk8s actually synthesizes (one container with image, command and args, as in the synth
// benchmark) and compared with a plain cdk8s-plus-28 Job of the same container.
import { App, Chart, Testing, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { HttpClient, Mesh, MeshJob, SidecarLifecycle, WrapperRuntime } from '../src';
import { CONTAINER } from './synth';
import { renderedWrapperScripts } from '../src/runtime/settings';

export interface Mode {
  readonly name: string;
  /** Renders the Job into `chart` as `id`. */
  readonly render: (chart: Chart, id: string) => void;
  /** Changes the synthesized Job before it is measured. */
  readonly after?: (job: any) => void;
}

export const MODES: Mode[] = [
  {
    name: 'plain cdk8s-plus Job (baseline)',
    render: (chart, id) => new kplus.Job(chart, id, { containers: [CONTAINER] }),
  },
  {
    name: 'MeshJob, Mesh.none()',
    render: (chart, id) => new MeshJob(chart, id, { mesh: Mesh.none(), containers: [CONTAINER] }),
  },
  {
    name: 'MeshJob, Mesh.istio(), busybox runtime (default)',
    render: (chart, id) => new MeshJob(chart, id, { mesh: Mesh.istio(), containers: [CONTAINER] }),
  },
  {
    name: 'MeshJob, Mesh.istio(), imageShell runtime (wget)',
    render: (chart, id) => new MeshJob(chart, id, {
      mesh: Mesh.istio(),
      lifecycle: SidecarLifecycle.wrap({ runtime: WrapperRuntime.imageShell() }),
      containers: [CONTAINER],
    }),
  },
  {
    name: 'MeshJob, Mesh.istio(), imageShell runtime (curl)',
    render: (chart, id) => new MeshJob(chart, id, {
      mesh: Mesh.istio(),
      lifecycle: SidecarLifecycle.wrap({ runtime: WrapperRuntime.imageShell({ httpClient: HttpClient.CURL }) }),
      containers: [CONTAINER],
    }),
  },
];

/** CPU in millicores from a Kubernetes quantity ("100m", "1", "1.5"). */
function cpuMillis(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const s = String(q);
  return s.endsWith('m') ? Number(s.slice(0, -1)) : Number(s) * 1000;
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Memory in MiB from a Kubernetes quantity ("32Mi", "1Gi", "500M", "1048576"). */
function memMiB(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const m = /^([\d.]+)([A-Za-z]*)$/.exec(String(q));
  if (!m) return NaN;
  const factor = m[2] === '' ? 1 : BINARY[m[2]] ?? DECIMAL[m[2]] ?? NaN;
  return (Number(m[1]) * factor) / 2 ** 20;
}

interface Resources {
  readonly cpuRequest: number;
  readonly cpuLimit: number;
  readonly memRequest: number;
  readonly memLimit: number;
}

function resourcesOf(c: any): Resources {
  const r = c.resources ?? {};
  return {
    cpuRequest: cpuMillis(r.requests?.cpu),
    cpuLimit: cpuMillis(r.limits?.cpu),
    memRequest: memMiB(r.requests?.memory),
    memLimit: memMiB(r.limits?.memory),
  };
}

/**
 * What the scheduler reserves for the pod (Kubernetes "effective request"): the larger of the sum
 * over app containers and the largest init container (init containers run one at a time first).
 * Mesh sidecars injected at admission (istio-proxy) are not in the rendered manifest.
 */
function effective(containers: any[], inits: any[]): Resources {
  const sum = (k: keyof Resources): number => containers.map(resourcesOf).reduce((a, r) => a + r[k], 0);
  const maxInit = (k: keyof Resources): number => Math.max(0, ...inits.map(resourcesOf).map((r) => r[k]));
  return {
    cpuRequest: Math.max(sum('cpuRequest'), maxInit('cpuRequest')),
    cpuLimit: Math.max(sum('cpuLimit'), maxInit('cpuLimit')),
    memRequest: Math.max(sum('memRequest'), maxInit('memRequest')),
    memLimit: Math.max(sum('memLimit'), maxInit('memLimit')),
  };
}

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

export interface Footprint {
  readonly mode: string;
  readonly containers: number;
  readonly initContainers: number;
  readonly images: string[];
  /** Resources of the containers the lifecycle added (the init container). */
  readonly addedResources: Resources;
  readonly effective: Resources;
  readonly volumes: string[];
  /** UTF-8 bytes of the main container's command elements. */
  readonly commandBytes: number;
  /** Elements of the main container's command. */
  readonly commandElements: number;
  readonly envVars: number;
  /** UTF-8 bytes of the env entries' names and values. */
  readonly envBytes: number;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly restartPolicy: string;
  /** The Job as YAML (Yaml.stringify, as `cdk8s synth` writes it). */
  readonly yamlBytes: number;
  /** The Job as compact JSON (what kubectl sends). */
  readonly jsonBytes: number;
  /** Objects, arrays and scalars in the Job: what resolve, sanitize and the YAML serializer visit. */
  readonly jsonNodes: number;
  /** Constructs the Job adds to the tree (what dependency resolution and validation walk). */
  readonly constructs: number;
}

function countNodes(v: unknown): number {
  if (Array.isArray(v)) return 1 + v.reduce((a: number, x) => a + countNodes(x), 0);
  if (v !== null && typeof v === 'object') return 1 + Object.values(v).reduce((a: number, x) => a + countNodes(x), 0);
  return 1;
}

export function measureFootprints(): Footprint[] {
  return MODES.map((mode) => {
    const chart = new Chart(new App(), 'bench');
    mode.render(chart, 'report');
    const job = Testing.synth(chart).find((o) => o.kind === 'Job');
    mode.after?.(job);
    const pod = job.spec.template.spec;
    const containers: any[] = pod.containers ?? [];
    const inits: any[] = pod.initContainers ?? [];
    const main = containers[0];
    const command: string[] = main.command ?? [];
    const env: Array<{ name: string; value?: string }> = main.env ?? [];
    const added = inits.filter((c) => c.name === 'meshjob-busybox');
    const labels = { ...(job.spec.template.metadata?.labels ?? {}) };
    delete labels['cdk8s.io/metadata.addr'];
    return {
      mode: mode.name,
      containers: containers.length,
      initContainers: inits.length,
      images: [...new Set([...inits, ...containers].map((c) => c.image))],
      addedResources: {
        cpuRequest: added.reduce((a, c) => a + resourcesOf(c).cpuRequest, 0),
        cpuLimit: added.reduce((a, c) => a + resourcesOf(c).cpuLimit, 0),
        memRequest: added.reduce((a, c) => a + resourcesOf(c).memRequest, 0),
        memLimit: added.reduce((a, c) => a + resourcesOf(c).memLimit, 0),
      },
      effective: effective(containers, inits),
      volumes: (pod.volumes ?? []).map((v: any) => `${v.name}${v.emptyDir ? ` (emptyDir${v.emptyDir.sizeLimit ? `, sizeLimit ${v.emptyDir.sizeLimit}` : ''})` : ''}`),
      commandBytes: command.reduce((a, s) => a + utf8(s), 0),
      commandElements: command.length,
      envVars: env.length,
      envBytes: env.reduce((a, e) => a + utf8(e.name) + utf8(e.value ?? ''), 0),
      labels,
      annotations: job.spec.template.metadata?.annotations ?? {},
      restartPolicy: pod.restartPolicy ?? '(unset)',
      yamlBytes: utf8(Yaml.stringify(job)),
      jsonBytes: utf8(JSON.stringify(job)),
      jsonNodes: countNodes(job),
      constructs: chart.node.findAll().length - 1,
    };
  });
}

/**
 * The wrapper script of a default Istio Job's container as rendered (sections, short names, one
 * line), before and after `$$` escaping, and the sections it has.
 */
export function scriptSize(): { bytes: number; escapedBytes: number; lines: number; sections: string } {
  const chart = new Chart(new App(), 'bench');
  new MeshJob(chart, 'report', { mesh: Mesh.istio(), containers: [CONTAINER] });
  const job = Testing.synth(chart).find((o) => o.kind === 'Job');
  const command: string[] = job.spec.template.spec.containers[0].command;
  const escaped = command[command.indexOf('-c') + 1];
  const s = escaped.replace(/\$\$/g, '$');
  const sections = [...renderedWrapperScripts()].find(([, script]) => script === escaped)?.[0] ?? '(unknown)';
  return { bytes: utf8(s), escapedBytes: utf8(escaped), lines: s.split('\n').length - 1, sections };
}
