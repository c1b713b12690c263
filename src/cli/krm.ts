import { readFileSync } from 'fs';
import { checkConfig, CliOptions, FLAGS, MESHES, readOptionText, toFlags, toManifestLifecycle } from './options';
import { applyToCopy, changeJobs, DOCUMENT_PATHS, freezeDeep } from './post-render';
import { annotateResult, describeOutcome } from '../manifests/outcome';
import { CannotWrite, editDocument } from './yaml/edit';
import { isPlainObject, PathTree, readDocument, ReadResult, YamlError } from './yaml/read';
import { ManifestLifecycle, ManifestResult } from '../manifests/apply';

export { describeOutcome };

// `meshjob krm`: MeshJob as a KRM function and as a kustomize transformer plugin.
//
// With no argument it is a KRM function (kubernetes-sigs/kustomize cmd/config/docs/api-conventions/
// functions-spec.md): a `ResourceList` (config.kubernetes.io/v1) on stdin, its `items` made
// mesh-safe, the list written back on stdout with `results` saying what happened to each Job and
// CronJob. kpt runs it with `kpt fn eval DIR --exec "meshjob krm"`, kustomize with
// `--enable-alpha-plugins --enable-exec` (kyaml/fn/runtime/exec/exec.go: the executable runs with
// no arguments, so kustomize-plugin/meshjob-krm is the one to point at).
//
// With one argument it is a kustomize legacy exec transformer (api/internal/plugins/execplugin/
// execplugin.go: the plugin's own config file as the first argument, the resources as a YAML
// stream on stdin, the stream back on stdout): the config becomes the command line's options and
// the stream goes through the command line itself (src/cli/main.ts).
//
// The ResourceList is edited in place as a stream's documents are (src/cli/yaml/edit.ts): an item
// the function does not change comes back as the same text, so kpt and kustomize read it as they
// read their own output; in a changed Job, only MeshJob's fields are written anew.
//
// Options come from the function's config: a ConfigMap's `data` (what `kpt fn eval -- key=value`
// makes; every value a string), or any other kind whose top-level keys are the config file's
// (`mesh`, `meshVersion`, `kubernetesVersion`, ...), such as `kind: MeshJobTransformer`.

/** The KRM function's ResourceList apiVersion and kind (functions-spec.md). */
const RESOURCE_LIST = { apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList' };

/** Keys of a function config that are the object's own, not options. */
const OBJECT_KEYS = ['apiVersion', 'kind', 'metadata'];

/** Options read from a function config, or the problems that stop it. */
export interface FunctionConfigOptions {
  readonly options: CliOptions;
  readonly problems: string[];
}

/**
 * Reads the options of a function config (a ConfigMap's `data`, or the top-level keys of any other
 * kind). `source` names the config in messages.
 */
export function optionsFromFunctionConfig(config: unknown, source: string): FunctionConfigOptions {
  if (config === undefined || config === null) return { options: {}, problems: [] };
  if (typeof config !== 'object' || Array.isArray(config)) {
    return { options: {}, problems: [`${source} is not a map: give a ConfigMap or a MeshJobTransformer`] };
  }
  const obj = config as Record<string, unknown>;
  if (obj.kind === 'ConfigMap' && obj.apiVersion === 'v1') return fromConfigMapData(obj.data ?? {}, source);
  const options = Object.fromEntries(Object.entries(obj).filter(([key]) => !OBJECT_KEYS.includes(key)));
  return { options: options as CliOptions, problems: checkConfig(options, source) };
}

/** A ConfigMap's values are strings: each becomes the type its option has on the command line. */
function fromConfigMapData(data: unknown, source: string): FunctionConfigOptions {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { options: {}, problems: [`${source}: data ${JSON.stringify(data)} is not a map: give each option as key: "value" under data`] };
  }
  const known = new Set(Object.values(FLAGS).map((f) => f.key as string));
  const options: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(data)) {
    // An unknown key is kept as it is: checkConfig names it below. A list or an entrypoint map
    // takes one item a line.
    if (!known.has(key)) {
      options[key] = String(raw);
      continue;
    }
    const problem = readOptionText(options as CliOptions, key, String(raw));
    if (problem) problems.push(`${source}: ${problem}`);
  }
  // Only the values converted above are in `options`: checkConfig adds the unknown keys.
  return { options: options as CliOptions, problems: [...problems, ...checkConfig(options, source)] };
}

/** The command line flags that say the same as the options. */
export function optionsToFlags(options: CliOptions): string[] {
  return toFlags(options);
}

/** A KRM result (functions-spec.md, "results"). */
interface KrmResult {
  message: string;
  severity: 'error' | 'warning' | 'info';
  resourceRef?: { apiVersion: string; kind: string; name: string; namespace?: string };
  file?: { path: string; index?: number };
}

/** What the KRM function prints and its exit code. */
export interface KrmOutput {
  readonly code: number;
  readonly stdout: string;
  /** Lines for stderr (without the "meshjob: " prefix). */
  readonly messages: string[];
}

/** The ResourceList's items (each a Job, a CronJob or a list of them) and its results: what is recorded. */
const RESOURCE_LIST_PATHS: PathTree = { items: { '*': DOCUMENT_PATHS }, results: {} };

