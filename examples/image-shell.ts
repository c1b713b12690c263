// An image that has its own shell and curl: no init container, the wrapper uses them.
import { Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { HttpClient, Mesh, MeshJob, SidecarLifecycle, WrapperRuntime } from '../src';
import { APP_IMAGE } from './images';

export class ImageShellChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new MeshJob(this, 'cleanup', {
      mesh: Mesh.istio(),
      lifecycle: SidecarLifecycle.wrap({ runtime: WrapperRuntime.imageShell({ httpClient: HttpClient.CURL }) }),
      containers: [{ name: 'cleanup', image: 'registry.example.com/tools:debian-12', command: ['python3', '/app/cleanup.py'], ...APP_IMAGE }],
      activeDeadline: Duration.hours(1),
    });
  }
}
