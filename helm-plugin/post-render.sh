#!/bin/sh
# Runs meshjob (the npm package's bin, on PATH or through npx) with this plugin's settings file.
config="${HELM_PLUGIN_DIR:-$(dirname "$0")}/meshjob.yaml"
if command -v meshjob >/dev/null 2>&1; then
  exec meshjob --config "$config" "$@"
fi
exec npx --no-install meshjob --config "$config" "$@"
