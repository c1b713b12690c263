import { InjectionMarker, InjectionSwitch, MeshContract } from './mesh-contract';
import { Version } from '../versions';

// One description per mesh, which every layer reads: the construct and applyTo (through the
// contract), the command line (name, version syntax, flags), diagnose (container names, markers,
// fixes, the release line) and the README's tables. src/meshes/registry.ts lists them.

/** A command-line flag (and config-file key) of one mesh. @internal */
export interface MeshFlag {
  /** e.g. `--istio-revision`. */
  readonly flag: string;
  /** The config file's and KRM function config's key, e.g. `istioRevision`. */
  readonly key: string;
  readonly kind: 'string' | 'number';
  /** The value's name in the help, e.g. `REV`. */
  readonly value: string;
  readonly help: string;
}

/** What the command line hands a mesh: its version and the values of its own flags, by key. @internal */
export interface MeshCliValues {
  readonly version?: string;
  readonly flags: Readonly<Record<string, string | number | undefined>>;
}

/** What diagnose says about a pod of this mesh. @internal */
export interface MeshDiagnosis {
  /** How to get the proxy injected when it is missing. */
  readonly injectionFix: string;
  /** The fix when an injected init container failed: the traffic-redirect init, or the CNI check. */
  readonly initFixes: { readonly iptables: string; readonly validation: string };
  /** The fix when the proxy still runs in a pod MeshJob did not render; defaults to the post-renderer. */
  readonly stillRunningFix?: string;
  /** A pod annotation holding the proxy's version, when the injector writes one. */
  readonly versionAnnotation?: string;
  /** What the proxy image's tag is the version of, when not the mesh's own (e.g. `consul-dataplane`). */
  readonly versionOf?: string;
  /**
   * A command in the proxy container that stops it (run with `kubectl exec`); absent: an
   * ephemeral container sends the mesh's quit request instead.
   */
  readonly releaseExec?: string[];
  /** The fix when the wrapper's quit request failed, by the status it got (`404`), or `no-answer`. */
  readonly quitFixes?: Readonly<Record<string, string>>;
}

/** One row of the README's mesh table. @internal */
export interface MeshDocRow {
  readonly factory: string;
  readonly podGets: string;
  readonly waitsFor: string;
  readonly stopsWith: string;
}

/** Everything MeshJob knows of one mesh. @internal */
export interface MeshDescriptor {
  /** The `meshjob --mesh` value and the mesh's name in messages. */
  readonly name: string;
  /** The construct's factory, e.g. `Mesh.istio()`. */
  readonly factory: string;
  /** The containers its injector adds, the proxy first; empty when it injects none. */
  readonly injectedContainers: string[];
  /** Pod labels and annotations that show the pod asked for this mesh, even when nothing was injected. */
  readonly requestMarkers: string[];
  /** How the injector reads its pod switch, for a version (undefined: unknown). */
  readonly injectionSwitch?: (version: Version | undefined) => InjectionSwitch;
  /** What injection writes on every pod it injects. */
  readonly injectionMarker?: InjectionMarker;
  /** Parses a version as users write it for this mesh. */
  readonly parseVersion?: (text: string) => Version;
  /** Version forms for the command line's help, e.g. `1.24, v1.24.3`. */
  readonly versionForms?: string;
  /** What diagnose says of it; absent for meshes diagnose cannot see in a pod. */
  readonly diagnosis?: MeshDiagnosis;
  /** The command line's view: its flags and its contract from their values; absent when not on the command line. */
  readonly cli?: {
    readonly flags: MeshFlag[];
    readonly contract: (values: MeshCliValues) => MeshContract;
  };
  /** Its rows in the README's mesh table. */
  readonly docs: MeshDocRow[];
}

/** The proxy container a descriptor names (the first injected container). @internal */
export function proxyContainerOf(mesh: MeshDescriptor): string | undefined {
  return mesh.injectedContainers[0];
}
