// --select / --exclude: which Jobs and CronJobs of a stream MeshJob may change.
//
// A selector is a comma-separated list of terms that must all match: `kind=CronJob`,
// `namespace=prod`, `name=backup-*`, `label:app=shop` (the object's own metadata.labels;
// `label:app` alone: the label is present). `*` in a value matches any run of characters. Repeated
// --select flags are alternatives (an object matching any of them is selected); an object matching
// any --exclude is left alone.

/** One parsed selector: all its terms must match. */
export interface Selector {
  readonly source: string;
  readonly terms: ReadonlyArray<(obj: any) => boolean>;
}

const FIELDS: Record<string, (obj: any) => unknown> = {
  kind: (o) => o?.kind,
  namespace: (o) => o?.metadata?.namespace ?? '',
  name: (o) => o?.metadata?.name,
};

function glob(pattern: string): (value: unknown) => boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return (value) => typeof value === 'string' && re.test(value);
}

/** Parses one selector; throws a one-line message naming the flag, the term and the fix. */
export function parseSelector(flag: string, source: string): Selector {
  const terms = source.split(',').map((term) => {
    const eq = term.indexOf('=');
    const field = eq < 0 ? term : term.slice(0, eq);
    const value = eq < 0 ? undefined : term.slice(eq + 1);
    if (field.startsWith('label:') && field.length > 'label:'.length) {
      const key = field.slice('label:'.length);
      const matches = value === undefined ? () => true : glob(value);
      return (o: any) => {
        const labels = o?.metadata?.labels;
        return !!labels && Object.prototype.hasOwnProperty.call(labels, key) && matches(labels[key]);
      };
    }
    const read = FIELDS[field];
    if (!read || value === undefined || value === '') {
      throw new Error(`${flag} "${source}": term "${term}" is not FIELD=VALUE; use kind=, namespace=, name= or label:KEY[=VALUE], e.g. kind=CronJob,namespace=prod,label:app=shop`);
    }
    const matches = glob(value);
    return (o: any) => matches(read(o));
  });
  return { source, terms };
}

/** True when the object may be changed: selected by one of `select` (if any) and by none of `exclude`. */
export function isSelected(obj: any, select: readonly Selector[], exclude: readonly Selector[]): boolean {
  const matches = (s: Selector) => s.terms.every((t) => t(obj));
  return (select.length === 0 || select.some(matches)) && !exclude.some(matches);
}
