// What each image in the examples needs to start as rendered. cdk8s-plus's container defaults
// are runAsNonRoot without a user, a read-only root filesystem and 1 CPU / 512 MiB requests (2 GiB
// limit): the kubelet refuses an image that runs as root, or whose USER is a name, under
// runAsNonRoot, and a one-container Job would wait for a whole free CPU. Each image below gets the
// numeric user it runs as and requests sized for a batch job.
import { Size } from 'cdk8s';
import { ContainerResources, ContainerSecurityContextProps, Cpu } from 'cdk8s-plus-28';

/** Requests for a container: CPU requested, not limited; memory requested and limited to twice that. */
function requests(cpuMillis: number, memoryMebibytes: number): ContainerResources {
  return {
    cpu: { request: Cpu.millis(cpuMillis) },
    memory: { request: Size.mebibytes(memoryMebibytes), limit: Size.mebibytes(2 * memoryMebibytes) },
  };
}

/** The settings one image needs, spread into its container. */
interface ImageFit {
  readonly securityContext: ContainerSecurityContextProps;
  readonly resources: ContainerResources;
}

/**
 * The examples' own images (registry.example.com/...) are built `USER 10001:10001`, write only to
 * mounted volumes, and are small batch programs.
 */
export const APP_IMAGE: ImageFit = {
  securityContext: { user: 10001, group: 10001 },
  resources: requests(100, 128),
};

/**
 * fluent/fluent-bit runs as root (its Dockerfile, fluent/fluent-bit dockerfiles/Dockerfile, builds
 * on distroless cc without a USER). Shipping logs from a shared volume needs no root: run it as
 * distroless's nonroot user, 65532 (GoogleContainerTools/distroless, base/base.bzl).
 */
export const FLUENT_BIT: ImageFit = {
  securityContext: { user: 65532, group: 65532 },
  resources: requests(50, 64),
};

/**
 * envoyproxy/envoy starts as root and its docker-entrypoint.sh drops to the image's `envoy` user,
 * uid 101 (ENVOY_UID; envoyproxy/envoy ci/docker-entrypoint.sh). A `command` bypasses that
 * entrypoint, so the container runs as 101 directly.
 */
export const ENVOY: ImageFit = {
  securityContext: { user: 101, group: 101 },
  resources: requests(100, 128),
};

/**
 * gcr.io/cloud-sql-connectors/cloud-sql-proxy v2 is built on distroless static:nonroot and runs
 * as uid 65532 (GoogleCloudPlatform/cloud-sql-proxy Dockerfile); named here so that the kubelet
 * can check runAsNonRoot without reading the image.
 */
export const CLOUD_SQL_PROXY: ImageFit = {
  securityContext: { user: 65532, group: 65532 },
  resources: requests(50, 64),
};
