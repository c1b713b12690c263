#!/bin/sh
# The Helm 4 post-renderer plugin's command: runs the meshjob CLI of the npm package this plugin
# ships in, with the plugin's settings, manifests on stdin and stdout.
#
# How Helm 4 runs it (helm/helm v4.0-v4.2): `helm plugin install <dir>` symlinks
# $HELM_DATA_HOME/plugins/<dir name> to <dir> (internal/plugin/installer/local_installer.go);
# `--post-renderer meshjob` runs runtimeConfig.platformCommand with HELM_PLUGIN_DIR set to that
# symlink and --post-renderer-args appended, in Helm's working folder, and keeps stdout only
# (internal/plugin/runtime_subprocess.go, runPostrenderer: stderr goes to a buffer nobody reads).
#
#   MESHJOB_LOG     a file that receives meshjob's messages (appended), since Helm 4 shows none
#   MESHJOB_CONFIG  a settings file to use instead of meshjob.yaml beside this script
#   MESHJOB_NODE    the node executable (default: node, found on PATH)

# The plugin's real folder: cd -P follows the symlink Helm made.
here=$(cd -P -- "${HELM_PLUGIN_DIR:-$(dirname -- "$0")}" && pwd) || exit 1
config=${MESHJOB_CONFIG:-$here/meshjob.yaml}

if [ -n "${MESHJOB_LOG:-}" ]; then
  mkdir -p -- "$(dirname -- "$MESHJOB_LOG")" && exec 2>>"$MESHJOB_LOG" || exit 1
  printf 'meshjob helm plugin: %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ') post-render $*" >&2
  # This script writes the log; the CLI need not write it too.
  unset MESHJOB_LOG
fi

# The CLI of the package this plugin ships in (node_modules/meshjob/helm-plugin -> ../lib/cli).
cli=$(dirname -- "$here")/lib/cli/main.js
if [ -f "$cli" ]; then
  node=${MESHJOB_NODE:-node}
  if ! command -v "$node" >/dev/null 2>&1; then
    echo "meshjob helm plugin: cannot run $cli: \"$node\" is not on PATH; install Node.js 18 or later, or set MESHJOB_NODE to its path" >&2
    exit 1
  fi
  exec "$node" "$cli" --config "$config" "$@"
fi
# A copy of the plugin outside the package: meshjob must then be on PATH.
if command -v meshjob >/dev/null 2>&1; then
  exec meshjob --config "$config" "$@"
fi
echo "meshjob helm plugin: no meshjob CLI at $cli and none on PATH: install the plugin from the npm package (helm plugin install node_modules/meshjob/helm-plugin) or put meshjob on PATH" >&2
exit 1
