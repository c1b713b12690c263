// One job definition, two clusters: on Kubernetes 1.33 with Istio 1.24 it renders native
// sidecars; on a Kubernetes 1.27 cluster (no native sidecars) the same definition renders the
// wrapped form. Each MeshJob says what it chose in `lifecycleMode` and `lifecycleReason`.
import { Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { Mesh, MeshJob, MeshJobProps } from '../src';
import { APP_IMAGE } from './images';

const cleanup: MeshJobProps = {
  mesh: Mesh.istio({ version: '1.24' }),
  containers: [{ name: 'cleanup', image: 'registry.example.com/cleanup:2.0', command: ['/cleanup'], args: ['--older-than', '30d'], ...APP_IMAGE }],
  backoffLimit: 2,
  // Bounds the retries podFailurePolicy's default Ignore rules allow.
  activeDeadline: Duration.minutes(30),
};

export class MixedVersionsChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new MeshJob(this, 'cleanup-new-cluster', { ...cleanup, kubernetesVersion: '1.33' });
    new MeshJob(this, 'cleanup-old-cluster', { ...cleanup, kubernetesVersion: '1.27' });
  }
}
