import { MeshDescriptor } from './descriptor';
import { checkPort, HttpMethod, loopbackUrl } from './endpoint';
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
  checkPort(port, 'envoy adminPort', "use the port of the bootstrap's admin.address (e.g. 9901)");
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

/** A plain Envoy sidecar that the job declares itself. @internal */
export const ENVOY: MeshDescriptor = {
  name: 'envoy',
  factory: 'Mesh.envoy()',
  injectedContainers: [],
  requestMarkers: [],
  cli: {
    flags: [{ flag: '--envoy-admin-port', key: 'envoyAdminPort', kind: 'number', value: 'PORT', help: "Envoy's admin port (bootstrap admin.address); needed with --mesh envoy" }],
    contract: ({ flags }) => {
      if (flags.envoyAdminPort === undefined) throw new Error('--mesh envoy needs --envoy-admin-port');
      return envoyContract({ adminPort: flags.envoyAdminPort as number });
    },
  },
  docs: [{ factory: '`Mesh.envoy({ adminPort })`', podGets: 'nothing', waitsFor: '`GET :<adminPort>/ready`', stopsWith: '`POST :<adminPort>/quitquitquit`' }],
};
