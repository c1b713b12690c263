// An application built FROM scratch (no shell, no wget): the wrapper runs on a static busybox that
// an init container copies into a shared emptyDir. Two containers share the pod: the proxy is
// stopped once, after the last of them ends.
import { Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { Mesh, MeshJob, SidecarLifecycle, WrapperRuntime } from '../src';
import { APP_IMAGE } from './images';

export class FromScratchChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new MeshJob(this, 'migrate', {
      mesh: Mesh.istio(),
      lifecycle: SidecarLifecycle.wrap({
        // A private mirror of the busybox image, pinned by digest.
        runtime: WrapperRuntime.busybox({
          image: 'registry.example.com/mirror/busybox:1.36.1-uclibc@sha256:' + 'a'.repeat(64),
        }),
        readyTimeout: Duration.minutes(1),
      }),
      containers: [
        { name: 'migrate', image: 'registry.example.com/migrate:3.1', command: ['/migrate'], args: ['up'], ...APP_IMAGE },
        { name: 'seed', image: 'registry.example.com/seed:3.1', command: ['/seed'], args: ['--only-missing'], ...APP_IMAGE },
      ],
      backoffLimit: 3,
      activeDeadline: Duration.hours(1),
    });
  }
}
