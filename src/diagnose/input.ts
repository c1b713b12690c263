import { parseAllDocuments } from 'yaml';
import { Job, Pod } from './pod';

// Reads what `kubectl get pods -A -o json` (or `-o yaml`) prints: a List of Pods, a single Pod,
// or several YAML documents; Jobs (`kubectl get jobs -A -o json`, or `kubectl get pods,jobs`) may
// come along to tell which CronJob owns each Job.

/** The pods and Jobs of the inputs, or the problems that kept them from being read. */
export interface DiagnoseInput {
  readonly pods: Pod[];
  readonly jobs: Job[];
  readonly problems: string[];
}

/** One input and the name messages call it by (`stdin`, a file name). */
export interface InputText {
  readonly source: string;
  readonly text: string;
}

const LIST_KINDS = ['List', 'PodList', 'JobList'];
const TIMESTAMP_TAG = 'tag:yaml.org,2002:timestamp';

/** Parses every input; each problem is one line naming the document and the fix. */
export function readInputs(inputs: InputText[]): DiagnoseInput {
  const pods: Pod[] = [];
  const jobs: Job[] = [];
  const problems: string[] = [];
  for (const { source, text } of inputs) {
    if (text.trim() === '') {
      problems.push(`${source}: empty input: pipe in kubectl get pods -A -o json, or name files holding its output`);
      continue;
    }
    // YAML 1.1, as kubectl and the API server read manifests; JSON is valid YAML. Timestamps stay
    // strings, as the API reads them into metav1.Time from their text, quoted or not.
    const docs = parseAllDocuments(text, { version: '1.1', customTags: (tags) => tags.filter((t) => (t as { tag?: string }).tag !== TIMESTAMP_TAG) });
    const all = Array.isArray(docs) ? docs : [docs];
    all.forEach((doc, i) => {
      const where = all.length > 1 ? `${source} document ${i + 1}` : source;
      if (doc.errors.length > 0) {
        problems.push(`${where}: not JSON or YAML (${doc.errors[0].message.split('\n')[0]}): give the output of kubectl get pods -o json or -o yaml`);
        return;
      }
      const value = doc.toJS({ maxAliasCount: -1 });
      if (value === null || value === undefined) return; // an empty document between separators
      readObject(value, where, pods, jobs, problems);
    });
  }
  return { pods, jobs, problems };
}

function readObject(value: unknown, where: string, pods: Pod[], jobs: Job[], problems: string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${where}: expected a Pod or a List of Pods, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}: give the output of kubectl get pods -o json`);
    return;
  }
  const obj = value as Record<string, any>;
  if (LIST_KINDS.includes(obj.kind)) {
    if (!Array.isArray(obj.items)) {
      problems.push(`${where}: ${obj.kind} without an items array: give the output of kubectl get pods -o json`);
      return;
    }
    obj.items.forEach((item: unknown, i: number) => readObject(item, `${where} item ${i + 1}`, pods, jobs, problems));
    return;
  }
  const name = obj.metadata?.name;
  if (obj.kind === 'Pod' || obj.kind === 'Job') {
    if (typeof name !== 'string' || name === '') {
      problems.push(`${where}: ${obj.kind} without metadata.name: give objects as the API returns them (kubectl get -o json)`);
      return;
    }
    const wrong = obj.kind === 'Pod' ? misshapenField(obj) : undefined;
    if (wrong) {
      problems.push(`${where}: Pod ${obj.metadata.namespace ?? 'default'}/${name} has ${wrong} that is not a list: give pods as the API returns them (kubectl get pods -o json)`);
      return;
    }
    if (obj.kind === 'Pod') pods.push(obj as Pod);
    else jobs.push(obj as Job);
    return;
  }
  // Other kinds from `kubectl get all` carry nothing diagnose reads; a document without a kind is not Kubernetes.
  if (typeof obj.kind !== 'string' || typeof obj.apiVersion !== 'string') {
    problems.push(`${where}: not a Kubernetes object (no apiVersion and kind): give the output of kubectl get pods -o json`);
  }
}

/** The first list field of a Pod that is present but not a list. */
function misshapenField(pod: Record<string, any>): string | undefined {
  const fields: Array<[string, unknown]> = [
    ['spec.containers', pod.spec?.containers],
    ['spec.initContainers', pod.spec?.initContainers],
    ['status.containerStatuses', pod.status?.containerStatuses],
    ['status.initContainerStatuses', pod.status?.initContainerStatuses],
    ['metadata.ownerReferences', pod.metadata?.ownerReferences],
  ];
  return fields.find(([, v]) => v !== undefined && v !== null && !Array.isArray(v))?.[0];
}
