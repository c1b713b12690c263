import { Mesh, MeshJob } from '../src';
import { parseLinkerdVersion } from '../src/meshes/linkerd';
import { parseKubernetesVersion, parseVersion } from '../src/versions';
import { newChart } from './support/render';

describe('versions as people write them', () => {
  test.each([
    ['1.30', [1, 30, 0]],
    ['1.30.2', [1, 30, 2]],
    ['v1.30.2', [1, 30, 2]],
    ['v1.24', [1, 24, 0]],
    [' 1.24.3 ', [1, 24, 3]],
    ['2.16.0-rc.1', [2, 16, 0]],
  ])('reads %j', (text, [major, minor, patch]) => {
    expect(parseVersion(text as string, 'v')).toMatchObject({ major, minor, patch });
  });

  test('reads the Kubernetes version kubectl prints, v1.30.2, in MeshJob', () => {
    const meshJob = new MeshJob(newChart(), 'nightly', {
      mesh: Mesh.istio({ version: 'v1.24.3' }),
      kubernetesVersion: 'v1.33.2',
      containers: [{ image: 'registry.example.com/app:1', command: ['/app'] }],
    });
    expect(meshJob.lifecycleReason).toBe('Kubernetes v1.33.2 and istio v1.24.3 support native sidecars per pod');
  });

  test('fails on "1.3", the typo of "1.30", showing the accepted forms', () => {
    expect(() => parseKubernetesVersion('1.3', "meshjob 'a/b'")).toThrow(
      'meshjob \'a/b\': kubernetesVersion "1.3" is not a Kubernetes version MeshJob renders for (1.21 or later): ' +
      'write it as "1.30", "1.30.2" or "v1.30.2" (did you mean "1.30"?)',
    );
    expect(() => new MeshJob(newChart(), 'nightly', {
      mesh: Mesh.istio(), kubernetesVersion: '2.30', containers: [{ image: 'registry.example.com/app:1', command: ['/app'] }],
    })).toThrow(/kubernetesVersion "2.30" is not a Kubernetes version MeshJob renders for/);
  });

  test('fails on a version that is not one, naming the field', () => {
    expect(() => Mesh.istio({ version: '1.x' })).toThrow('istio version "1.x" is not a version: write it as "1.30", "1.30.2" or "v1.30.2"');
  });
});

describe('Linkerd versions', () => {
  test('reads stable releases as linkerd version prints them', () => {
    expect(parseLinkerdVersion('stable-2.14.10')).toMatchObject({ major: 2, minor: 14, patch: 10, text: 'stable-2.14.10' });
  });

  test.each([
    ['edge-23.11.3', 14],
    ['edge-23.11.4', 15],
    ['edge-24.11.8', 16],
    ['edge-25.10.2', 19],
    ['edge-26.5.2', 20],
    ['edge-26.11.1', 20],
  ])('counts %s as the stable line 2.%i whose features it has', (text, minor) => {
    expect(parseLinkerdVersion(text as string)).toMatchObject({ major: 2, minor, text });
  });

  test('renders the native-sidecar annotation an edge release reads', () => {
    const annotationsFor = (version: string) => {
      const chart = newChart();
      new MeshJob(chart, 'nightly', {
        mesh: Mesh.linkerd({ version }), kubernetesVersion: '1.31', containers: [{ image: 'registry.example.com/app:1', command: ['/app'] }],
      });
      return chart.toJson().find((o: any) => o.kind === 'Job').spec.template.metadata.annotations;
    };
    expect(annotationsFor('edge-24.11.8')).toHaveProperty(['config.alpha.linkerd.io/proxy-enable-native-sidecar'], 'true');
    expect(annotationsFor('edge-26.5.2')).toHaveProperty(['config.linkerd.io/proxy-enable-native-sidecar'], 'true');
  });

  test('fails on a Linkerd version that is not a Linkerd 2 release', () => {
    expect(() => Mesh.linkerd({ version: '1.9' })).toThrow(/linkerd version "1.9" is not a Linkerd 2 version: write it as "stable-2.16.1", "edge-24.11.8"/);
    expect(() => Mesh.linkerd({ version: 'edge-24' })).toThrow(/linkerd version "edge-24" is not a Linkerd version: write it as "stable-2.16.1", "edge-24.11.8", "enterprise-2.19.6", "preview-25.10.7"/);
  });
});
