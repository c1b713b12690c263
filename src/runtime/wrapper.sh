# MeshJob wrapper: the shell a wrapped container runs as its command.
#
#   sh -c "<this script>" meshjob "<settings>" <original command> <original args...>
#
# A main container (MESHJOB_ROLE=main) runs four phases:
#   wait_ready    wait until every readiness URL answers 2xx (bounded by MESHJOB_READY_TIMEOUT);
#   run_command   run the original command as a child, byte-exact ("$@"), passing on SIGTERM and
#                 SIGINT, and wait for it;
#   record_exit   record the exit code; only the last main container to end goes on;
#   stop_sidecars wait for the done-file sidecars to end, then send the quit steps (the job's own
#                 sidecars first, the mesh proxy last);
# and exits with the command's exit code (128+N when it died of signal N).
# A sidecar (MESHJOB_ROLE=sidecar) runs its command until every main container has ended, then
# stops it with SIGTERM (SIGKILL after MESHJOB_SIDECAR_STOP_TIMEOUT seconds) and exits 0.
#
# The settings are shell assignments (MESHJOB_*=...) rendered by src/runtime/wrapper.ts and passed
# as the first argument: they stay shell variables, so the command's environment is exactly the
# container's. This file holds no defaults of its own. It is rendered without comment lines and
# indentation, and only with the sections a pod uses: a line "#@ NAME" starts a section kept only
# when the pod uses feature NAME, "#@ end" ends it (see wrapper.ts, WrapperFeature).
# Kubernetes expands "$(NAME)" in command strings: the renderer escapes every "$(" and "$$".
# Portable to dash, busybox ash and bash: POSIX sh only, no arrays, no "local".

# No pathname expansion: lists such as $MESHJOB_QUIT are split on spaces, never globbed.
set -f
eval "$1"
shift
if [ -n "$MESHJOB_BUSYBOX" ]; then
  x() { "$MESHJOB_BUSYBOX" "$@"; }
else
  x() { "$@"; }
fi
say() { printf 'meshjob[%s]: %s\n' "$MESHJOB_CONTAINER" "$*" >&2; }
# report REASON MESSAGE: says MESSAGE on stderr, and writes it as one line in the container's
# termination message, where `kubectl describe` and `meshjob diagnose` read it, unless something
# (the command) already wrote one.
report() {
  say "$2"
  [ -s "$MESHJOB_TERMINATION_LOG" ] && return 0
  { printf 'meshjob: %s: %s\n' "$1" "$2" > "$MESHJOB_TERMINATION_LOG"; } 2>/dev/null
}

if [ "$#" -eq 0 ]; then
  report no-command "no command to run: the wrapper needs the original command as its arguments"
  exit @EXIT_USAGE@
fi

# Monotonic-enough clock in centiseconds without forking: /proc/uptime (Linux), else date.
now_cs() {
  if read -r up _ 2>/dev/null < /proc/uptime; then
    now=${up%.*}${up#*.}
    now=${now#"${now%%[!0]*}"}
    now=${now:-0}
  else
    now=$((`x date +%s` * 100))
  fi
}

# http METHOD URL: sets $code to the HTTP status, or 000 when no HTTP answer came, and $why to
# what was seen ("answered 503", "refused", "no answer"). Returns 0 for a 2xx answer. Each request
# is bounded by MESHJOB_REQUEST_TIMEOUT seconds. The proxy variables are unset for the client only
# (busybox wget honours http_proxy and ignores no_proxy): the command keeps them.
http() {
  post=
  [ "$1" = GET ] || post=1
#@ curl
  # -q: no .curlrc; --noproxy '*': no proxy from the environment either.
  code=`curl -q -s -o /dev/null -w '%{http_code}' --noproxy '*' --max-time "$MESHJOB_REQUEST_TIMEOUT" ${post:+--data-binary @/dev/null} "$2" 2>/dev/null`
  case "$?" in 7) why=refused ;; 126|127) why=no-client ;; *) why="got no answer" ;; esac
  code=${code:-000}
  [ "$code" = 000 ] || why="answered $code"
#@ end
#@ wget
  # busybox wget honours http_proxy and friends and ignores no_proxy: they are unset for it alone.
  if err=`unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY; x timeout "$MESHJOB_REQUEST_TIMEOUT" $MESHJOB_BUSYBOX wget -q -S -O /dev/null ${post:+--post-data=} "$2" 2>&1`; then
    code=200
  else
    case "$err" in
      *"HTTP/1."?" "[0-9][0-9][0-9]*) code=${err#*HTTP/1.? }; code=${code%"${code#???}"} ;;
      *) code=000 ;;
    esac
  fi
  case "$err" in *refused*) why=refused ;; *"not found"*|*"can't execute"*|*"failed to run command"*) why=no-client ;; *) why="got no answer" ;; esac
  [ "$code" = 000 ] || why="answered $code"
#@ end
  case "$code" in 2??) return 0 ;; esac
  return 1
}

