import { spawnSync } from 'child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { delimiter, join } from 'path';
import { parse } from 'yaml';
import { docBlock } from './support/docs';
import { chartDocument, expectMeshSafe, jobsOf, objectsOf } from './support/manifests';
import { cleanEnv, InstalledPackage, installedPackage, meshjobOnPath } from './support/package';
import { cleanup } from '../support/wrapper-harness';

// kubectl 1.32 (kustomize 5.5) and kpt 1.0 run here: these tests run them.

afterEach(cleanup);

const DOCS = 'docs/pipelines.md';

/** The worked example's Deployment and pre-install migration Job, as files of a kustomization. */
function writeResources(dir: string): { deployment: any } {
  mkdirSync(dir, { recursive: true });
  const deployment = chartDocument('Deployment', 'shop');
  writeFileSync(join(dir, 'deployment.yaml'), deployment);
  writeFileSync(join(dir, 'migrate-job.yaml'), chartDocument('Job', 'shop-migrate'));
  return { deployment: parse(deployment) };
}

/** Runs a documented shell block with sh in `cwd`. */
function sh(block: string, cwd: string, env: Record<string, string>) {
  const r = spawnSync('sh', ['-e', '-c', block], { cwd, env, encoding: 'utf-8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The kustomization of the docs (Deployment, migration Job, the MeshJobTransformer) in the project folder. */
function documentedKustomization(installed: InstalledPackage, transformer = docBlock(DOCS, 'kustomize-transformer')) {
  const { deployment } = writeResources(installed.project);
  writeFileSync(join(installed.project, 'meshjob.yaml'), transformer);
  writeFileSync(join(installed.project, 'kustomization.yaml'), docBlock(DOCS, 'kustomize-kustomization'));
  return { deployment };
}

describe('kustomize: the legacy exec transformer plugin', () => {
  test('GIVEN the documented kustomization WHEN kubectl kustomize --enable-alpha-plugins runs the plugin from the package THEN the Job is mesh-safe and the Deployment unchanged', () => {
    const installed = installedPackage();
    const { deployment } = documentedKustomization(installed);
    const r = sh(docBlock(DOCS, 'kustomize-build'), installed.project, cleanEnv(installed));
    expect(r).toMatchObject({ code: 0 });
    const objects = expectMeshSafe(objectsOf(r.stdout));
    expect(jobsOf(objects).map((j) => j.metadata.name)).toEqual(['shop-migrate']);
    expect(objects.find((o) => o.kind === 'Deployment')).toEqual(deployment);
  });

  test('GIVEN the plugin\'s folder symlinked into $XDG_CONFIG_HOME/kustomize/plugin as the docs do WHEN kubectl kustomize runs it THEN it finds the package\'s CLI', () => {
    const installed = installedPackage();
    documentedKustomization(installed);
    const r = sh(docBlock(DOCS, 'kustomize-xdg'), installed.project, cleanEnv(installed, { XDG_CONFIG_HOME: join(installed.project, 'config') }));
    expect(r).toMatchObject({ code: 0 });
    expectMeshSafe(objectsOf(r.stdout));
  });

  test('GIVEN a Job meshjob leaves alone (no command) beside the migration Job WHEN the build succeeds THEN the documented command lists each Job\'s meshjob/result, which kustomize\'s silence hides', () => {
    const installed = installedPackage();
    documentedKustomization(installed);
    const noCommand = chartDocument('Job', 'shop-migrate').replace(/name: shop-migrate/, 'name: shop-seed').replace(/\n(\s*)command:[^\n]*(\n\1[ -][^\n]*)*/, '');
    expect(parse(noCommand).spec.template.spec.containers[0].command).toBeUndefined();
    writeFileSync(join(installed.project, 'seed-job.yaml'), noCommand);
    writeFileSync(join(installed.project, 'kustomization.yaml'), docBlock(DOCS, 'kustomize-kustomization').replace('  - migrate-job.yaml\n', '  - migrate-job.yaml\n  - seed-job.yaml\n'));
    const env = cleanEnv(installed);
    const build = sh(docBlock(DOCS, 'kustomize-build'), installed.project, env);
    expect(build).toMatchObject({ code: 0, stderr: '' });
    const r = sh(`export KUSTOMIZE_PLUGIN_HOME=$PWD/node_modules/meshjob/kustomize-plugin\n${docBlock(DOCS, 'kustomize-results')}`, installed.project, env);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'Listing annotations for Job.batch/shop-migrate:',
      expect.stringMatching(/^ meshjob\/result=wrap lifecycle applied \(/),
      'Listing annotations for Job.batch/shop-seed:',
      expect.stringMatching(/^ meshjob\/result=left alone, and it may hang: /),
      '',
    ]);
  });

  test('fails the build with meshjob\'s line naming the bad value and the meshes to choose from', () => {
    const installed = installedPackage();
    documentedKustomization(installed, docBlock(DOCS, 'kustomize-transformer').replace('mesh: istio', 'mesh: isito'));
    const r = sh(docBlock(DOCS, 'kustomize-build'), installed.project, cleanEnv(installed));
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('meshjob: unknown mesh "isito": use one of istio,');
  });

  test('fails the build naming the transformer when its file has a key meshjob does not know', () => {
    const installed = installedPackage();
    documentedKustomization(installed, `${docBlock(DOCS, 'kustomize-transformer')}meshVerison: "1.24"\n`);
    const r = sh(docBlock(DOCS, 'kustomize-build'), installed.project, cleanEnv(installed));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('meshjob: MeshJobTransformer meshjob: unknown option "meshVerison"');
  });

  test('kubectl kustomize, which has no --enable-exec, silently skips a KRM exec transformer: meshjob --check catches the Job left as it was', () => {
    const installed = installedPackage();
    writeResources(installed.project);
    const transformer = docBlock(DOCS, 'kustomize-transformer').replace('  name: meshjob\n',
      '  name: meshjob\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./node_modules/meshjob/kustomize-plugin/meshjob-krm\n');
    writeFileSync(join(installed.project, 'meshjob.yaml'), transformer);
    writeFileSync(join(installed.project, 'kustomization.yaml'), docBlock(DOCS, 'kustomize-kustomization'));
    const env = cleanEnv(installed, { PATH: [meshjobOnPath(installed), installed.path].join(delimiter) });
    const r = sh('kubectl kustomize --enable-alpha-plugins . > built.yaml && meshjob --check --mesh istio < built.yaml', installed.project, env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Job shop-migrate would hang under istio/);
    expect(jobsOf(objectsOf(readFileSync(join(installed.project, 'built.yaml'), 'utf-8')))[0]).toEqual(parse(chartDocument('Job', 'shop-migrate')));
  });
});

describe('the KRM function under kpt', () => {
  /** deploy/ with the worked example's files, kpt's package folder. */
  function deployFolder(installed: InstalledPackage) {
    const deploy = join(installed.project, 'deploy');
    const { deployment } = writeResources(deploy);
    return { deploy, deployment };
  }
  const read = (file: string) => parse(readFileSync(file, 'utf-8'));

  test('GIVEN the documented kpt fn eval WHEN kpt runs meshjob-krm with key=value options THEN the files hold a mesh-safe Job and kpt prints why', () => {
    const installed = installedPackage();
    const { deploy, deployment } = deployFolder(installed);
    const r = sh(docBlock(DOCS, 'kpt'), installed.project, cleanEnv(installed));
    expect(r.code).toBe(0);
    expectMeshSafe([read(join(deploy, 'migrate-job.yaml')), read(join(deploy, 'deployment.yaml'))]);
    expect(read(join(deploy, 'deployment.yaml'))).toEqual(deployment);
    expect(r.stderr).toMatch(/\[info\] batch\/v1\/Job\/shop-migrate: wrap lifecycle applied \(/);
  });

  test('reads the options of a MeshJobTransformer file given with --fn-config', () => {
    const installed = installedPackage();
    const { deploy } = deployFolder(installed);
    writeFileSync(join(installed.project, 'meshjob.yaml'), docBlock(DOCS, 'kustomize-transformer').replace('mesh: istio', 'mesh: linkerd'));
    const r = sh('kpt fn eval deploy --exec ./node_modules/meshjob/kustomize-plugin/meshjob-krm --fn-config meshjob.yaml', installed.project, cleanEnv(installed));
    expect(r.code).toBe(0);
    expectMeshSafe([read(join(deploy, 'migrate-job.yaml'))], { key: 'linkerd.io/inject', value: 'enabled' });
  });

  test('fails with an error result naming the value, and leaves the files as they were, when an option is wrong', () => {
    const installed = installedPackage();
    const { deploy } = deployFolder(installed);
    const before = readFileSync(join(deploy, 'migrate-job.yaml'), 'utf-8');
    const r = sh('kpt fn eval deploy --exec ./node_modules/meshjob/kustomize-plugin/meshjob-krm -- mesh=istio readyTimeoutSeconds=soon', installed.project, cleanEnv(installed));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('[error]: functionConfig: option "readyTimeoutSeconds": --ready-timeout-seconds must be a whole number, not "soon"');
    expect(readFileSync(join(deploy, 'migrate-job.yaml'), 'utf-8')).toBe(before);
  });
});
