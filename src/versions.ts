// Versions as people write them, parsed once where they enter (a mesh factory, the construct's
// props, the command line) and passed down as values. The ground floor: imports nothing.
//
// Kubernetes versions MeshJob depends on (kubernetes/enhancements keps/sig-node/753-sidecar-containers,
// keps/sig-apps/3329-retriable-and-non-retriable-failures):
// native sidecars (init containers with restartPolicy: Always, KEP-753) are alpha in 1.28 (off by
// default), beta and on by default in 1.29, GA in 1.33; podFailurePolicy is beta (on) in 1.26,
// GA in 1.31.

/** A "major.minor[.patch]" version, compared numerically. @internal */
export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** As the user wrote it, for messages. */
  readonly text: string;
}

const VERSION = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+][0-9A-Za-z.-]+)?$/;

/** The forms every version field accepts, for messages. */
export const VERSION_FORMS = '"1.30", "1.30.2" or "v1.30.2"';

/**
 * Parses "1.30", "1.30.2", "v1.30.2" or "2.16.0-rc.1"; throws, naming what it is for and the
 * accepted forms, when it is none of them. @internal
 */
export function parseVersion(text: string, what: string): Version {
  const m = typeof text === 'string' ? VERSION.exec(text.trim()) : null;
  if (!m) throw new Error(`${what} ${JSON.stringify(text)} is not a version: write it as ${VERSION_FORMS}`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), text: text.trim() };
}

/** A version from its parts (tables of known versions). @internal */
export function version(text: string): Version {
  return parseVersion(text, 'version');
}

/** True when `v` is at least `min`. @internal */
export function atLeast(v: Version, min: Version | string): boolean {
  const m = typeof min === 'string' ? version(min) : min;
  if (v.major !== m.major) return v.major > m.major;
  if (v.minor !== m.minor) return v.minor > m.minor;
  return v.patch >= m.patch;
}

/** The oldest Kubernetes MeshJob renders for: batch/v1 CronJob and the Job fields it uses are GA here. */
export const K8S_OLDEST = '1.21';
/** Kubernetes: native sidecars are alpha (feature gate SidecarContainers, off by default) here. */
export const K8S_NATIVE_SIDECARS_ALPHA = '1.28';
/** Kubernetes: native sidecars are beta and on by default from here. */
export const K8S_NATIVE_SIDECARS_BETA = '1.29';
/** Kubernetes: native sidecars are GA from here. */
export const K8S_NATIVE_SIDECARS_GA = '1.33';
/** Kubernetes: podFailurePolicy is beta and on by default from here (alpha in 1.25). */
export const K8S_POD_FAILURE_POLICY_BETA = '1.26';

/**
 * A Kubernetes version: "1.30", "1.30.2" or "v1.30.2" (as `kubectl version` prints it), 1.21 or
 * later. "1.3" is refused as the typo it almost always is. @internal
 */
export function parseKubernetesVersion(text: string, subject: string): Version {
  const what = `${subject}: kubernetesVersion`;
  const v = parseVersion(text, what);
  if (v.major !== 1 || !atLeast(v, K8S_OLDEST)) {
    throw new Error(
      `${what} ${JSON.stringify(text)} is not a Kubernetes version MeshJob renders for (${K8S_OLDEST} or later): ` +
      `write it as ${VERSION_FORMS}${v.major === 1 && v.minor < 10 ? ` (did you mean "1.${v.minor}0"?)` : ''}`,
    );
  }
  return v;
}

/**
 * True when `v` is at least `min`, or at least one of `backports` on that backport's own
 * major.minor line ("1.8.2": 1.8.2 and later 1.8 patches). @internal
 */
export function atLeastOrBackport(v: Version, min: string, backports: readonly string[] = []): boolean {
  if (atLeast(v, min)) return true;
  return backports.some((b) => {
    const backport = version(b);
    return backport.major === v.major && backport.minor === v.minor && atLeast(v, backport);
  });
}
