# MeshJob wrapper: the shell a wrapped container runs as its command.
#
#   sh -c "<this script>" meshjob "<settings>" <original command> <original args...>
#
# A main container (MESHJOB_ROLE=main) runs these phases:
#   read_pod      (pods that mount their own metadata) fail at once when the mesh did not inject
#                 its proxy, leave a native proxy alone, and use the ports the pod's annotations name;
#   arm_quit      start the first quit request's client now, to be let go when the command ends;
#   wait_ready    wait until every readiness URL answers 2xx (bounded by MESHJOB_READY_TIMEOUT);
#   run_command   run the original command as a child, byte-exact ("$@"), passing on every signal
#                 the wrapper can catch, and wait for it;
#   record_exit   record the exit code; only the last main container to end goes on;
#   stop_sidecars wait for the done-file sidecars to end, then send the quit steps (the job's own
#                 sidecars first, the mesh proxy last);
# and exits with the command's exit code (128+N when it died of signal N).
# A sidecar (MESHJOB_ROLE=sidecar) runs its command until every main container has ended, then
# stops it with SIGTERM (SIGKILL after MESHJOB_SIDECAR_STOP_TIMEOUT seconds) and exits 0.
#
# The settings are shell assignments (MESHJOB_*=...) rendered by src/runtime/settings.ts and passed
# as the first argument: they stay shell variables, so the command's environment is exactly the
# container's. Values this file needs from src/ (exit codes, bounds) are written in as @NAME@. It
# is rendered without comment lines and indentation, with its long names shortened (script.ts,
# scriptRenames()), and only with the sections a pod uses: a line "#@ NAME" starts a section kept only when
# the pod uses feature NAME, "#@ end" ends it (see script.ts, WrapperFeature).
# Kubernetes expands "$(NAME)" in command strings: the renderer escapes every "$(" and "$$".
# Portable to dash, busybox ash and bash: POSIX sh only, no arrays, no "local".
#
# The shared directory (MESHJOB_DIR, an emptyDir every wrapped container mounts) is written by
# other containers too, as other users. The wrapper never opens a name there that could already
# exist: it creates files only under names that end in a token nobody can guess beforehand
# (/proc/sys/kernel/random/uuid), with noclobber (O_EXCL: a symlink or FIFO planted at the name
# makes the creation fail, never followed), and learns the other containers' state from names alone
# (pathname expansion lists the directory; it opens nothing). The one fixed name, the quit lock, is
# taken with mkdir(2), which never follows a link and never blocks.

# No pathname expansion (lists such as $MESHJOB_QUIT are split on spaces, never globbed); noclobber.
set -fC
eval "$1"
shift
# Every setting, copied to a short name (script.ts SETTING_NAMES: NAME:SHORT pairs; a setting the
# argument does not hold is empty).
for setting in @SETTINGS@; do eval "_${setting#*:}=\$MESHJOB_${setting%:*}"; done
if [ "$MESHJOB_BUSYBOX" ]; then
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
  [ -s "$MESHJOB_TERMINATION_LOG" ] && return
  { printf 'meshjob: %s: %s\n' "$1" "$2" >| "$MESHJOB_TERMINATION_LOG"; } 2>/dev/null
}
# refuse REASON CODE MESSAGE: reports MESSAGE, and that the container ends with CODE without running
# the command.
refuse() {
  report "$1" "$3: exiting $2 without running the command"
}

if [ "$#" -eq 0 ]; then
  refuse no-command @EXIT_USAGE@ "no command to run: the original command must follow the settings"
  exit @EXIT_USAGE@
fi

