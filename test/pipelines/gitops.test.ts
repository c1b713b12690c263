import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { delimiter, join } from 'path';
import { parse, stringify } from 'yaml';
import { docBlock } from './support/docs';
import { expectMeshSafe, fakeHelmTemplate, jobsOf, objectsOf } from './support/manifests';
import { cleanEnv, InstalledPackage, installedPackage, meshjobOnPath } from './support/package';
import { validateAll } from '../support/schema';
import { cleanup } from '../support/wrapper-harness';

// Argo CD and Flux have no post-renderer meshjob can be: both recipes render with `helm template`
// (a stand-in printing the worked example's chart output) and pipe through meshjob.

afterEach(cleanup);

const DOCS = 'docs/pipelines.md';

/** A PATH with `helm` (the stand-in) and `meshjob`, as the sidecar image or the CI runner has them. */
function toolsOnPath(installed: InstalledPackage) {
  const helm = fakeHelmTemplate(installed);
  return { helmArgs: helm.args, path: [helm.bin, meshjobOnPath(installed), installed.path].join(delimiter) };
}

describe('Argo CD: the config-management plugin', () => {
  const configMap = parse(docBlock(DOCS, 'argocd-plugin'));
  const plugin = parse(configMap.data['plugin.yaml']);
  const application = parse(docBlock(DOCS, 'argocd-application'));

  /**
   * Runs the plugin's generate command as argocd-cmp-server does (argoproj/argo-cd
   * cmpserver/plugin/plugin.go, runCommand): command[0] with command[1:] and args, in the
   * Application's source folder, with the repo-server's variables and the Application's plugin env
   * prefixed ARGOCD_ENV_. Returns what Argo CD takes as manifests (stdout) and the error it shows.
   */
  function generate(installed: InstalledPackage, extra: Record<string, string> = {}) {
    const appDir = join(installed.project, 'repo', application.spec.source.path);
    mkdirSync(appDir, { recursive: true });
    writeFileSync(join(appDir, 'Chart.yaml'), 'apiVersion: v2\nname: shop\nversion: 3.2.0\n');
    const tools = toolsOnPath(installed);
    const appEnv = Object.fromEntries((application.spec.source.plugin.env ?? []).map((e: any) => [`ARGOCD_ENV_${e.name}`, e.value]));
    const env = cleanEnv(installed, {
      PATH: tools.path,
      ARGOCD_APP_NAME: application.metadata.name,
      ARGOCD_APP_NAMESPACE: application.spec.destination.namespace,
      KUBE_VERSION: '1.30.2',
      KUBE_API_VERSIONS: 'v1,apps/v1,batch/v1',
      ...appEnv,
      ...extra,
    });
    const { command, args } = plugin.spec.generate;
    const r = spawnSync(command[0], [...command.slice(1), ...(args ?? [])], { cwd: appDir, env, encoding: 'utf-8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, helmArgs: existsSync(tools.helmArgs) ? readFileSync(tools.helmArgs, 'utf-8') : '' };
  }

  test('GIVEN the documented sidecar patch WHEN kustomize applies it to argocd-repo-server THEN the Deployment is schema-valid and the sidecar mounts the plugin\'s ConfigMap as Argo CD expects', () => {
    const installed = installedPackage();
    // A stand-in for Argo CD's repo-server Deployment, with the two emptyDir volumes a CMP sidecar
    // shares with it (argo-cd manifests/base/repo-server/argocd-repo-server-deployment.yaml).
    writeFileSync(join(installed.project, 'repo-server.yaml'), stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'argocd-repo-server' },
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/name': 'argocd-repo-server' } },
        template: {
          metadata: { labels: { 'app.kubernetes.io/name': 'argocd-repo-server' } },
          spec: {
            containers: [{ name: 'argocd-repo-server', image: 'quay.io/argoproj/argocd:v3.5.1' }],
            volumes: [{ name: 'var-files', emptyDir: {} }, { name: 'plugins', emptyDir: {} }],
          },
        },
      },
    }));
    writeFileSync(join(installed.project, 'cmp.yaml'), docBlock(DOCS, 'argocd-plugin'));
    writeFileSync(join(installed.project, 'sidecar.yaml'), docBlock(DOCS, 'argocd-sidecar'));
    writeFileSync(join(installed.project, 'kustomization.yaml'), 'resources: [repo-server.yaml, cmp.yaml]\npatches:\n  - path: sidecar.yaml\n');
    const build = spawnSync('kubectl', ['kustomize', installed.project], { encoding: 'utf-8' });
    expect(build.stderr).toBe('');
    const objects = validateAll(objectsOf(build.stdout));
    const pod = objects.find((o) => o.kind === 'Deployment').spec.template.spec;
    const sidecar = pod.containers.find((c: any) => c.name === 'meshjob-helm');
    expect(sidecar.securityContext.runAsUser).toBe(999);
    const volumes = new Map(pod.volumes.map((v: any) => [v.name, v]));
    expect(sidecar.volumeMounts.filter((m: any) => !volumes.has(m.name))).toEqual([]);
    const config = sidecar.volumeMounts.find((m: any) => m.mountPath === '/home/argocd/cmp-server/config/plugin.yaml');
    expect((volumes.get(config.name) as any).configMap.name).toBe(configMap.metadata.name);
    expect(Object.keys(objects.find((o) => o.kind === 'ConfigMap').data)).toContain(config.subPath);
  });

  test('the Application names the plugin the ConfigMap defines', () => {
    expect(application.spec.source.plugin.name).toBe(plugin.metadata.name);
    expect(plugin).toMatchObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'ConfigManagementPlugin' });
  });

  test('GIVEN the documented plugin WHEN argocd-cmp-server runs generate in the chart folder THEN Argo CD gets the chart with mesh-safe Jobs that are still Helm hooks', () => {
    const installed = installedPackage();
    const r = generate(installed);
    expect(r.code).toBe(0);
    const objects = expectMeshSafe(objectsOf(r.stdout));
    expect(jobsOf(objects).map((j) => j.metadata.name)).toEqual(['shop-migrate', 'shop-backup', 'shop-reindex']);
    expect(jobsOf(objects)[0].metadata.annotations).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-delete-policy': 'before-hook-creation',
    });
    expect(r.helmArgs.trim()).toBe('template shop . --namespace shop --kube-version 1.30.2');
  });

  test('the Application\'s plugin env picks the mesh', () => {
    const installed = installedPackage();
    const r = generate(installed, { ARGOCD_ENV_MESHJOB_MESH: 'linkerd' });
    expectMeshSafe(objectsOf(r.stdout), { key: 'linkerd.io/inject', value: 'enabled' });
  });

  test('fails the sync with helm\'s error, never an empty manifest set, when helm template fails', () => {
    const installed = installedPackage();
    const r = generate(installed, { FAKE_HELM_FAIL: '1' });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Error: chart requires kubeVersion/);
  });

  test('without a Kubernetes version from Argo CD, renders without one', () => {
    const installed = installedPackage();
    const r = generate(installed, { KUBE_VERSION: '' });
    expect(r.code).toBe(0);
    expect(r.helmArgs.trim()).toBe('template shop . --namespace shop');
    expectMeshSafe(objectsOf(r.stdout));
  });
});

