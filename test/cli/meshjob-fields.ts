// The fields MeshJob may add or replace in a Job or CronJob it changes, as a test oracle: every
// other difference between a document before and after `meshjob` is a bug.

type How = 'added' | 'removed' | 'changed' | 'appended' | 'prepended' | 'replaced';
interface Change { readonly path: string; readonly how: How }

const isMap = (v: unknown): v is Record<string, unknown> => Object.prototype.toString.call(v) === '[object Object]';
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b) || (isMap(a) && isMap(b) && changes(a, b).length === 0);

/** Where two JSON values differ; a dot inside a key (a label's name) is written `·`. */
export function changes(before: unknown, after: unknown, path = ''): Change[] {
  const at = (k: string | number) => (path ? `${path}.` : '') + String(k).replace(/\./g, '·');
  if (isMap(before) && isMap(after)) {
    return [
      ...Object.keys(before).filter((k) => !(k in after)).map((k) => ({ path: at(k), how: 'removed' as How })),
      ...Object.keys(after).flatMap((k) => (k in before ? changes(before[k], after[k], at(k)) : [{ path: at(k), how: 'added' as How }])),
    ];
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    if (before.length === after.length) return before.flatMap((x, i) => changes(x, after[i], at(i)));
    const extra = after.length - before.length;
    if (extra > 0 && before.every((x, i) => same(x, after[i]))) return [{ path, how: 'appended' }];
    if (extra > 0 && before.every((x, i) => same(x, after[extra + i]))) return [{ path, how: 'prepended' }];
    return [{ path, how: 'replaced' }];
  }
  return same(before, after) ? [] : [{ path, how: 'changed' }];
}

const POD = String.raw`(items\.\d+\.)?(spec\.jobTemplate\.)?spec\.template`;
const ALLOWED: Array<[RegExp, How[]]> = [
  [/^(items\.\d+\.)?metadata\.annotations\.meshjob\/result$/, ['added', 'changed']],
  [new RegExp(`^${POD}\\.metadata(\\.(labels|annotations))?(\\.[^.]+)?$`), ['added']],
  [new RegExp(`^${POD}\\.spec\\.(restartPolicy|shareProcessNamespace)$`), ['added', 'changed']],
  [new RegExp(`^${POD}\\.spec\\.volumes$`), ['added', 'appended']],
  [new RegExp(`^${POD}\\.spec\\.initContainers$`), ['added', 'prepended']],
  [new RegExp(`^${POD}\\.spec\\.containers\\.\\d+\\.(env|volumeMounts)$`), ['added', 'appended']],
  [new RegExp(`^${POD}\\.spec\\.containers\\.\\d+\\.command$`), ['added', 'prepended']],
  [new RegExp(`^${POD}\\.spec\\.containers\\.\\d+\\.args(\\.\\d+)?$`), ['changed']],
  [/^(items\.\d+\.)?(spec\.jobTemplate\.)?spec\.podFailurePolicy$/, ['added']],
];

/**
 * The differences MeshJob may not make: a path outside its fields, an existing label or annotation
 * changed, items of a list it only appends to removed. `metadata.annotations` may be added only to
 * hold `meshjob/result`.
 */
export function unexpectedChanges(before: unknown, after: any): string[] {
  return changes(before, after).filter(({ path, how }) => {
    if (/^(items\.\d+\.)?metadata\.annotations$/.test(path) && how === 'added') {
      const annotations = path.split('.').reduce((o, k) => o?.[k.replace(/·/g, '.')], after);
      return Object.keys(annotations).join() !== 'meshjob/result';
    }
    return !ALLOWED.some(([re, hows]) => re.test(path) && hows.includes(how));
  }).map(({ path, how }) => `${path} ${how}`);
}
