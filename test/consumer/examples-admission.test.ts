// Every example as a user would apply it: admitted under runAsNonRoot (the kubelet needs a numeric
// user to check it against) and asking for resources a batch job can get on a small node.
import { Testing } from 'cdk8s';
import { EXAMPLES } from '../../examples';
import { podSpecOf, validateAll } from '../support/schema';

// The largest request any one example container makes (cdk8s-plus's default is 1 CPU / 512 MiB).
const MAX_CPU_MILLIS = 100;
const MAX_MEMORY_MEBIBYTES = 128;

beforeEach(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));
afterEach(() => jest.restoreAllMocks());

const millis = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000);
const mebibytes = (q: string) => (q.endsWith('Gi') ? Number(q.slice(0, -2)) * 1024 : Number(q.replace(/Mi$/, '')));

function containersOf(name: string): Array<{ pod: any; container: any }> {
  const manifests = validateAll(Testing.synth(new EXAMPLES[name](Testing.app(), name)));
  return manifests.filter((m) => m.kind === 'Job' || m.kind === 'CronJob').flatMap((m) => {
    const pod = podSpecOf(m);
    return [...(pod.initContainers ?? []), ...pod.containers].map((container: any) => ({ pod, container }));
  });
}

describe.each(Object.keys(EXAMPLES))('example %s', (name) => {
  test('GIVEN runAsNonRoot THEN every container names the numeric user its image runs as', () => {
    for (const { pod, container } of containersOf(name)) {
      const nonRoot = container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
      const user = container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
      if (nonRoot) expect({ container: container.name, user: Number.isInteger(user) && user > 0 }).toEqual({ container: container.name, user: true });
    }
  });

  test('GIVEN its containers THEN each requests at most 100m CPU and 128 MiB of memory, and limits memory', () => {
    for (const { container } of containersOf(name)) {
      const { requests, limits } = container.resources ?? {};
      expect({ container: container.name, cpu: millis(requests?.cpu ?? 'none') <= MAX_CPU_MILLIS })
        .toEqual({ container: container.name, cpu: true });
      expect({ container: container.name, memory: mebibytes(requests?.memory ?? 'none') <= MAX_MEMORY_MEBIBYTES, limited: limits?.memory !== undefined })
        .toEqual({ container: container.name, memory: true, limited: true });
    }
  });
});