# bound NAME VALUE MAX UNIT: refuses (exit @EXIT_USAGE@) a VALUE that is not a number from 0 to MAX
# with at most 3 decimals. MAX has no more digits than the shell's 64-bit arithmetic can hold many
# times over, and a VALUE with more digits is refused before any arithmetic reads it.
bound() {
  bound_int=${2%.*}
  bound_int=${bound_int#"${bound_int%%[!0]*}"}
  case $2 in
    '' | .* | *. | *.*.* | *.????* | *[!0-9.]*) ;;
    *) [ "${#bound_int}" -le "${#3}" ] && { [ "${bound_int:-0}" -lt "$3" ] || [ "$2" = "$3" ]; } && return 0 ;;
  esac
  refuse bad-setting @EXIT_USAGE@ "$1 $2 is not a number of $4 from 0 to $3"
  exit @EXIT_USAGE@
}
bound readyTimeout "$MESHJOB_READY_TIMEOUT" @MAX_READY_TIMEOUT@ seconds
bound readyPollInterval "$MESHJOB_READY_POLL" @MAX_READY_POLL@ seconds
bound requestTimeout "$MESHJOB_REQUEST_TIMEOUT" @MAX_REQUEST_TIMEOUT@ seconds
quit_attempts=1
for delay in $MESHJOB_QUIT_DELAYS; do
  bound quitRetryDelay "$delay" @MAX_QUIT_RETRY_DELAY@ seconds
  quit_attempts=$((quit_attempts + 1))
done
bound quitAttempts "$quit_attempts" @MAX_QUIT_ATTEMPTS@ attempts
#@ peers
bound quitWindow "$MESHJOB_QUIT_WINDOW" @MAX_QUIT_WINDOW@ seconds
#@ end
#@ sidecars
bound sidecarStopTimeout "$MESHJOB_SIDECAR_STOP_TIMEOUT" @MAX_SIDECAR_STOP_TIMEOUT@ seconds
#@ end
#@ sidecar-role
bound sidecarStopTimeout "$MESHJOB_SIDECAR_STOP_TIMEOUT" @MAX_SIDECAR_STOP_TIMEOUT@ seconds
#@ end

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

# This container's token: the end of every name it creates in the shared directory.
read -r token 2>/dev/null < /proc/sys/kernel/random/uuid || { now_cs; token=$$.$now; }
# fd 6: a file of this container's own in the shared directory, where the HTTP client writes what
# it saw; read back through /proc/self/fd/6, never by name. The command does not inherit it.
{ command exec 6> "$MESHJOB_DIR/http.$MESHJOB_CONTAINER.$token"; } 2>/dev/null || exec 6> /dev/null

# seen PREFIX: true when a name in the shared directory starts with PREFIX ($seen_name is the
# first): the directory is listed, nothing in it is opened.
seen() {
  set +f
  set -- "$1"*
  set -f
  seen_name=$1
  [ -e "$1" ] || [ -L "$1" ]
}

# client METHOD URL: runs the HTTP client in place of the current (sub)shell, writing what it
# reports to stdout; a POST's body is read from stdin, to its end, before the client sends its
# request (busybox wget --post-file, curl --data-binary @-), so that a client started with stdin
# from a pipe waits until the pipe closes. The proxy variable is unset for the client only (wget
# honours http_proxy, busybox wget ignores no_proxy; curl is told --noproxy): the command keeps it.
client() {
  unset http_proxy HTTP_PROXY
  post=
  [ "$1" = GET ] || post=1
#@ wget
  exec $MESHJOB_BUSYBOX wget -q -S -O /dev/null ${post:+--post-file=-} "$2" 2>&1
#@ end
#@ curl
  # -q: no .curlrc; --noproxy '*': no proxy from the environment either.
  exec curl -q -s -o /dev/null -w '%{http_code}' --noproxy '*' --max-time "$MESHJOB_REQUEST_TIMEOUT" ${post:+--data-binary @-} "$2" 2>/dev/null
#@ end
}

# result FD: sets $code to the HTTP status of the client that just ended with $status, or 000 when
# no HTTP answer came, and $why to what was seen ("answered 503", "refused", "got no answer",
# "no-client"). Returns 0 for a 2xx answer. Reads at most 64 lines of what the client wrote to FD.
result() {
  out=
  lines=0
  line=
  while [ $((lines += 1)) -le 64 ] && { read -r line || [ "$line" ]; }; do
    out="$out $line"
    line=
  done < "/proc/self/fd/$1"
  why="got no answer"
#@ wget
  if [ "$status" = 0 ]; then
    code=200
  else
    case "$out" in
      *"HTTP/1."?" "[0-9][0-9][0-9]*) code=${out#*HTTP/1.? }; code=${code%"${code#???}"} ;;
      *) code=000 ;;
    esac
  fi
  case "$out" in *refused*) why=refused ;; esac
