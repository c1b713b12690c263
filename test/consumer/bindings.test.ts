// The library for every jsii language: jsii-pacmak generates Python, Java, .NET and Go sources
// from the compiled assembly, under the package names .projenrc.ts configures, with every public
// type. Sources are compiled where this machine has the toolchain without the network: Python
// (byte-compiled) and Go (parsed by gofmt). Java and .NET need the jsii runtime and the cdk8s
// packages of their registries (Maven Central, NuGet), which CI cannot reach.
import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ROOT, run } from './app';

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const PYTHON = has('python3');
const GOFMT = has('gofmt');

let out: string;
let types: string[];

beforeAll(() => {
  const compile = run('npx', ['projen', 'compile:if-stale'], ROOT);
  if (compile.status !== 0) throw new Error(`jsii compile failed:\n${compile.output}`);
  out = mkdtempSync(join(tmpdir(), 'meshjob-pacmak-'));
  const pacmak = run('npx', ['jsii-pacmak', '--code-only', '--outdir', out,
    '--target', 'python', '--target', 'java', '--target', 'dotnet', '--target', 'go'], ROOT);
  if (pacmak.status !== 0) throw new Error(`jsii-pacmak failed:\n${pacmak.output}`);
  const assembly = JSON.parse(readFileSync(join(ROOT, '.jsii'), 'utf-8'));
  types = Object.keys(assembly.types).map((fqn) => fqn.replace(/^meshjob\./, ''));
}, 10 * 60_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

const missing = (names: string[], present: (name: string) => boolean) => names.filter((n) => !present(n));

describe('Python', () => {
  const module = () => readFileSync(join(out, 'python', 'src', 'meshjob', '__init__.py'), 'utf-8');

  test('GIVEN pacmak THEN the distribution is "meshjob" and its module defines every public type', () => {
    expect(readFileSync(join(out, 'python', 'setup.py'), 'utf-8')).toMatch(/"name": "meshjob"/);
    expect(missing(types, (t) => new RegExp(`^class ${t}\\b`, 'm').test(module()))).toEqual([]);
  });

  (PYTHON ? test : test.skip)('GIVEN python3 THEN every generated module byte-compiles', () => {
    const r = run('python3', ['-m', 'compileall', '-q', join(out, 'python', 'src')], out);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('Java', () => {
  test('GIVEN pacmak THEN the artifact is org.meshjob:meshjob and package org.meshjob has every public type', () => {
    const pom = readFileSync(join(out, 'java', 'pom.xml'), 'utf-8');
    expect(pom).toContain('<groupId>org.meshjob</groupId>');
    expect(pom).toContain('<artifactId>meshjob</artifactId>');
    const dir = join(out, 'java', 'src', 'main', 'java', 'org', 'meshjob');
    expect(missing(types, (t) => existsSync(join(dir, `${t}.java`)) && readFileSync(join(dir, `${t}.java`), 'utf-8').startsWith('package org.meshjob;'))).toEqual([]);
  });
});

describe('.NET', () => {
  test('GIVEN pacmak THEN the package is MeshJob and namespace MeshJob has every public type', () => {
    const dir = join(out, 'dotnet', 'MeshJob');
    expect(readFileSync(join(dir, 'MeshJob.csproj'), 'utf-8')).toContain('<PackageId>MeshJob</PackageId>');
    expect(missing(types, (t) => existsSync(join(dir, 'MeshJob', `${t}.cs`))
      && readFileSync(join(dir, 'MeshJob', `${t}.cs`), 'utf-8').includes('namespace MeshJob'))).toEqual([]);
  });
});

describe('Go', () => {
  const dir = () => join(out, 'go', 'meshjob');

  test('GIVEN pacmak THEN the module is github.com/meshjob/meshjob-go/meshjob with every public type', () => {
    expect(readFileSync(join(dir(), 'go.mod'), 'utf-8')).toMatch(/^module github\.com\/meshjob\/meshjob-go\/meshjob$/m);
    expect(missing(types, (t) => readdirSync(dir()).includes(`${t}.go`))).toEqual([]);
  });

  (GOFMT ? test : test.skip)('GIVEN gofmt THEN every generated file parses', () => {
    const r = spawnSync('gofmt', ['-e', '-l', '.'], { cwd: dir(), encoding: 'utf-8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
