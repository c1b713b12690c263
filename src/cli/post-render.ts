import { Document, parseAllDocuments } from 'yaml';
import { applyToManifest, ManifestLifecycle, ManifestResult } from '../manifests/apply';

// A multi-document YAML stream in, the same stream out with its Jobs and CronJobs made mesh-safe.
// Documents that are not Jobs or CronJobs are written back as they were parsed (comments kept).

/** The outcome of one stream. */
export interface StreamResult {
  /** The stream to write; undefined when there were problems. */
  readonly output?: string;
  /** One line per problem; non-empty means exit non-zero and write nothing. */
  readonly problems: string[];
  /** What happened to each Job and CronJob. */
  readonly results: ManifestResult[];
}

/** Applies the lifecycle to every Job and CronJob (also inside `kind: List` items) of a stream. */
export function postRender(input: string, what: ManifestLifecycle): StreamResult {
  if (input.trim() === '') return { problems: ['no YAML documents on stdin'], results: [] };
  const docs = parseAllDocuments(input, { keepSourceTokens: false });
  const parsed: Document[] = Array.isArray(docs) ? docs : [];
  const problems: string[] = [];
  parsed.forEach((doc, i) => doc.errors.forEach((e) => problems.push(`document ${i + 1}: invalid YAML: ${e.message.split('\n')[0]}`)));
  if (problems.length > 0) return { problems, results: [] };

  const results: ManifestResult[] = [];
  const out: string[] = [];
  for (const doc of parsed) {
    const obj = doc.toJS();
    if (obj === null || obj === undefined) {
      out.push(doc.toString());
      continue;
    }
    const items = obj.kind === 'List' && Array.isArray(obj.items) ? obj.items : [obj];
    let changed = false;
    for (const item of items) {
      try {
        const r = applyToManifest(item, what);
        if (r.outcome !== 'not-a-job') results.push(r);
        changed = changed || r.outcome === 'applied';
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
    if (changed) {
      // The changed object replaces the document's contents; its leading comment (Helm's
      // "# Source: chart/templates/x.yaml") stays with it.
      const comment = (doc.contents as any)?.commentBefore;
      const node = doc.createNode(obj) as any;
      node.commentBefore = comment;
      doc.contents = node;
    }
    out.push(doc.toString());
  }
  if (problems.length > 0) return { problems, results };
  return { output: out.map((d) => (d.startsWith('---') ? d : `---\n${d}`)).join(''), problems: [], results };
}
