// Kubernetes 1.33 and Istio 1.24: SidecarLifecycle.auto() (the default) chooses native sidecars.
// Istio injects its proxy as an init container with restartPolicy: Always
// (sidecar.istio.io/nativeSidecar: "true"), the log shipper becomes one too, and Kubernetes stops
// both once the report ends. No wrapper, no busybox, and the image's own entrypoint is fine.
import { Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { Mesh, MeshJob, PodFailurePolicyAction, PodFailureRule } from '../src';
import { APP_IMAGE, FLUENT_BIT } from './images';

export class NativeSidecarsChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new MeshJob(this, 'report', {
      mesh: Mesh.istio({ version: '1.24' }),
      kubernetesVersion: '1.33',
      containers: [{ name: 'report', image: 'registry.example.com/report:1.4', ...APP_IMAGE }],
      sidecars: [{
        name: 'logs',
        image: 'fluent/fluent-bit:3.1',
        ...FLUENT_BIT,
        readinessUrl: 'http://localhost:2020/api/v1/health',
      }],
      // Exit code 42 means "bad input": retrying cannot help.
      podFailurePolicy: [PodFailureRule.onExitCodes(PodFailurePolicyAction.FAIL_JOB, { exitCodes: [42] })],
      backoffLimit: 3,
      activeDeadline: Duration.hours(1),
    });
  }
}
