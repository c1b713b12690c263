import * as ts from 'typescript';

/**
 * Type-checks source files held in memory (file name → text) as one program with `options`, the
 * rest read from disk; returns each file's diagnostics, formatted by `format`.
 */
export function typeCheckSources(
  sources: Map<string, string>, options: ts.CompilerOptions, format: (d: ts.Diagnostic, host: ts.CompilerHost) => string,
): Map<string, string[]> {
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (f) => sources.has(f) || ts.sys.fileExists(f);
  host.readFile = (f) => sources.get(f) ?? readFile(f);
  host.getSourceFile = (f, language, onError, create) => (sources.has(f)
    ? ts.createSourceFile(f, sources.get(f)!, language, true)
    : getSourceFile(f, language, onError, create));
  const program = ts.createProgram([...sources.keys()], options, host);
  const result = new Map<string, string[]>();
  for (const file of sources.keys()) {
    result.set(file, ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => format(d, host)));
  }
  return result;
}
