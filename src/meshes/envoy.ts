import { HttpMethod, loopbackUrl } from './endpoint';
import { MeshContract } from './mesh-contract';

// A plain Envoy sidecar (envoyproxy/envoy, admin API docs "operations/admin"): GET /ready answers
// 200 "LIVE" once the server is live (503 before); POST /quitquitquit makes Envoy exit. The admin
// port is whatever the bootstrap's admin.address sets (often 9901 or 15000); it must be loopback.

/**
 * Options for `Mesh.envoy()`.
 */
export interface EnvoyOptions {
  /**
   * The port of Envoy's admin listener (bootstrap `admin.address`), bound to loopback.
   */
  readonly adminPort: number;
}

/** A plain Envoy sidecar's contract. @internal */
export function envoyContract(options: EnvoyOptions): MeshContract {
  const port = options.adminPort;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`envoy adminPort ${port} is not a port number: use the port of the bootstrap's admin.address (e.g. 9901)`);
  }
  return {
    name: 'envoy',
    podLabels: {},
    podAnnotations: {},
    proxy: {
      readinessUrl: loopbackUrl(port, '/ready'),
      quit: [{ method: HttpMethod.POST, url: loopbackUrl(port, '/quitquitquit') }],
    },
  };
}
