#!/usr/bin/env bash
# `npx projen test`, the fast tier: the lint check runs beside jest (eslint is one process, and
# most tests wait on child processes, so the two cores have room for it), its report is printed
# after jest's, and either one failing fails the tier. Arguments: the jest command line, from
# .projenrc.ts, followed by the contributor's own (`npx projen test test/job`).
set -uo pipefail
lint_log=$(mktemp)
trap 'rm -f "$lint_log"' EXIT
npx projen eslint > "$lint_log" 2>&1 &
lint=$!
"$@"
tests=$?
wait "$lint"
lint_status=$?
if [ "$lint_status" -eq 0 ]; then echo "eslint (ran beside jest): no problems"; else echo "eslint (ran beside jest) FAILED:"; fi
cat "$lint_log"
[ "$tests" -eq 0 ] && [ "$lint_status" -eq 0 ]
