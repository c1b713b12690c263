// Every example, by the name its YAML is rendered under (examples/dist/<name>.k8s.yaml).
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { CloudSqlProxyChart } from './cloud-sql-proxy';
import { ConsulCronJobChart } from './consul-cronjob';
import { CustomMeshChart } from './custom-mesh';
import { DebugFailedRunChart } from './debug-failed-run';
import { EnvoySidecarChart } from './envoy-sidecar';
import { FromScratchChart } from './from-scratch';
import { ImageShellChart } from './image-shell';
import { IstioAmbientChart } from './istio-ambient';
import { IstioCronJobChart } from './istio-cronjob';
import { IstioJobChart } from './istio-job';
import { JobSidecarsChart } from './job-sidecars';
import { KumaJobChart } from './kuma-job';
import { LinkerdJobChart } from './linkerd-job';
import { MixedVersionsChart } from './mixed-versions';
import { NativeSidecarsChart } from './native-sidecars';
import { NoInjectionChart } from './no-injection';

export const EXAMPLES: Record<string, new (scope: Construct, id: string) => Chart> = {
  'istio-job': IstioJobChart,
  'istio-cronjob': IstioCronJobChart,
  'from-scratch': FromScratchChart,
  'debug-failed-run': DebugFailedRunChart,
  'cloud-sql-proxy': CloudSqlProxyChart,
  'image-shell': ImageShellChart,
  'no-injection': NoInjectionChart,
  'linkerd-job': LinkerdJobChart,
  'consul-cronjob': ConsulCronJobChart,
  'kuma-job': KumaJobChart,
  'envoy-sidecar': EnvoySidecarChart,
  'custom-mesh': CustomMeshChart,
  'istio-ambient': IstioAmbientChart,
  'job-sidecars': JobSidecarsChart,
  'native-sidecars': NativeSidecarsChart,
  'mixed-versions': MixedVersionsChart,
};
