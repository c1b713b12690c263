// The public API. Everything else under src/ is internal to the package.
export { HttpMethod } from './meshes/endpoint';
export type { QuitRequest } from './meshes/endpoint';
export { SidecarInjection } from './meshes/mesh-contract';
export { IstioStopMethod } from './meshes/istio';
export type { IstioOptions } from './meshes/istio';
export type { LinkerdOptions } from './meshes/linkerd';
export type { ConsulOptions } from './meshes/consul';
export type { KumaOptions } from './meshes/kuma';
export type { EnvoyOptions } from './meshes/envoy';
export type { CustomMeshOptions } from './meshes/custom';
export { Mesh } from './meshes/mesh';
export { SidecarLifecycle, ReadyTimeoutAction } from './lifecycle/sidecar-lifecycle';
export type { WrapOptions } from './lifecycle/sidecar-lifecycle';
export { WrapperRuntime, HttpClient } from './runtime/wrapper-runtime';
export type { BusyboxRuntimeOptions, ImageShellRuntimeOptions } from './runtime/wrapper-runtime';
export { WrapperExitCode } from './runtime/wrapper';
export { MeshJob } from './job/mesh-job';
export type { MeshJobProps, SidecarContainerProps } from './job/mesh-job';
