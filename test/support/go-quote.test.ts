import { formatMap, goQuote } from './go-quote';

// Expected values are Go's own: the quotetests table of go/src/strconv/quote_test.go (Go 1.21,
// column "out" of Quote), and fmt's documented %q of a string.
describe('goQuote', () => {
  test.each([
    ['\x07\b\f\r\n\t\v', '"\\a\\b\\f\\r\\n\\t\\v"'],
    ['\\', '"\\\\"'],
    ['\u263a', '"☺"'],
    ['\u{10ffff}', '"\\U0010ffff"'],
    ['\x04', '"\\x04"'],
    // Non-printable but graphic runes (no-break space, en quad, ideographic space).
    ['!\u00a0!\u2000!\u3000!', '"!\\u00a0!\\u2000!\\u3000!"'],
    ['\x7f', '"\\x7f"'],
    ['"Fran & Freddie\'s Diner"', '"\\"Fran & Freddie\'s Diner\\""'],
  ])('quotes %j as Go does: %s', (input, expected) => {
    expect(goQuote(input)).toBe(expected);
  });

  test('quotes an Istio status annotation as the kubelet writes it', () => {
    const status = '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy"],"imagePullSecrets":null,"revision":"default"}';
    expect(goQuote(status)).toBe(
      '"{\\"initContainers\\":[\\"istio-init\\"],\\"containers\\":[\\"istio-proxy\\"],\\"volumes\\":[\\"istio-envoy\\"],\\"imagePullSecrets\\":null,\\"revision\\":\\"default\\"}"',
    );
  });
});

describe('formatMap', () => {
  test('writes sorted key="value" lines with no newline after the last, as the kubelet does', () => {
    expect(formatMap({ 'b/y': 'x\ny', 'a': 'true', 'app.kubernetes.io/name': '' }))
      .toBe('a="true"\napp.kubernetes.io/name=""\nb/y="x\\ny"');
  });
});
