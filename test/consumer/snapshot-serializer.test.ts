// meshjob/lib/testing: the wrapper script as one stable line in a user's snapshots.
import { createHash } from 'crypto';
import { Testing } from 'cdk8s';
// jest's own snapshot printer (installed with jest), so the tests print exactly as a snapshot does.
// eslint-disable-next-line import/no-extraneous-dependencies
import { format } from 'pretty-format';
import { Mesh, MeshJob, SidecarLifecycle } from '../../src';
import { isWrapperScript, meshJobSnapshotSerializer, stableManifests, wrapperScriptLine } from '../../src/testing';
import * as jestModule from '../../src/testing/jest-serializer';
import { newChart } from '../support/render';
import { podSpecOf, validateAll } from '../support/schema';


beforeEach(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));
afterEach(() => jest.restoreAllMocks());

/** A wrapped Job with a main container and a wrapped sidecar: two copies of the script. */
function wrappedJob(image = 'registry.example.com/report:1.4'): any[] {
  const chart = newChart();
  new MeshJob(chart, 'nightly', {
    mesh: Mesh.istio(),
    lifecycle: SidecarLifecycle.wrap(),
    containers: [{ name: 'main', image, command: ['/report'] }],
    sidecars: [{ name: 'logs', image: 'registry.example.com/logs:2', command: ['/ship'] }],
  });
  return validateAll(Testing.synth(chart));
}
const scriptOf = (manifests: any[], i = 0) => podSpecOf(manifests.find((m) => m.kind === 'Job')).containers[i].command[3];
const digest = (script: string) => createHash('sha256').update(script).digest('hex').slice(0, 12);

describe('the snapshot serializer', () => {
  test('GIVEN a wrapped Job WHEN printed with the serializer THEN each wrapper script is one line naming its sections and a digest of the script', () => {
    const printed = format(wrappedJob(), { plugins: [meshJobSnapshotSerializer] });
    const main = `<meshjob wrapper armed,peers,pod,sidecars,wget ${digest(scriptOf(wrappedJob(), 0))}>`;
    const sidecar = `<meshjob wrapper peers,pod,sidecar-role,wget ${digest(scriptOf(wrappedJob(), 1))}>`;
    expect(wrapperScriptLine(scriptOf(wrappedJob(), 0))).toBe(main);
    expect(wrapperScriptLine(scriptOf(wrappedJob(), 1))).toBe(sidecar);
    expect(printed.split(main)).toHaveLength(2);
    expect(printed.split(sidecar)).toHaveLength(2);
    expect(printed).not.toContain(scriptOf(wrappedJob()));
  });

  test('GIVEN the same configuration THEN the printed snapshot is a small fraction of the raw one and the same every time', () => {
    const raw = format(wrappedJob());
    const printed = format(wrappedJob(), { plugins: [meshJobSnapshotSerializer] });
    expect(printed).toBe(format(wrappedJob(), { plugins: [meshJobSnapshotSerializer] }));
    expect(raw.length - printed.length).toBeGreaterThan((scriptOf(wrappedJob(), 0).length + scriptOf(wrappedJob(), 1).length) * 0.9);
  });

  test('GIVEN a different user configuration THEN the printed snapshot shows that change and nothing else', () => {
    const before = format(wrappedJob(), { plugins: [meshJobSnapshotSerializer] }).split('\n');
    const after = format(wrappedJob('registry.example.com/report:1.5'), { plugins: [meshJobSnapshotSerializer] }).split('\n');
    const changed = after.filter((line, i) => line !== before[i]);
    expect(before).toHaveLength(after.length);
    expect(changed).toEqual([expect.stringContaining('registry.example.com/report:1.5')]);
  });

  test('GIVEN a string that differs from this version\'s script by one character THEN it is printed in full', () => {
    const edited = scriptOf(wrappedJob()).replace('set -f;', 'set -e;');
    expect(isWrapperScript(edited)).toBe(false);
    expect(format([edited], { plugins: [meshJobSnapshotSerializer] })).toContain('set -e');
  });

  test('GIVEN the module jest loads from snapshotSerializers THEN it is the same serializer', () => {
    expect(jestModule.test(scriptOf(wrappedJob()))).toBe(true);
    expect(jestModule.test('/report')).toBe(false);
    expect(jestModule.serialize(scriptOf(wrappedJob()))).toBe(wrapperScriptLine(scriptOf(wrappedJob())));
  });
});

describe('stableManifests, for other snapshot tools', () => {
  test('GIVEN synthesized manifests THEN it returns a copy with each script replaced and leaves the input unchanged', () => {
    const manifests = wrappedJob();
    const stable = stableManifests(manifests);
    const pod = podSpecOf(stable.find((m: any) => m.kind === 'Job'));
    expect(pod.containers.map((c: any) => c.command[3])).toEqual([0, 1].map((i) => wrapperScriptLine(scriptOf(manifests, i))));
    expect(pod.containers[0].command.slice(-1)).toEqual(['/report']);
    expect(isWrapperScript(scriptOf(manifests))).toBe(true);
    expect({ ...stable[0], spec: undefined }).toEqual({ ...manifests[0], spec: undefined });
  });
});