#@ end
#@ curl
  code=${out# }
  case "$code" in [0-9][0-9][0-9]) ;; *) code=000 ;; esac
  [ "$status" = 7 ] && why=refused
#@ end
  case "$status" in 126 | 127) why=no-client ;; esac
  [ "$code" = 000 ] || why="answered $code"
  case "$code" in 2??) return 0 ;; esac
  return 1
}

# reap PID [DEADLINE]: waits for the child PID and sets $status to its exit status. A trapped signal
# makes `wait` return 128+N at once, before the child has ended: wait again until a wait returns
# with no signal handled meanwhile. The child may have been reaped already, so a repeated wait can
# return its remembered status (dash, busybox) or, in bash, 127 once the status was already
# reported: then the previous answer was the child's. At each signal, a child still running at
# DEADLINE (centiseconds of now_cs) is killed.
reap() {
  prev=
  while :; do
    before=$signals
    wait "$1"
    status=$?
    if [ "$status" -eq 127 ] && [ "$prev" ] && [ "$BASH_VERSION" ]; then status=$prev; break; fi
    [ "$signals" = "$before" ] && break
    prev=$status
    if [ -n "$2" ]; then
      now_cs
      [ "$now" -lt "$2" ] || kill -s KILL "$1" 2>/dev/null
    fi
  done
}

# tick: SIGCONT to the wrapper every second, so that a `wait` for an HTTP client returns to check
# its deadline (no `timeout` process per request). SIGCONT is harmless: it stops nothing, and it is
# passed on to nothing while no command runs.
tick() {
  while kill -s CONT $$ 2>/dev/null; do x sleep 1; done
}

# http METHOD URL: one request, bounded by MESHJOB_REQUEST_TIMEOUT seconds; sets $code and $why
# as result() does.
http() {
  if [ -z "$ticker" ]; then
    tick < /dev/null > /dev/null 2>&1 &
    ticker=$!
  fi
  now_cs
  (client "$1" "$2") >| /proc/self/fd/6 &
  # (The shell's notice of a client it killed, "Killed", is not the command's: not shown.)
  reap "$!" "$((now + MESHJOB_REQUEST_TIMEOUT * 100))" 2>/dev/null
  result 6
}

# for_signals FUNCTION: runs FUNCTION N for every signal N a process can be sent and the shell can
# catch: not SIGKILL or SIGSTOP, not SIGCHLD (the shell's own), not the faults the kernel raises in
# the faulting process (SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV), not glibc's 32 and 33.
for_signals() {
  signal=0
  while [ $((signal += 1)) -le 64 ]; do
    case $signal in
      4 | 5 | 7 | 8 | 9 | 11 | 17 | 19 | 32 | 33) ;;
      *) "$1" "$signal" 2>/dev/null ;;
    esac
  done
}
pass_on() { trap 'on_signal '"$1" "$1"; }

#@ pod
# read_pod: what the pod as the API server stored it says about the proxy, from the downward API
# volume at MESHJOB_POD_DIR (files "annotations" and "labels" in the kubelet's format: one
# key="value" line per entry, sorted by key, the value quoted as Go's %q does, and no newline after
# the last line; kubernetes pkg/fieldpath/fieldpath.go FormatMap, pkg/volume/downwardapi). The
# volume is read-only and written by the kubelet, but the values are anyone's who can edit the pod:
# only the lines of the keys asked about are kept, at most 4096 lines are read, and a value is used
# only when it is a port or a URL path. A file that is missing or unreadable is "unknown": the
# wrapper then waits for the proxy as it would without the volume.
#
# pod_read FILE KEY...: adds to $pod the lines of FILE that set one of the KEYs; 1 when FILE cannot
# be read.
pod_read() {
  pod_file=$MESHJOB_POD_DIR/$1
  shift
  [ -f "$pod_file" ] && [ -r "$pod_file" ] || return
  line=
  lines=0
  while [ $((lines += 1)) -le 4096 ] && { read -r line || [ "$line" ]; }; do
    for key; do
      case $line in "$key="*) pod=$pod$nl$line ;; esac
    done
    line=
  done < "$pod_file"
}

