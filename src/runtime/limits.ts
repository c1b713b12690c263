// Upper bounds of every duration and count the wrapper computes with. The wrapper's shell does its
// arithmetic in 64-bit integers (dash and busybox ash: intmax_t), on centiseconds of
// /proc/uptime: a readyTimeout near 9.2e16 s overflows there. The bounds are far below that and
// far above any use; the plan checks every value against them (construct, applyTo, command line
// and KRM config alike), and wrapper.sh refuses a setting beyond them.

/** The longest readyTimeout: a day. A proxy not ready after that will not be. */
export const MAX_READY_TIMEOUT_SECONDS = 86_400;
/** The longest pause between two readiness requests. */
export const MAX_READY_POLL_SECONDS = 60;
/** The longest bound of one request. */
export const MAX_REQUEST_TIMEOUT_SECONDS = 3_600;
/** The longest first pause between two attempts of a quit request. */
export const MAX_QUIT_RETRY_DELAY_SECONDS = 60;
/** The most attempts of one quit request. */
export const MAX_QUIT_ATTEMPTS = 100;
/** The longest a done-file sidecar gets between SIGTERM and SIGKILL. */
export const MAX_SIDECAR_STOP_TIMEOUT_SECONDS = 3_600;
