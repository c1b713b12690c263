// Text from a cluster or a manifest, made safe to print to a terminal.
//
// A terminal acts on control characters instead of showing them: ESC (0x1b) starts the ECMA-48
// control sequences (ECMA-48 §5: CSI `ESC [` clears the screen or moves the cursor, OSC `ESC ]`
// sets the window title or, with xterm's OSC 8, plants a hyperlink), and the 8-bit forms of the
// same introducers are the C1 controls U+0080–U+009F (CSI is U+009B, OSC U+009D), which many
// terminals honour in UTF-8 too. CR, BS and the other C0 controls move the cursor over what was
// printed; a TAB or LF inside a table cell breaks the table. The Unicode bidirectional overrides
// and isolates (U+202A–U+202E, U+2066–U+2069; Unicode UAX #9 §2, "Trojan Source", CVE-2021-42574)
// reorder the text around them, so that what is shown is not what was written. Every one of these
// is shown as an escape instead: `\x1b`, `\u202e`, and `\t`, `\n`, `\r` for the common three.
// Backslashes are left as they are: the escapes are for reading, not for reading back.

// C0 controls, DEL, C1 controls, the bidi embeddings/overrides and isolates, and lone surrogates
// (which a UTF-8 terminal would show as U+FFFD, hiding what was there).
// eslint-disable-next-line no-control-regex
const ACTS_ON = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const SHORT: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escapeOne(c: string): string {
  const short = SHORT[c];
  if (short) return short;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every character a terminal would act on shown as an escape (`\x1b`, `\u202e`, `\n`),
 * for one line or one table cell of output meant for a person. Text without such characters is
 * returned as it is.
 */
export function escapeForTerminal(text: string): string {
  ACTS_ON.lastIndex = 0;
  return ACTS_ON.test(text) ? text.replace(ACTS_ON, escapeOne) : text;
}

/** Lines for a terminal: each escaped on its own (so the line breaks between them stay), each ending in a newline. */
export function terminalLines(lines: readonly string[]): string {
  return lines.map((l) => `${escapeForTerminal(l)}\n`).join('');
}