/**
 * kustomize's legacy exec transformer: the command line's flags for the plugin's config file, or
 * the problems that stop it.
 */
export function legacyExecFlags(configFile: string): { argv: string[] } | { problems: string[] } {
  let config: unknown;
  try {
    config = readDocument(readFileSync(configFile, 'utf-8')).value;
  } catch (e) {
    return { problems: [`cannot read the kustomize plugin config ${configFile}: ${(e as Error).message.split('\n')[0]}`] };
  }
  const name = (config as any)?.metadata?.name;
  const { options, problems } = optionsFromFunctionConfig(config, `${(config as any)?.kind ?? 'config'} ${name ?? configFile}`);
  return problems.length > 0 ? { problems } : { argv: optionsToFlags(options) };
}

/** The KRM function: a ResourceList in, the same list with its Jobs made mesh-safe and `results` out. */
export function resourceList(stdin: string): KrmOutput {
  const fail = (message: string): KrmOutput => ({ code: 1, stdout: '', messages: [message] });
  let read: ReadResult;
  try {
    read = readDocument(stdin, RESOURCE_LIST_PATHS);
  } catch (e) {
    if (!(e instanceof YamlError)) throw e;
    return fail(`stdin is not a ResourceList: invalid YAML: ${e.message}`);
  }
  const before = read.value as any;
  if (!isPlainObject(before) || before.apiVersion !== RESOURCE_LIST.apiVersion || before.kind !== RESOURCE_LIST.kind) {
    return fail(`stdin is not a ResourceList: expected apiVersion ${RESOURCE_LIST.apiVersion}, kind ${RESOURCE_LIST.kind}; ` +
      'run `meshjob` without "krm" for a plain YAML stream');
  }
  const items = before.items;
  if (items !== undefined && items !== null && !Array.isArray(items)) {
    return fail(`the ResourceList's items ${JSON.stringify(items)} is not a list: give the resources as a YAML sequence under items`);
  }

  const results: KrmResult[] = [];
  const { options, problems } = optionsFromFunctionConfig(before.functionConfig, 'functionConfig');
  let what: ManifestLifecycle | undefined;
  if (problems.length === 0 && options.mesh === undefined) {
    problems.push(`functionConfig sets no mesh: give one of ${MESHES.join(', ')} (ConfigMap data or MeshJobTransformer key "mesh")`);
  }
  if (problems.length === 0) {
    try {
      what = toManifestLifecycle(options);
    } catch (e) {
      problems.push(`functionConfig: ${(e as Error).message}`);
    }
  }
  results.push(...problems.map((message): KrmResult => ({ message, severity: 'error' })));

  freezeDeep(before);
  const after = { ...before } as any;
  if (what && Array.isArray(items)) {
    after.items = items.map((item: unknown) => changeJobs(item, (copy, original) => {
      const applied = applyToCopy(copy, original, what!);
      if ('error' in applied) {
        results.push({ ...located(original), message: applied.error.message, severity: 'error' });
        return original;
      }
      annotateResult(applied.obj, applied.result);
      results.push(...resultsOf(applied.result, applied.obj));
      return applied.obj;
    }));
  }
  if (results.length > 0) after.results = results;
  else delete after.results;
  let stdout: string;
  try {
    // Each item is a part of its own: one that cannot be edited in place is written anew alone.
    stdout = editDocument(stdin, read, before, after, 2).parts.join('');
  } catch (e) {
    if (!(e instanceof CannotWrite)) throw e;
    return fail(`cannot write the changed ResourceList (${e.message}); report this`);
  }
  return { code: results.some((r) => r.severity === 'error') ? 1 : 0, stdout, messages: [] };
}

/**
 * What happened to one object, as KRM results: why it was changed or left alone, and its warnings.
 * The messages do not name the object: the result's resourceRef does, and kpt prints it.
 */
function resultsOf(r: ManifestResult, obj: any): KrmResult[] {
  if (r.outcome === 'not-a-job') return [];
  const where = located(obj);
  return [
    // A Job left as it was although the mesh injects into it may hang: a warning, not news.
    { ...where, message: describeOutcome(r), severity: r.outcome === 'left-unchanged' ? 'warning' : 'info' },
    ...r.warnings.map((w): KrmResult => ({ ...where, message: w, severity: 'warning' })),
  ];
}

/** A result's resourceRef and file (from the path annotations kpt and kustomize put on items). */
function located(obj: any): Pick<KrmResult, 'resourceRef' | 'file'> {
  const meta = obj?.metadata ?? {};
  const annotations = meta.annotations ?? {};
  const path = annotations['internal.config.kubernetes.io/path'] ?? annotations['config.kubernetes.io/path'];
  const index = annotations['internal.config.kubernetes.io/index'] ?? annotations['config.kubernetes.io/index'];
  return {
    resourceRef: { apiVersion: obj?.apiVersion, kind: obj?.kind, name: meta.name, ...(meta.namespace ? { namespace: meta.namespace } : {}) },
    ...(path ? { file: { path, ...(index !== undefined ? { index: Number(index) } : {}) } } : {}),
  };
}