# pod_value KEY: sets $value to the value of KEY as the file quotes it (Go escapes kept).
pod_value() {
  case $pod$nl in *"$nl$1=\""*) ;; *) return 1 ;; esac
  value=${pod#*"$nl$1=\""}
  value=${value%%"$nl"*}
  value=${value%\"}
}

# ignoring ANNOTATION WHAT: says that the annotation is not used.
ignoring() {
  say "ignoring annotation $1: not $2"
}

read_pod() {
  # A newline (the shell starts with IFS set to space, tab, newline, whatever the environment says;
  # a literal one would not survive rendering on one line). No line of the files holds one.
  nl=${IFS#??}
  pod=
  # MESHJOB_MARKER: FILE MARK, what injection writes: KEY, or KEY="VALUE" as the file quotes it
  # (absent: the proxy is in the pod spec, nothing to check). MESHJOB_NATIVE: ANNOTATION CONTAINER.
  # MESHJOB_PORTS, MESHJOB_PATHS: pairs PORT ANNOTATION, PATH ANNOTATION.
  set -- $MESHJOB_MARKER
  mark=$2
  pod_read annotations "${mark%%=*}" $MESHJOB_NATIVE $MESHJOB_PORTS $MESHJOB_PATHS || [ "$1" = labels ] || mark=
  if [ "$1" = labels ]; then pod_read labels "$mark" || mark=; fi
  if [ "$mark" ]; then
    case $pod$nl in
      *"$nl$mark"[=$nl]*) ;;
      *)
        mark="no ${1%s} $mark on the pod: the mesh did not inject its proxy"
        if [ "$MESHJOB_ON_NOT_INJECTED" = start ]; then
          say "$mark; running the command without it, as asked (startWithoutProxy)"
        elif [ "$MESHJOB_ROLE" != sidecar ]; then
          refuse proxy-not-injected @EXIT_PROXY_NOT_INJECTED@ "$mark (see the namespace's injection and revision labels, and opt-outs)"
          not_injected=1
        fi
        MESHJOB_PROXY_READY=
        MESHJOB_PROXY_QUIT=
        ;;
    esac
  fi
  # The proxy is a native sidecar, which the kubelet stops, when the JSON of ANNOTATION lists
  # CONTAINER under "initContainers".
  set -- $MESHJOB_NATIVE
  if [ "$MESHJOB_PROXY_QUIT" ] && [ "$1" ] && pod_value "$1"; then
    inits=${value#*'\"initContainers\":['}
    if [ "$inits" != "$value" ]; then
      case ${inits%%]*} in
        *'\"'"$2"'\"'*)
          say "$2 is a native sidecar ($1): the kubelet stops it"
          MESHJOB_PROXY_QUIT=
          ;;
      esac
    fi
  fi
  # In every URL, ":PORT/" (PATH) becomes what ANNOTATION says, when it says a port (a URL path).
  moves=
  set -- $MESHJOB_PORTS
  while [ $# -gt 1 ]; do
    if pod_value "$2"; then
      port=${value#"${value%%[!0]*}"}
      case $value in
        '' | *[!0-9]*) ignoring "$2" "a port from 1 to 65535" ;;
        *) [ ${#port} -le 5 ] && [ "${port:-0}" -ge 1 ] && [ "$port" -le 65535 ] && moves="$moves :$1/ :$port/" || ignoring "$2" "a port from 1 to 65535" ;;
      esac
    fi
    shift 2
  done
  set -- $MESHJOB_PATHS
  while [ $# -gt 1 ]; do
    if pod_value "$2"; then
      case $value in
        /*[!A-Za-z0-9._~%!\&\'\(\)*+,\;=:@/-]* | [!/]* | '') ignoring "$2" "a URL path" ;;
        *) moves="$moves $1 $value" ;;
      esac
    fi
    shift 2
  done
  move_urls "$MESHJOB_READY_URL"
  MESHJOB_READY_URL=$moved
  move_urls "$MESHJOB_PROXY_READY"
  MESHJOB_PROXY_READY=$moved
  move_urls "$MESHJOB_QUIT"
  MESHJOB_QUIT=$moved
  move_urls "$MESHJOB_PROXY_QUIT"
  MESHJOB_PROXY_QUIT=$moved
}

# move_urls LIST: sets $moved to LIST with each FROM of $moves (pairs FROM TO) replaced by its TO.
move_urls() {
  moved=
  for url in $1; do
    set -- $moves
    while [ $# -gt 1 ]; do
      case $url in *"$1"*) url=${url%%"$1"*}$2${url#*"$1"} ;; esac
      shift 2
    done
    moved="$moved $url"
  done
}

#@ end
# Phase 1. Waits for every readiness URL in turn (the mesh proxy's first); returns 1 when
# MESHJOB_READY_TIMEOUT seconds pass first, or a signal came ($waiting_for then names the URL that
# was not ready).
wait_ready() {
  now_cs
  deadline=$((now + MESHJOB_READY_TIMEOUT * 100))
  for waiting_for in $MESHJOB_PROXY_READY $MESHJOB_READY_URL; do
    until http GET "$waiting_for"; do
      if [ "$why" = no-client ]; then
        refuse no-http-client @EXIT_USAGE@ "cannot run the HTTP client (wget or curl)"
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

# on_signal N: passes signal N on to the command. POSIX shells start background commands with
# SIGINT and SIGQUIT ignored, and that cannot be undone from sh: a child that still ignores the
# signal (its bit in SigIgn of /proc/PID/status, the mask's last hex digit: dash saturates hex
# numbers of 2^63 and more) gets SIGTERM instead of a signal it would never see. Before the command
# starts, and while the quits are sent, a signal whose default action ends a process is taken as a
# request to stop: no command is started, and each quit is tried once. (Redirections of stderr
# come first, so that a file gone meanwhile prints nothing.)
on_signal() {
  signals=$((signals + 1))
  case $1 in 18 | 2[0-3] | 28) ;; *) stopping=$1 ;; esac
  [ "$pid" ] || return 0
  sig=$1
  case $1 in
    2 | 3)
      while read -r key val; do
        if [ "$key" = SigIgn: ]; then
          [ $((0x${val#"${val%?}"} & (1 << ($1 - 1)))) -eq 0 ] || sig=15
          break
        fi
      done 2>/dev/null < "/proc/$pid/status"
      ;;
  esac
  kill -s "$sig" "$pid" 2>/dev/null
}

# Phase 2. Starts the command and waits for it; sets $rc. fd 3 keeps the container's stdin for the
# child (background commands otherwise read /dev/null). `exec` finds the command on PATH only,
# never as one of this script's functions or a builtin.
run_command() {
  if [ "$ticker" ]; then kill "$ticker"; ticker=; fi
  exec 3<&0
  exec "$@" <&3 3<&- 6>&- 7>&- &
  pid=$!
  exec 3<&-
  [ "$stopping" ] && on_signal "$stopping"
#@ sidecar-role
  [ "$MESHJOB_ROLE" = sidecar ] && run_sidecar
#@ end
  reap "$pid"
  rc=$status
  pid=
}

#@ peers
# all_done NAMES: true when every named container has recorded that it ended.
all_done() {
  for peer in $1; do
    seen "$MESHJOB_DIR/done.$peer." || return 1
  done
}

#@ end
# Phase 3. Records this container's exit code; returns 0 only in the container that stops the
# sidecars, and sets $failed to the containers that failed.
#@ peers
# Each main container records done.NAME.CODE.TOKEN when its command ended, then looks whether
# every main container has: if not, a later one will, and it records left.NAME.TOKEN and is done.
# One that sees every container ended is the last, alone, when every other one has left;
# otherwise another may be last too (they ended together), and the quit lock decides.
#@ end
record_exit() {
#@ peers
  dir=$MESHJOB_DIR
  true 2>/dev/null > "$dir/done.$MESHJOB_CONTAINER.$1.$token"
  if ! all_done "$MESHJOB_PEERS"; then
    true 2>/dev/null > "$dir/left.$MESHJOB_CONTAINER.$token"
    return 1
  fi
  failed=
  alone=1
  for peer in $MESHJOB_PEERS; do
    seen "$dir/done.$peer."
    peer_rc=${seen_name#"$dir/done.$peer."}
    peer_rc=${peer_rc%%.*}
    [ "$peer_rc" = 0 ] || failed="$failed $peer=$peer_rc"
    [ "$peer" = "$MESHJOB_CONTAINER" ] || seen "$dir/left.$peer." || alone=
  done
  [ "$alone" ] && return 0
  x mkdir "$dir/quit.lock" 2>/dev/null && return 0
  # Another container holds the lock and sends the quits. A lock that nobody finishes (its holder
  # was killed, or something else made it) must not keep the proxy up for ever: after as long as
  # the quits can take, this container sends them itself. A done marker could be forged too: when
  # the proxy still answers ready after it, the quits are sent.
  now_cs
  deadline=$((now + MESHJOB_QUIT_WINDOW * 100))
  until seen "$dir/quitdone."; do
    now_cs
    if [ "$now" -ge "$deadline" ]; then
      say "the quit lock is held but no quit was sent within ${MESHJOB_QUIT_WINDOW}s: sending the quits"
      return 0
    fi
    x sleep "$MESHJOB_READY_POLL"
  done
  for url in $MESHJOB_PROXY_READY; do
    http GET "$url" || return 1
    say "the quits are marked sent but the proxy still answers ready: sending the quits"
    return 0
  done
  return 1
#@ end
#@ single
  failed=
  [ "$1" = 0 ] || failed=" $MESHJOB_CONTAINER=$1"
  return 0
#@ end
}

#@ armed
# arm_quit: the first quit step, when it is a POST, is sent by a client started before the wait
# for readiness (off the way from ready to the command's start), so that no process has to start
# when the command ends. A subshell (its pid: $armed) holds
# the write end of a pipe the client reads its POST body from; the client sends nothing before the
# pipe closes. The subshell closes it on SIGUSR1 while the wrapper has fd 9 open (so that a SIGUSR1
# the command sends to its process group starts nothing), then bounds the request by
# MESHJOB_REQUEST_TIMEOUT and exits with the client's status. busybox wget connects before it reads
# the body: a connection left idle too long may be closed by the server, so the client is replaced
# every @ARMED_RENEW@ seconds. On SIGUSR2 the subshell kills the client unsent. Every other signal
# is ignored by both, so that nothing but the wrapper's go closes the pipe.
# ignore N: ignores signal N, but for SIGUSR1 and SIGUSR2 (arm_quit's own).
ignore() {
  case $1 in 10 | 12) ;; *) trap '' "$1" ;; esac
}

arm_quit() {
  set -- $MESHJOB_QUIT $MESHJOB_PROXY_QUIT
  [ "${1%%|*}" = POST ] && [ ! -e /proc/$$/fd/9 ] || return 0
  # fd 7: what the armed client writes, as fd 6 holds what the other requests write.
  { command exec 7> "$MESHJOB_DIR/armed.$MESHJOB_CONTAINER.$token"; } 2>/dev/null || return 0
  armed_step=$1
  : | {
    # A trap also ends the renewal's sleep: a signal handled just before `wait` would otherwise
    # leave it waiting the whole renewal (the go then late by up to @ARMED_RENEW@ s). SIGKILL, as
    # the sleep inherits this subshell's ignored signals, SIGTERM among them.
    trap 'armed_go=1; [ -z "$armed_sleep" ] || kill -s KILL "$armed_sleep"' USR1
    trap 'armed_stop=1; [ -z "$armed_sleep" ] || kill -s KILL "$armed_sleep"' USR2
    exec 4<&0 5> /proc/self/fd/0 < /dev/null > /dev/null 2>&1
    for_signals ignore
    # The go is fd 9 (SIGUSR1 only wakes the subshell up, its trap ending the sleep). The client
    # is killed, never let go, on SIGUSR2 or once the wrapper is gone (its fd 6 with it); only then
    # does the subshell exit, so that no client outlives it unsent.
    while [ ! -e /proc/$$/fd/9 ]; do
      if [ "$armed_stop" ] || [ ! -e /proc/$$/fd/6 ]; then
        kill -s KILL $armed_client
        exit
      fi
      if [ -z "$armed_go" ]; then
        [ -z "$armed_client" ] || kill -s KILL "$armed_client"
        (client POST "${armed_step#*|}") <&4 4<&- 5>&- >| /proc/self/fd/7 &
        armed_client=$!
        # (Closed by exec: a redirection of a function call would keep copies of the pipe. The
        # sleep is the subshell itself, so that killing it ends the sleep, not only a shell.)
        (exec 4<&- 5>&-; exec $MESHJOB_BUSYBOX sleep @ARMED_RENEW@) &
        armed_sleep=$!
      fi
      armed_go=
      [ -e /proc/$$/fd/9 ] || [ "$armed_stop" ] || [ -z "$armed_sleep" ] || wait "$armed_sleep"
      # (Reaped: its pid may be another process's from now on.)
      armed_sleep=
    done
    exec 5>&-
    trap '' USR1 USR2
    # (A go before the first client started: one starts now, and finds its body at its end.)
    if [ -z "$armed_client" ]; then
      (client POST "${armed_step#*|}") <&4 4<&- >| /proc/self/fd/7 &
      armed_client=$!
    fi
    { x sleep "$MESHJOB_REQUEST_TIMEOUT"; kill -s KILL "$armed_client"; } &
    armed_timer=$!
    wait "$armed_client"
    armed_status=$?
    kill -s KILL "$armed_timer"
    exit "$armed_status"
  } &
  armed=$!
}

# fire: sends the armed quit, as http() would have.
fire() {
  armed_pid=$armed
  armed=
  exec 9< /dev/null
  kill -s USR1 "$armed_pid" 2>/dev/null || { http POST "${armed_step#*|}"; return; }
  reap "$armed_pid" 2>/dev/null
  # (A subshell too young to have set its trap died of the go, 128+SIGUSR1, before any client; a
  # client refused before the proxy listened sent nothing: an ordinary request goes instead.)
  if [ "$status" != 138 ]; then
    result 7 && return
    [ "$why" = refused ] || return 1
  fi
  http POST "${armed_step#*|}"
}

#@ end
# quit METHOD URL: asks one sidecar to stop, retrying 5xx, refused and unanswered requests after
# each pause of MESHJOB_QUIT_DELAYS (growing; a proxy restarting as the job ends is still stopped).
# A sidecar that stops answering after it answered once has stopped; a 4xx is final. After a
# signal to stop (the pod is being deleted, the proxy too) one attempt only.
quit() {
  may="the sidecar may still be running"
  attempt=0
  answered=
  for delay in $MESHJOB_QUIT_DELAYS last; do
    attempt=$((attempt + 1))
#@ armed
    if [ "$armed" ] && [ "$1|$2" = "$armed_step" ]; then fire; else http "$1" "$2"; fi && return 0
#@ end
#@ !armed
    http "$1" "$2" && return 0
#@ end
    case "$code" in
      000) [ "$answered" ] && return 0 ;;
      4??) report quit-failed "$1 $2 answered $code: not retried; $may"; return 1 ;;
      *) answered=1 ;;
    esac
    [ "$delay" = last ] || [ "$stopping" ] && break
    x sleep "$delay"
  done
  report quit-failed "$1 $2: $why (attempts: $attempt): $may"
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
  [ "$found" ] || say "no process named $1 to stop: is shareProcessNamespace on?"
}

#@ end
# Phase 4. Waits for the done-file sidecars, then sends every quit step in order.
stop_sidecars() {
  if [ "$failed" ] && [ "$MESHJOB_KEEP_PROXY_ON_FAILURE" = true ]; then
    report proxy-kept "command failed ($failed ): keeping the proxy running for debugging, as asked (keepProxyOnFailure)"
#@ peers
    true 2>/dev/null > "$MESHJOB_DIR/quitdone.$token"
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
  for step in $MESHJOB_QUIT $MESHJOB_PROXY_QUIT; do
#@ kill
    if [ "${step%%|*}" = KILL ]; then kill_named "${step#*|}"; continue; fi
#@ end
    quit "${step%%|*}" "${step#*|}"
  done
#@ peers
  true 2>/dev/null > "$MESHJOB_DIR/quitdone.$token"
  # Names no wrapper writes, in place of a regular file, were put there by someone else.
  planted=
  set +f
  for name in "$MESHJOB_DIR"/* "$MESHJOB_DIR"/.*; do
    case "${name##*/}" in . | ..) continue ;; esac
    case "${name##*/}" in
      quit.lock) [ -L "$name" ] || [ ! -d "$name" ] ;;
      *) [ -L "$name" ] || { [ -e "$name" ] && [ ! -f "$name" ]; } ;;
    esac && planted="$planted ${name##*/}"
  done
  set -f
  [ -z "$planted" ] || report state-tampered "found in the shared directory $MESHJOB_DIR, not made by a wrapper:$planted"
