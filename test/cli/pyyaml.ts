// Reads YAML 1.1 with PyYAML (Debian's python3-yaml): a parser independent of the `yaml` package
// that the transformer uses, implementing the rules kubectl and Helm follow (octal `0644`,
// `yes`/`on`/`y` bools, `<<` merge keys, sexagesimal ints, timestamps).
import { execFileSync } from 'child_process';
import { existsSync } from 'fs';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

// Every value as JSON that keeps its YAML 1.1 type: non-JSON types become tagged objects.
const SCRIPT = `
import sys, json, yaml, base64, datetime, math
Loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
def conv(v):
    if isinstance(v, dict): return {key(k): conv(x) for k, x in v.items()}
    if isinstance(v, list): return [conv(x) for x in v]
    if isinstance(v, (datetime.datetime, datetime.date)): return {'$date': v.isoformat()}
    if isinstance(v, bytes): return {'$binary': base64.b64encode(v).decode()}
    if isinstance(v, set): return {'$set': sorted(conv(x) for x in v)}
    if isinstance(v, float) and not math.isfinite(v): return {'$float': repr(v)}
    return v
def key(k):
    return k if isinstance(k, str) else '$' + type(k).__name__ + ':' + json.dumps(conv(k))
docs = [conv(d) for d in yaml.load_all(sys.stdin.buffer.read(), Loader=Loader)]
print(json.dumps(docs))
`;

/** Every document of a YAML stream as PyYAML reads it (null for an empty document). */
export function readYaml11(text: string | Buffer): any[] {
  try {
    return JSON.parse(execFileSync(PYTHON, ['-c', SCRIPT], { input: text, maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] }).toString('utf-8'));
  } catch (e) {
    const stderr = String((e as any).stderr ?? '');
    if (stderr.includes("No module named 'yaml'")) throw new Error(`PyYAML is missing for ${PYTHON}: apt-get install -y python3-yaml`);
    throw new Error(`PyYAML cannot read the text: ${stderr.trim().split('\n').pop()}`);
  }
}

// Each text loaded on its own: an error line, or null when PyYAML loads it.
const LOADS = `
import sys, json, yaml
Loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
out = []
for text in json.load(sys.stdin):
    try:
        list(yaml.load_all(text, Loader=Loader))
        out.append(None)
    except Exception as e:
        out.append(str(e).replace('\\n', ' ')[:300])
print(json.dumps(out))
`;

/** For each text, why PyYAML (the Kubernetes Python client's reader) cannot load it, or undefined. */
export function pyyamlErrors(texts: readonly string[]): Array<string | undefined> {
  const r = execFileSync(PYTHON, ['-c', LOADS], { input: JSON.stringify(texts), maxBuffer: 1024 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });
  return (JSON.parse(r.toString('utf-8')) as Array<string | null>).map((e) => e ?? undefined);
}
