// Comparing readings: JSON values with their keys sorted (kubectl prints keys sorted), -0 as 0
// (JSON has no -0), written without recursion so that 10,000 levels of nesting compare too.

/** A canonical JSON text of a value. */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  const stack: unknown[] = [value];
  const TOKEN = Symbol('token');
  const token = (text: string) => ({ [TOKEN]: text });
  while (stack.length > 0) {
    const x = stack.pop() as any;
    if (x && typeof x === 'object' && TOKEN in x) {
      out.push(x[TOKEN]);
    } else if (Array.isArray(x)) {
      out.push('[');
      stack.push(token(']'));
      for (let i = x.length - 1; i >= 0; i--) {
        stack.push(x[i]);
        if (i > 0) stack.push(token(','));
      }
    } else if (x && typeof x === 'object') {
      out.push('{');
      stack.push(token('}'));
      const keys = Object.keys(x).sort();
      for (let i = keys.length - 1; i >= 0; i--) {
        stack.push(x[keys[i]]);
        stack.push(token(`${JSON.stringify(keys[i])}:`));
        if (i > 0) stack.push(token(','));
      }
    } else {
      // kubectl prints integers beyond 2^53 exactly, and JSON.parse rounds them: compare them rounded.
      out.push(x === undefined ? 'undefined' : JSON.stringify(typeof x === 'bigint' ? Number(x) : Object.is(x, -0) ? 0 : x));
    }
  }
  return out.join('');
}

/**
 * The objects kubectl makes of a document's value: nothing for null; the items of any object with
 * an `items` key, whatever its kind (k8s.io/apimachinery unstructured.go `unstructuredJSONScheme.decode`).
 */
export function objectsOf(value: any): unknown[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, 'items')) return Array.isArray(value.items) ? value.items : [];
  return [value];
}
