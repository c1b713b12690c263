import { JsonItemScanner, JsonScanEvents } from '../../src/diagnose/json-stream';

// The streaming scanner that cuts a List's items out of kubectl's JSON (src/diagnose/json-stream.ts).

/** Everything the scanner reports for `text` pushed in chunks of `size` bytes, in order. */
function scan(text: string, size = 1024 * 1024, max = 1024 * 1024) {
  const seen: unknown[] = [];
  const events: JsonScanEvents = {
    objectStart: (doc) => seen.push(['start', doc]),
    member: (doc, key, value) => seen.push(['member', doc, key, value]),
    item: (doc, item, value) => seen.push(['item', doc, item, value]),
    objectEnd: (doc, items) => seen.push(['end', doc, items]),
    notAnObject: (doc, value) => seen.push(['not an object', doc, value]),
    tooLarge: (doc, item, key, bytes) => seen.push(['too large', doc, item, key, bytes]),
  };
  const scanner = new JsonItemScanner(events, max);
  const bytes = Buffer.from(text, 'utf-8');
  for (let at = 0; at < bytes.length; at += size) scanner.push(bytes.subarray(at, at + size));
  scanner.end();
  return { seen, error: scanner.error };
}

describe('JsonItemScanner', () => {
  test('hands out the members of a List and each of its items, whatever the chunk size', () => {
    const text = '{"apiVersion": "v1", "items": [{"a": "}]\\"{["}, [1, {"b": null}], "s", 12, true], "kind": "List", "metadata": {}}';
    const expected = [
      ['start', 1],
      ['member', 1, 'apiVersion', 'v1'],
      ['item', 1, 1, { a: '}]"{[' }],
      ['item', 1, 2, [1, { b: null }]],
      ['item', 1, 3, 's'],
      ['item', 1, 4, 12],
      ['item', 1, 5, true],
      ['member', 1, 'kind', 'List'],
      ['member', 1, 'metadata', {}],
      ['end', 1, true],
    ];
    for (const size of [1, 2, 3, 5, 8, 1024 * 1024]) expect(scan(text, size)).toEqual({ seen: expected, error: undefined });
  });

  test.each([
    ['an inner object closed at the item\'s indentation', '{"items": [\n  {"a": {"b": 1\n  }, "c": 2\n  },\n  {"d": 3\n  }\n]}', [{ a: { b: 1 }, c: 2 }, { d: 3 }]],
    ['an item closed on its own line only after the next one', '{"items": [\n  {"a": 1},\n  {"b": 2\n  }\n]}', [{ a: 1 }, { b: 2 }]],
  ])('finds the items of JSON laid out unlike kubectl\'s, with %s', (_what, text, items) => {
    for (const size of [1, 7, 1024 * 1024]) {
      expect(scan(text as string, size).seen.filter((e: any) => e[0] === 'item').map((e: any) => e[3])).toEqual(items);
    }
  });

  test('numbers concatenated top-level values as documents', () => {
    expect(scan('{"kind": "Pod"}\n{}[1, 2] 42 "x"').seen).toEqual([
      ['start', 1], ['member', 1, 'kind', 'Pod'], ['end', 1, false],
      ['start', 2], ['end', 2, false],
      ['not an object', 3, []],
      ['not an object', 4, 42],
      ['not an object', 5, 'x'],
    ]);
  });

  test('reads member names with escapes, and items only under the name items', () => {
    expect(scan('{"it\\u0065ms": [1], "other": [2]}').seen).toEqual([
      ['start', 1], ['item', 1, 1, 1], ['member', 1, 'other', [2]], ['end', 1, true],
    ]);
  });

  test('reports a value over the limit by its size instead of its text, and goes on', () => {
    const text = `{"items": [{"big": "${'x'.repeat(5000)}"}, {"small": 1}], "metadata": "${'y'.repeat(5000)}"}`;
    expect(scan(text, 100, 1000).seen).toEqual([
      ['start', 1], ['too large', 1, 1, undefined, 5011], ['item', 1, 2, { small: 1 }], ['too large', 1, undefined, 'metadata', 5002], ['end', 1, true],
    ]);
  });

  test.each([
    ['a missing colon', '{"items" [1]}', 'expected ":" after a member name', 9],
    ['a trailing comma in items', '{"items": [1,]}', 'expected an element of items', 13],
    ['a member name without quotes', '{items: []}', 'expected a member name in double quotes', 1],
    ['a stray closing bracket', '{} ]', 'expected a JSON value', 3],
    ['a cut-off list', '{"items": [{"a": 1}', 'the input ends inside a value', 19],
  ])('stops at %s and says where', (_what, text, message, offset) => {
    expect(scan(text, 4).error).toEqual({ message, offset });
  });

  test('stops at a YAML --- between documents, naming the document', () => {
    expect(scan('{}\n---\n{}')).toEqual({
      seen: [['start', 1], ['end', 1, false]],
      error: { message: expect.stringContaining('JSON'), offset: 3, doc: 2, item: undefined },
    });
  });

  test('stops at an item that is not JSON, naming its document and item', () => {
    expect(scan('{"items": [1, {"a": tru}]}').error).toEqual({ message: expect.stringContaining('JSON'), offset: 14, doc: 1, item: 2 });
  });

  test('refuses a member name longer than any field name', () => {
    expect(scan(`{"${'k'.repeat(10_000)}": 1}`, 1000).error).toMatchObject({ message: expect.stringContaining('a member name under') });
  });

  test('skips a UTF-8 byte order mark cut between chunks', () => {
    expect(scan('\ufeff{"kind": "Pod"}', 1).seen).toEqual([['start', 1], ['member', 1, 'kind', 'Pod'], ['end', 1, false]]);
  });
});
