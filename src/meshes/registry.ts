import { CONSUL } from './consul';
import { CUSTOM, NONE } from './custom';
import { MeshDescriptor } from './descriptor';
import { ENVOY } from './envoy';
import { ISTIO, ISTIO_AMBIENT } from './istio';
import { KUMA } from './kuma';
import { LINKERD } from './linkerd';

// Every mesh MeshJob knows, in the order the command line's help and the README's tables list them.
// A mesh is one file under src/meshes/ with its descriptor, plus one line here and its factory in
// mesh.ts; test/meshes/registry.test.ts fails when one of those is missing.

/** The meshes, by descriptor. @internal */
export const MESHES: readonly MeshDescriptor[] = [ISTIO, ISTIO_AMBIENT, LINKERD, CONSUL, KUMA, ENVOY, CUSTOM, NONE];

/** The meshes the command line can name (`--mesh`). @internal */
export const CLI_MESHES = MESHES.filter((m) => m.cli !== undefined);

/** The meshes diagnose can see in a pod: those whose injector adds containers. @internal */
export const INJECTING_MESHES = MESHES.filter((m) => m.injectedContainers.length > 0);