# Phase 1. Waits for every readiness URL in turn; returns 1 when MESHJOB_READY_TIMEOUT seconds pass
# first, or a signal came ($waiting_for then names the URL that was not ready).
wait_ready() {
  now_cs
  deadline=$((now + MESHJOB_READY_TIMEOUT * 100))
  for waiting_for in $MESHJOB_READY_URL; do
    until http GET "$waiting_for"; do
      if [ "$why" = no-client ]; then
        report no-http-client "cannot run the HTTP client the wrapper needs (wget with timeout, or curl): exiting @EXIT_USAGE@ without running the command"
        exit @EXIT_USAGE@
      fi
      [ -z "$stopping" ] || return 1
      now_cs
      [ "$now" -lt "$deadline" ] || return 1
      x sleep "$MESHJOB_READY_POLL"
    done
  done
  [ -z "$stopping" ]
}

# The signal to pass on for SIGINT: POSIX shells start background commands with SIGINT ignored,
# and that cannot be undone from sh, so a child that still ignores SIGINT (SigIgn bit 2 in
# /proc/PID/status) gets SIGTERM instead of a signal it would never see. Only the mask's last hex
# digit is read: dash saturates hex numbers of 2^63 and more. Redirections of stderr come first,
# so that a file gone meanwhile prints nothing.
int_signal() {
  sig=TERM
  while read -r key val; do
    if [ "$key" = SigIgn: ]; then
      [ $((0x${val#"${val%?}"} & 2)) -eq 0 ] && sig=INT
      break
    fi
  done 2>/dev/null < "/proc/$pid/status"
}

on_signal() {
  signals=$((signals + 1))
  stopping=$1
  [ -n "$pid" ] || return 0
  if [ "$1" = INT ]; then int_signal; else sig=TERM; fi
  kill -s "$sig" "$pid" 2>/dev/null
}

# Phase 2. Starts the command and waits for it; sets $rc. fd 3 keeps the container's stdin for the
# child (background commands otherwise read /dev/null). `exec` finds the command on PATH only,
# never as one of this script's functions or a builtin.
run_command() {
  exec 3<&0
  exec "$@" <&3 3<&- &
  pid=$!
  exec 3<&-
  [ -n "$stopping" ] && on_signal "$stopping"
#@ sidecar-role
  [ "$MESHJOB_ROLE" = sidecar ] && run_sidecar
#@ end
  # A trapped signal makes `wait` return 128+N at once, before the child has ended: wait again
  # until a wait returns with no signal handled meanwhile. The child may have been reaped already,
  # so a repeated wait can return its remembered status (dash, busybox) or, in bash, 127 once the
  # status was already reported: then the previous answer was the child's.
  prev=
  while :; do
    before=$signals
    wait "$pid"
    rc=$?
    if [ "$rc" -eq 127 ] && [ -n "$prev" ] && [ -n "$BASH_VERSION" ]; then rc=$prev; break; fi
    [ "$signals" = "$before" ] && break
    prev=$rc
  done
}

#@ peers
# all_done NAMES: true when every named container has recorded that it ended.
all_done() {
  for peer in $1; do
    [ -e "$MESHJOB_DIR/done.$peer" ] || return 1
  done
}

#@ end
# Phase 3. Records this container's exit code; returns 0 only in the last main container to end,
# which then stops the sidecars, and sets $failed to the containers that failed.
record_exit() {
#@ peers
  dir=$MESHJOB_DIR
  echo "$1" > "$dir/rc.$MESHJOB_CONTAINER"
  : > "$dir/done.$MESHJOB_CONTAINER"
  all_done "$MESHJOB_PEERS" || return 1
  if ! (set -C; : > "$dir/quit.lock") 2>/dev/null; then
    # Another main container holds the lock and sends the quits. A lock that nobody finishes
    # (left by someone else in the shared directory) must not keep the proxy up for ever: after
    # as long as the quits can take, this container sends them itself.
    now_cs
    deadline=$((now + MESHJOB_QUIT_WINDOW * 100))
    until [ -e "$dir/quit.done" ]; do
      now_cs
      if [ "$now" -ge "$deadline" ]; then
        say "the quit lock is held but no quit was sent within ${MESHJOB_QUIT_WINDOW}s: sending the quits"
        break
      fi
      x sleep "$MESHJOB_READY_POLL"
    done
    [ -e "$dir/quit.done" ] && return 1
  fi
  failed=
  for peer in $MESHJOB_PEERS; do
    read -r peer_rc < "$dir/rc.$peer"
    [ "$peer_rc" = 0 ] || failed="$failed $peer=$peer_rc"
  done
#@ end
#@ single
  failed=
  [ "$1" = 0 ] || failed=" $MESHJOB_CONTAINER=$1"
#@ end
  return 0
}

# quit METHOD URL: asks one sidecar to stop, retrying 5xx, refused and unanswered requests after
# each pause of MESHJOB_QUIT_DELAYS (growing; a proxy restarting as the job ends is still stopped).
# A sidecar that stops answering after it answered once has stopped; a 4xx is final. After a
# SIGTERM (the pod is being deleted, the proxy too) one attempt only.
quit() {
  n=0
  answered=
  for delay in $MESHJOB_QUIT_DELAYS last; do
    n=$((n + 1))
    http "$1" "$2" && return 0
    case "$code" in
      000) [ -n "$answered" ] && return 0 ;;
      4??) report quit-failed "$1 $2 answered $code: not retried; the sidecar may still be running"; return 1 ;;
      *) answered=1 ;;
    esac
    [ "$delay" = last ] || [ -n "$stopping" ] && break
    x sleep "$delay"
  done
  report quit-failed "$1 $2: $why (attempts: $n): the sidecar may still be running"
  return 1
}

#@ kill
# kill_named NAME: SIGTERM to every process whose /proc/PID/comm is NAME (a shared process
# namespace makes the proxy's processes visible).
kill_named() {
  found=
  set +f
  procs=`echo /proc/[0-9]*`
  set -f
  for d in $procs; do
    read -r comm 2>/dev/null < "$d/comm" || continue
    [ "$comm" = "$1" ] || continue
    found=1
    kill -s TERM "${d#/proc/}" 2>/dev/null || say "cannot signal $1 (pid ${d#/proc/}): run as its user or add CAP_KILL"
  done
  [ -n "$found" ] || say "no process named $1 to stop: is shareProcessNamespace on?"
}

#@ end
# Phase 4. Waits for the done-file sidecars, then sends every quit step in order.
stop_sidecars() {
  if [ -n "$failed" ] && [ "$MESHJOB_KEEP_PROXY_ON_FAILURE" = true ]; then
    report proxy-kept "command failed ($failed ): keeping the proxy running for debugging, as asked (keepProxyOnFailure)"
#@ peers
    : > "$MESHJOB_DIR/quit.done"
#@ end
    return 0
  fi
#@ sidecars
  now_cs
  deadline=$((now + (MESHJOB_SIDECAR_STOP_TIMEOUT + 1) * 100))
  until all_done "$MESHJOB_SIDECARS"; do
    now_cs
    if [ "$now" -ge "$deadline" ]; then
      say "sidecars ($MESHJOB_SIDECARS) did not all end in time: stopping the proxy anyway"
      break
    fi
    x sleep "$MESHJOB_READY_POLL"
  done
#@ end
  for q in $MESHJOB_QUIT; do
#@ kill
    if [ "${q%%|*}" = KILL ]; then kill_named "${q#*|}"; continue; fi
#@ end
    quit "${q%%|*}" "${q#*|}"
  done
#@ peers
  : > "$MESHJOB_DIR/quit.done"
#@ end
}

finish() {
  record_exit "$1" && stop_sidecars
}

#@ sidecar-role
# A sidecar: runs until every main container has ended, then is stopped; never fails the Job.
run_sidecar() {
  while kill -0 "$pid" 2>/dev/null; do
    if [ -n "$stopping" ] || all_done "$MESHJOB_PEERS"; then
      kill -s TERM "$pid" 2>/dev/null
      now_cs
      deadline=$((now + MESHJOB_SIDECAR_STOP_TIMEOUT * 100))
      while kill -0 "$pid" 2>/dev/null; do
        now_cs
        if [ "$now" -ge "$deadline" ]; then
          say "sidecar did not stop within ${MESHJOB_SIDECAR_STOP_TIMEOUT}s of SIGTERM: killing it"
          kill -s KILL "$pid" 2>/dev/null
          break
        fi
        x sleep "$MESHJOB_SIDECAR_POLL"
      done
      break
    fi
    x sleep "$MESHJOB_SIDECAR_POLL"
  done
  wait "$pid"
  rc=$?
  [ -n "$stopping" ] || all_done "$MESHJOB_PEERS" || say "sidecar ended on its own with exit code $rc before the main containers"
  : > "$MESHJOB_DIR/done.$MESHJOB_CONTAINER"
  exit 0
}

#@ end
pid=
stopping=
signals=0
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT

if ! wait_ready; then
  if [ -n "$stopping" ]; then
    if [ "$stopping" = INT ]; then rc=130; else rc=143; fi
    say "got SIG$stopping before the command started: not running it"
#@ sidecar-role
    [ "$MESHJOB_ROLE" = sidecar ] && { : > "$MESHJOB_DIR/done.$MESHJOB_CONTAINER"; exit 0; }
#@ end
    finish "$rc"
    exit "$rc"
  fi
  if [ "$MESHJOB_ON_READY_TIMEOUT" = start ]; then
    say "not ready at $waiting_for after ${MESHJOB_READY_TIMEOUT}s: starting the command anyway, as asked"
  else
    report proxy-not-ready "not ready at $waiting_for after ${MESHJOB_READY_TIMEOUT}s: exiting @EXIT_PROXY_NOT_READY@ without running the command"
    finish @EXIT_PROXY_NOT_READY@
    exit @EXIT_PROXY_NOT_READY@
  fi
fi

run_command "$@"
finish "$rc"
exit "$rc"
