import { istioContract, IstioOptions } from './istio';
import { MeshContract } from './mesh-contract';

/**
 * The service mesh whose proxy the job's pod runs beside.
 *
 * Pick one with a factory: `Mesh.istio()`, or `Mesh.none()` for a cluster without a mesh.
 */
export class Mesh {
  /**
   * Istio with sidecar injection: the pod waits for `GET :15021/healthz/ready` and stops the proxy
   * with `POST :15020/quitquitquit` (Istio ≥ 1.3).
   */
  public static istio(options: IstioOptions = {}): Mesh {
    return new Mesh(istioContract(options));
  }

  /**
   * No mesh: a plain Job with nothing to wait for or stop, and no mesh labels.
   */
  public static none(): Mesh {
    return new Mesh({ name: 'none', podLabels: {}, podAnnotations: {} });
  }

  /** @internal */
  public readonly _contract: MeshContract;

  private constructor(contract: MeshContract) {
    this._contract = contract;
  }

  /**
   * The mesh's name: `istio` or `none`.
   */
  public get name(): string {
    return this._contract.name;
  }
}