#@ end
}

finish() {
  record_exit "$1" && stop_sidecars
}

#@ sidecar-role
# A sidecar: runs until every main container has ended, then is stopped; never fails the Job.
run_sidecar() {
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$stopping" ] || all_done "$MESHJOB_PEERS"; then
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
  reap "$pid"
  [ "$stopping" ] || all_done "$MESHJOB_PEERS" || say "sidecar ended on its own with exit code $status before the main containers"
  true 2>/dev/null > "$MESHJOB_DIR/done.$MESHJOB_CONTAINER.0.$token"
  exit 0
}

#@ end
pid=
stopping=
signals=0
armed=
ticker=
not_injected=
# SIGPIPE is the kernel's own, sent when the wrapper's stderr is gone: not passed on.
for_signals pass_on
trap - PIPE
trap '[ -z "$ticker" ] || kill "$ticker"; [ -z "$armed" ] || kill -s USR2 "$armed"' EXIT

#@ pod
read_pod
if [ "$not_injected" ]; then
  finish @EXIT_PROXY_NOT_INJECTED@
  exit @EXIT_PROXY_NOT_INJECTED@
fi
#@ end
#@ armed
arm_quit
#@ end
if ! wait_ready; then
  if [ "$stopping" ]; then
    rc=$((128 + stopping))
    say "got SIG`kill -l "$stopping"` before the command started: not running it"
#@ sidecar-role
    [ "$MESHJOB_ROLE" = sidecar ] && { true 2>/dev/null > "$MESHJOB_DIR/done.$MESHJOB_CONTAINER.0.$token"; exit 0; }
#@ end
    finish "$rc"
    exit "$rc"
  fi
  if [ "$MESHJOB_ON_READY_TIMEOUT" = start ]; then
    say "not ready at $waiting_for after ${MESHJOB_READY_TIMEOUT}s: starting the command anyway, as asked"
  else
    refuse proxy-not-ready @EXIT_PROXY_NOT_READY@ "not ready at $waiting_for after ${MESHJOB_READY_TIMEOUT}s"
    finish @EXIT_PROXY_NOT_READY@
    exit @EXIT_PROXY_NOT_READY@
  fi
fi

run_command "$@"
finish "$rc"
exit "$rc"
