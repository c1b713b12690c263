// Go's %q for strings (fmt verb %q = strconv.Quote), as the kubelet quotes label and annotation
// values in downward API files. A port of go/src/strconv/quote.go (appendQuotedWith with
// ASCIIonly=false, graphicOnly=false, and appendEscapedRune), Go 1.21:
// - the result is wrapped in double quotes;
// - `"` and `\` are escaped with a backslash;
// - a printable rune (unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII
//   space) is written as itself, in UTF-8;
// - \a \b \f \n \r \t \v for those seven control characters;
// - any other rune below U+0020, and U+007F, as \xNN;
// - any other rune as \uNNNN below U+10000, else \UNNNNNNNN; hexadecimal digits in lower case.
// JavaScript strings cannot hold Go's invalid UTF-8 bytes (Go writes those as \xNN); a lone
// surrogate, which no Go string holds, is written as Go writes the replacement character U+FFFD.

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const NAMED: Record<number, string> = { 7: '\\a', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v' };

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** Go's strconv.Quote(s): `s` as a double-quoted Go string literal. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    let r = ch.codePointAt(0)!;
    if (r >= 0xd800 && r <= 0xdfff) r = 0xfffd;
    const c = String.fromCodePoint(r);
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (PRINTABLE.test(c)) out += c;
    else if (NAMED[r] !== undefined) out += NAMED[r];
    else if (r < 0x20 || r === 0x7f) out += `\\x${hex(r, 2)}`;
    else if (r < 0x10000) out += `\\u${hex(r, 4)}`;
    else out += `\\U${hex(r, 8)}`;
  }
  return `${out}"`;
}

/**
 * What the kubelet writes for a map of labels or annotations (kubernetes pkg/fieldpath/fieldpath.go
 * FormatMap): one `key="value"` line per entry, keys sorted (Go sorts bytewise; keys are ASCII),
 * values quoted with %q, and no newline after the last line.
 */
export function formatMap(m: Record<string, string>): string {
  return Object.keys(m).sort().map((k) => `${k}=${goQuote(m[k])}`).join('\n');
}
