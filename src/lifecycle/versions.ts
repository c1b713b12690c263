// Kubernetes versions MeshJob depends on (kubernetes/enhancements; see ../shared/MESH-CONTRACTS.md):
// native sidecars (init containers with restartPolicy: Always, KEP-753) are alpha in 1.28 (off by
// default), beta and on by default in 1.29, GA in 1.33; podFailurePolicy is beta (on) in 1.26,
// GA in 1.31.

/** A "major.minor[.patch]" version, compared numerically. */
export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly text: string;
}

const VERSION = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/;

/**
 * Parses a version such as "1.30", "v1.30.2" or "2.16.0-rc.1"; throws, naming what it is for,
 * when it is not one.
 */
export function parseVersion(text: string, what: string): Version {
  const m = VERSION.exec(text.trim());
  if (!m) throw new Error(`${what} ${JSON.stringify(text)} is not a version: use "major.minor" such as "1.30"`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), text };
}

/** True when `v` is at least `min` ("major.minor[.patch]"). */
export function atLeast(v: Version, min: string): boolean {
  const m = parseVersion(min, 'minimum');
  if (v.major !== m.major) return v.major > m.major;
  if (v.minor !== m.minor) return v.minor > m.minor;
  return v.patch >= m.patch;
}

/** Kubernetes: native sidecars are alpha (feature gate SidecarContainers, off by default) here. */
export const K8S_NATIVE_SIDECARS_ALPHA = '1.28';
/** Kubernetes: native sidecars are beta and on by default from here. */
export const K8S_NATIVE_SIDECARS_BETA = '1.29';
/** Kubernetes: native sidecars are GA from here. */
export const K8S_NATIVE_SIDECARS_GA = '1.33';
/** Kubernetes: podFailurePolicy is beta and on by default from here (alpha in 1.25). */
export const K8S_POD_FAILURE_POLICY_BETA = '1.26';