describe('Flux: render in CI, reconcile with a Kustomization', () => {
  const fluxKustomization = parse(docBlock(DOCS, 'flux-source'));

  /** Runs the documented CI step in a checkout with the chart folder and deploy/shop/. */
  function ci(installed: InstalledPackage, extra: Record<string, string> = {}) {
    mkdirSync(join(installed.project, 'charts', 'shop'), { recursive: true });
    const deploy = join(installed.project, fluxKustomization.spec.path);
    mkdirSync(deploy, { recursive: true });
    writeFileSync(join(deploy, 'kustomization.yaml'), docBlock(DOCS, 'flux-kustomization'));
    const env = cleanEnv(installed, { PATH: toolsOnPath(installed).path, ...extra });
    const r = spawnSync('sh', ['-e', '-c', docBlock(DOCS, 'flux-ci')], { cwd: installed.project, env, encoding: 'utf-8' });
    return { r, deploy, env };
  }

  test('GIVEN the documented CI step WHEN Flux builds the Kustomization\'s path (kustomize, builtin plugins only) THEN every Job is mesh-safe, schema-valid and may be recreated', () => {
    const installed = installedPackage();
    const { r, deploy, env } = ci(installed);
    expect(r.status).toBe(0);
    const build = spawnSync('kubectl', ['kustomize', deploy], { env, encoding: 'utf-8' });
    expect(build.stderr).toBe('');
    const objects = expectMeshSafe(objectsOf(build.stdout));
    const force = (o: any) => o.metadata.annotations?.['kustomize.toolkit.fluxcd.io/force'];
    expect(objects.filter((o) => force(o) === 'enabled').map((o) => `${o.kind} ${o.metadata.name}`)).toEqual(['Job shop-migrate', 'Job shop-reindex']);
    expect(jobsOf(objects).map((j) => j.metadata.name).sort()).toEqual(['shop-backup', 'shop-migrate', 'shop-reindex']);
  });

  test('stops at a failed helm template instead of committing an empty deploy/shop/shop.yaml', () => {
    const installed = installedPackage();
    const { r, deploy } = ci(installed, { FAKE_HELM_FAIL: '1' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^Error: chart requires kubeVersion/);
    expect(existsSync(join(deploy, 'shop.yaml'))).toBe(false);
  });
});
