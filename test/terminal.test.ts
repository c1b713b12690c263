import { escapeForTerminal, terminalLines } from '../src/terminal';

describe('escapeForTerminal', () => {
  test.each([
    ['an OSC that sets the window title', '\x1b]0;owned\x07', '\\x1b]0;owned\\x07'],
    ['a CSI that clears the screen', 'done\x1b[2J\x1b[H', 'done\\x1b[2J\\x1b[H'],
    ['an OSC 8 hyperlink', '\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\', '\\x1b]8;;https://evil.example\\x1b\\click\\x1b]8;;\\x1b\\'],
    ['the 8-bit CSI (C1)', 'a\u009b2Jb', 'a\\x9b2Jb'],
    ['every C1 control, NEL included', '\u0080\u0085\u009f', '\\x80\\x85\\x9f'],
    ['DEL and backspace, which rub out what was printed', 'ok\x08\x08no\x7f', 'ok\\x08\\x08no\\x7f'],
    ['NUL and BEL', '\x00\x07', '\\x00\\x07'],
    ['a carriage return, which prints over the line', 'exit 0\rexit 1', 'exit 0\\rexit 1'],
    ['tab and line feed, which break a table cell', 'a\tb\nc', 'a\\tb\\nc'],
    ['a right-to-left override (Trojan Source)', 'image\u202egnp.exe', 'image\\u202egnp.exe'],
    ['the bidi embeddings, overrides and isolates', '\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069', '\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069'],
    ['a lone surrogate, which a UTF-8 terminal would show as U+FFFD', 'a\ud800b\udc00', 'a\\ud800b\\udc00'],
  ])('escapes %s', (_what, text, shown) => {
    expect(escapeForTerminal(text)).toBe(shown);
  });

  test.each([
    ['plain ASCII with backslashes', 'C:\\logs\\x1b is text'],
    ['letters, CJK and a pair of surrogates (an emoji)', 'café 日本 🚀'],
    ['the no-break space and other printable Latin-1', '\u00a0©é'],
    ['the marks a terminal shows as they are (LRM, RLM, zero-width space)', '\u200e\u200f\u200b'],
  ])('leaves %s as it is', (_what, text) => {
    expect(escapeForTerminal(text)).toBe(text);
  });

  test('gives the same answer however often it is called (no regex state left behind)', () => {
    const text = 'x\x1by';
    expect([escapeForTerminal(text), escapeForTerminal(text), escapeForTerminal(text)]).toEqual(['x\\x1by', 'x\\x1by', 'x\\x1by']);
  });
});

describe('terminalLines', () => {
  test('keeps the line breaks between lines and escapes the ones inside them', () => {
    expect(terminalLines(['first\nstill first', 'second'])).toBe('first\\nstill first\nsecond\n');
  });

  test('gives nothing for no lines', () => {
    expect(terminalLines([])).toBe('');
  });
});
