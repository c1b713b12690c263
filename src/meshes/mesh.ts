import { consulContract, ConsulOptions } from './consul';
import { customContract, CustomMeshOptions, noneContract } from './custom';
import { envoyContract, EnvoyOptions } from './envoy';
import { istioAmbientContract, istioContract, IstioOptions } from './istio';
import { kumaContract, KumaOptions } from './kuma';
import { linkerdContract, LinkerdOptions } from './linkerd';
import { MeshContract } from './mesh-contract';

/**
 * The service mesh whose proxy the job's pod runs beside. Pick one with a factory; each mesh's
 * ports, paths, labels and annotations live in its own module under src/meshes/.
 */
// Each factory here has a descriptor in src/meshes/registry.ts (test/meshes/registry.test.ts checks both).
export class Mesh {
  /**
   * Istio with sidecar injection: the pod waits for `GET :15021/healthz/ready` and stops the proxy
   * with `POST :15020/quitquitquit` (Istio >= 1.3).
   */
  public static istio(options: IstioOptions = {}): Mesh {
    return new Mesh(istioContract(options));
  }

  /**
   * Istio's ambient data plane (`istio.io/dataplane-mode: ambient`): no sidecar in the pod, so
   * nothing to wait for or stop and no wrapping.
   */
  public static istioAmbient(): Mesh {
    return new Mesh(istioAmbientContract());
  }

  /**
   * Linkerd: waits for `GET :4191/ready`, stops the proxy with `POST :4191/shutdown` and renders
   * `config.linkerd.io/proxy-admin-shutdown: enabled`, without which Linkerd >= 2.16 answers 404.
   */
  public static linkerd(options: LinkerdOptions = {}): Mesh {
    return new Mesh(linkerdContract(options));
  }

  /**
   * Consul service mesh: waits for Envoy's `GET 127.0.0.1:19000/ready` and stops consul-dataplane
   * with `POST 127.0.0.1:20600/graceful_shutdown` (consul-k8s >= 1.2.1).
   */
  public static consul(options: ConsulOptions = {}): Mesh {
    return new Mesh(consulContract(options));
  }

  /**
   * Kuma / Kong Mesh: injection label and `kuma.io/wait-for-dataplane-ready`. Kuma documents no
   * way to stop kuma-dp from inside the pod; its control plane stops the sidecar of a Job's pod
   * once the other containers have ended, so the containers are not wrapped.
   */
  public static kuma(options: KumaOptions = {}): Mesh {
    return new Mesh(kumaContract(options));
  }

  /**
   * A plain Envoy sidecar: waits for `GET /ready` and stops it with `POST /quitquitquit` on its
   * admin port.
   */
  public static envoy(options: EnvoyOptions): Mesh {
    return new Mesh(envoyContract(options));
  }

  /**
   * An in-house mesh or any proxy that can be stopped over HTTP.
   */
  public static custom(options: CustomMeshOptions): Mesh {
    return new Mesh(customContract(options));
  }

  /**
   * No mesh: a plain Job with nothing to wait for or stop, and no mesh labels.
   */
  public static none(): Mesh {
    return new Mesh(noneContract());
  }

  /** A mesh from its contract (the command line builds contracts from its registry). @internal */
  public static _of(contract: MeshContract): Mesh {
    return new Mesh(contract);
  }

  /** @internal */
  public readonly _contract: MeshContract;

  private constructor(contract: MeshContract) {
    this._contract = contract;
  }

  /**
   * The mesh's name, e.g. `istio` or `linkerd`.
   */
  public get name(): string {
    return this._contract.name;
  }
}
