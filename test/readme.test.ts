// README.md's TypeScript compiles: every ```ts block is type-checked, strictly, against the
// library as an app imports it ('meshjob', 'meshjob/lib/testing'), and the blocks that show the
// consumer test's app are that app's files, character for character.
import { readFileSync } from 'fs';
import { dirname, join } from 'path';
import * as ts from 'typescript';
import { typeCheckSources } from './support/type-check';

const ROOT = join(__dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf-8');
const FILE_MARKER = /<!-- consumer-app: (\S+) -->\n$/;

interface Block {
  /** Line of the opening fence in README.md. */
  readonly line: number;
  readonly code: string;
  /** The consumer app's file this block shows, if it says so in the comment above it. */
  readonly file?: string;
}

/** Every block fenced with ```<lang> in `markdown`. */
function blocksOf(markdown: string, lang: string): Block[] {
  const blocks: Block[] = [];
  const fence = new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'gm');
  for (const m of markdown.matchAll(fence)) {
    const before = markdown.slice(0, m.index);
    blocks.push({ line: before.split('\n').length, code: m[1], file: FILE_MARKER.exec(before)?.[1] });
  }
  return blocks;
}

/**
 * Type-checks each source as its own module named `fileName`, with the library's sources standing
 * in for the installed package. Returns each file's diagnostics, formatted.
 */
function typeCheck(sources: Map<string, string>): Map<string, string[]> {
  const options: ts.CompilerOptions = {
    strict: true,
    noUnusedLocals: true,
    noImplicitReturns: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node', 'jest'],
    baseUrl: ROOT,
    paths: {
      'meshjob': ['src/index.ts'],
      'meshjob/lib/testing': ['src/testing/index.ts'],
      'meshjob/lib/testing/*': ['src/testing/*'],
    },
  };
  return typeCheckSources(sources, options, (d, host) => ts.formatDiagnostic(d, { ...host, getNewLine: () => '\n', getCanonicalFileName: (f) => f }).trim());
}

describe('README.md', () => {
  const blocks = blocksOf(README, 'ts');
  // A block that shows a consumer app's file is checked where that file lives (its './main'
  // import resolves there); any other block as a module beside the README.
  const fileOf = (b: Block) => (b.file ? join(ROOT, b.file) : join(ROOT, `README.md.line-${b.line}.ts`));
  const diagnostics = typeCheck(new Map(blocks.map((b) => [fileOf(b), b.code])));

  test('has TypeScript blocks, among them the consumer apps\' files', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    expect(blocks.filter((b) => b.file).map((b) => b.file)).toEqual([
      'test/fixtures/consumer/plus-28/main.ts',
      'test/fixtures/consumer/plus-28/main.test.ts',
      'test/fixtures/consumer/plus-34/main.ts',
    ]);
  });

  test.each(blocks.map((b) => [b.line, b.code.split('\n')[0], b] as const))(
    'GIVEN the ts block at line %i (%s) WHEN type-checked strictly against the library THEN it compiles',
    (_line, _first, block) => {
      expect(diagnostics.get(fileOf(block))).toEqual([]);
    },
  );

  test.each(blocks.filter((b) => b.file).map((b) => [b.file!, b] as const))(
    'GIVEN the block that shows %s THEN it is that file of the consumer test\'s app, unchanged',
    (file, block) => {
      expect(block.code).toBe(readFileSync(join(ROOT, file), 'utf-8'));
    },
  );

  test('GIVEN the jest.config.js line it shows THEN both consumer apps\' jest.config.js have it', () => {
    const [line] = blocksOf(README, 'js').map((b) => b.code.trim()).filter((c) => c.startsWith('snapshotSerializers'));
    expect(line).toBe("snapshotSerializers: ['meshjob/lib/testing/jest-serializer'],");
    for (const app of ['plus-28', 'plus-34']) {
      expect(readFileSync(join(ROOT, 'test', 'fixtures', 'consumer', app, 'jest.config.js'), 'utf-8')).toContain(line);
    }
  });

  test('fails a block that does not compile: the check reports the error with its line', () => {
    const file = join(dirname(fileOf(blocks[0])), 'README.md.broken.ts');
    const broken = typeCheck(new Map([[file, "import { MeshJob } from 'meshjob';\nnew MeshJob(undefined, 'x', {});\n"]]));
    expect(broken.get(file)!.join('\n')).toMatch(/README\.md\.broken\.ts\(2,13\).*Argument of type 'undefined'|README\.md\.broken\.ts\(2,\d+\).*mesh/);
  });
});
