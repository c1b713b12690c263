// Where the wrapper lives in a pod: the one place for its paths, volume names and names.

/** Every path MeshJob mounts in a container lies under this one; user mounts may not. */
export const WRAPPER_MOUNT_PATH = '/meshjob';
/** The wrapper's state (exit codes, done files, the quit lock): a writable emptyDir. */
export const WRAPPER_STATE_PATH = `${WRAPPER_MOUNT_PATH}/run`;
/** The state emptyDir's volume name. */
export const WRAPPER_VOLUME_NAME = 'meshjob';
/** Where the busybox runtime's binary is mounted, read-only, in wrapped containers. */
export const WRAPPER_BIN_PATH = `${WRAPPER_MOUNT_PATH}/bin`;
/** The binary's emptyDir: written only by the init container, read-only everywhere else. */
export const WRAPPER_BIN_VOLUME_NAME = 'meshjob-bin';
/** Where the busybox runtime's binary lives. */
export const WRAPPER_BUSYBOX_PATH = `${WRAPPER_BIN_PATH}/busybox`;
/** `$0` of the wrapper shell, as `ps` shows it. */
export const WRAPPER_ARGV0 = 'meshjob';
/** Prefix of the wrapper's settings: shell variables, reserved in the container's env too. */
export const WRAPPER_ENV_PREFIX = 'MESHJOB_';
/**
 * Pod template annotation that records the lifecycle applied ("wrap", "native" or "none"): what
 * MeshJob chose, for operators and `meshjob diagnose`, and the mark that makes applying it again a
 * no-op.
 */
export const LIFECYCLE_ANNOTATION = 'meshjob/lifecycle';
/** The pod's own metadata (a downward API volume: files `annotations`, `labels`), read-only in wrapped containers. */
export const WRAPPER_POD_INFO_PATH = `${WRAPPER_MOUNT_PATH}/pod`;
/** The pod metadata volume's name. */
export const WRAPPER_POD_INFO_VOLUME_NAME = 'meshjob-pod';
