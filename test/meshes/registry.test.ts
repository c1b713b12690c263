import { readdirSync } from 'fs';
import { join } from 'path';
import { renderedBlocks } from '../../scripts/readme-tables';
import { Mesh } from '../../src';
import { flagHelp, toManifestLifecycle } from '../../src/cli/options';
import { meshOf, releaseCommand } from '../../src/diagnose/meshes';
import { MeshDescriptor } from '../../src/meshes/descriptor';
import { CLI_MESHES, INJECTING_MESHES, MESHES } from '../../src/meshes/registry';

// A mesh is one file under src/meshes/ (its contract and descriptor), one line in the registry and
// its factory on Mesh. Every layer reads the registry; these tests fail when a mesh is half-added.

const MESH_DIR = join(__dirname, '..', '..', 'src', 'meshes');

/** Every MeshDescriptor exported by a module under src/meshes/. */
function exportedDescriptors(): MeshDescriptor[] {
  return readdirSync(MESH_DIR).filter((f) => f.endsWith('.ts')).flatMap((f) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(join(MESH_DIR, f));
    return Object.values(mod).filter((v: any): v is MeshDescriptor =>
      !!v && typeof v === 'object' && typeof v.name === 'string' && typeof v.factory === 'string' && Array.isArray(v.docs));
  });
}

/** The static factories of Mesh, by name (`istio`, `linkerd`, ...), leaving out internal ones. */
function factories(): string[] {
  return Object.getOwnPropertyNames(Mesh).filter((n) => typeof (Mesh as any)[n] === 'function' && !n.startsWith('_'));
}

describe('the mesh registry', () => {
  test('lists every descriptor a module under src/meshes/ exports, once', () => {
    const exported = exportedDescriptors();
    expect(exported.length).toBeGreaterThan(0);
    expect(exported.filter((d) => !MESHES.includes(d)).map((d) => d.name)).toEqual([]);
    expect(new Set(MESHES.map((m) => m.name)).size).toBe(MESHES.length);
  });

  test('has a descriptor for every Mesh factory, and a factory for every descriptor', () => {
    const named = MESHES.map((m) => /^Mesh\.(\w+)\(\)$/.exec(m.factory)?.[1]);
    expect(named).not.toContain(undefined);
    expect([...factories()].sort()).toEqual([...named].sort());
  });

  test.each(CLI_MESHES.map((m) => [m.name, m]))('the command line takes --mesh %s, and builds the contract of that mesh', (name, m) => {
    // A mesh's number flags get a port; string flags stay unset (their defaults apply).
    const flags = Object.fromEntries((m as MeshDescriptor).cli!.flags.filter((f) => f.kind === 'number').map((f) => [f.key, 9901]));
    const lifecycle = toManifestLifecycle({ mesh: name as string, ...flags });
    expect(lifecycle.mesh.name).toBe(name);
    expect(flagHelp()).toContain(name as string);
  });

  test('lists every mesh flag in the help, once, with the mesh it applies to', () => {
    for (const m of CLI_MESHES) {
      for (const f of m.cli!.flags) expect(flagHelp().split(f.flag).length).toBe(2);
    }
  });

  test.each(INJECTING_MESHES.map((m) => [m.name, m]))('diagnose recognises %s by the proxy container its injector adds', (_name, m) => {
    const d = m as MeshDescriptor;
    const pod = {
      metadata: { name: 'p', namespace: 'ns' },
      spec: { containers: [{ name: 'main', image: 'app:1' }, { name: d.injectedContainers[0], image: 'proxy:1.2.3' }] },
    };
    expect(meshOf(pod)?.descriptor).toBe(d);
  });

  test('every mesh that injects a stoppable proxy has a line that releases a stuck pod', () => {
    for (const d of INJECTING_MESHES) {
      const pod = { metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: d.injectedContainers[0] }] } };
      const release = releaseCommand(meshOf(pod)!, pod);
      // Kuma's control plane stops its sidecar itself; every other injecting mesh has a quit.
      if (d.name === 'kuma') expect(release).toBeUndefined();
      else expect(release).toMatch(/^kubectl (exec|debug) -n ns p /);
    }
  });

  test('README.md has a generated row for every mesh', () => {
    const table = renderedBlocks().find((b) => b.includes('mesh-table'))!;
    for (const m of MESHES) for (const row of m.docs) expect(table).toContain(row.factory);
  });
});
