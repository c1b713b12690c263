import { parse as parseYaml } from 'yaml';
import { InjectionSwitch } from '../meshes/mesh-contract';

// The pod template's labels and annotations: the mesh's merged with the pod's own.

/** What the merge needs to know. @internal */
export interface MetadataMerge {
  readonly subject: string;
  /** `label` or `annotation`, for messages. */
  readonly kind: string;
  /** The pod's own values. */
  readonly user: Record<string, string>;
  /** The values the mesh settings need. */
  readonly mesh: Record<string, string>;
  /** Keys whose values are YAML maps merged key by key. */
  readonly mapKeys?: readonly string[];
  /**
   * The mesh's injection switch, when the pod's own value of it is kept rather than refused (a
   * chart's Job: a value that does not opt out is the chart's to choose).
   */
  readonly keepSwitch?: InjectionSwitch;
}

/**
 * The metadata to set: the mesh's values, merged with the pod's where they differ. A key set both
 * ways must agree, be a YAML map the mesh merges, or be the injection switch a chart keeps;
 * anything else is an error naming the key and the fix.
 */
export function mergeMetadata(m: MetadataMerge): Record<string, string> {
  const result = { ...m.mesh };
  for (const [key, value] of Object.entries(m.mesh)) {
    if (!(key in m.user) || m.user[key] === value) continue;
    if (m.keepSwitch?.key === key) {
      delete result[key];
      continue;
    }
    const merged = m.mapKeys?.includes(key) ? mergeYamlMaps(m.user[key], value) : undefined;
    if (merged === undefined) {
      throw new Error(
        `${m.subject}: pod ${m.kind} ${key}=${JSON.stringify(m.user[key])} conflicts with ${JSON.stringify(value)}, ` +
        'which the mesh settings need: remove it from podMetadata, or change the mesh options instead',
      );
    }
    result[key] = merged;
  }
  return result;
}

/**
 * Combines the pod's own YAML map (e.g. proxy.istio.io/config, which Istio reads as YAML; JSON is
 * YAML too) with the settings the mesh needs, keeping every setting of the pod's; undefined when a
 * setting is set both ways or the value is not a map. The result is JSON.
 */
export function mergeYamlMaps(user: string, mesh: string): string | undefined {
  try {
    const mine = JSON.parse(mesh);
    const theirs = parseYaml(user);
    if (!theirs || typeof theirs !== 'object' || Array.isArray(theirs)) return undefined;
    for (const [key, value] of Object.entries(mine)) {
      if (key in theirs && theirs[key] !== value) return undefined;
    }
    return JSON.stringify({ ...theirs, ...mine });
  } catch {
    return undefined;
  }
}
