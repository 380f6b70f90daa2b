#!/usr/bin/env bash
# The main job: installs what is missing, builds glassbox, records a realistic CLI session into
# a throwaway journal, and shows what inspect sees. Usage: scripts/demo.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGLASSBOX_TESTS=OFF \
  -DGLASSBOX_BENCH=OFF >/dev/null
cmake --build "$build" --target glassbox
gb="$build/cli/glassbox"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GLASSBOX_JOURNAL="$work/journal.db" XDG_CONFIG_HOME="$work/config"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

echo "== a data-pipeline CLI records its own usage =="
step "$gb" record cli_event --field command=init --field 'args:=["my-project"]'
step "$gb" record cli_event --field command=add --field sub_command=extractor \
  --field 'args:=["tap-github","--variant","meltano"]' \
  --field 'plugins:=[{"name":"tap-github","variant":"meltano","config":{"repository":"acme/app","start_date":"2026-01-01"}}]'
span=$("$gb" start cli_event --field command=run \
  --field 'args:=["tap-github","target-postgres","--full-refresh"]' \
  --field 'plugins:=[{"name":"tap-github","variant":"meltano","config":{"repository":"acme/app"}},{"name":"target-postgres","config":{"host":"db.internal"}}]' \
  --field 'project_config:={"project_id":"p-123","environments":["dev","prod"]}' \
  --field 'settings:={"TAP_GITHUB_TOKEN":"ghp_secret_never_stored"}')
echo "span $span"
step "$gb" complete "$span" --status success --exit-code 0

echo; echo "== what would leave the machine: hashed arguments, no settings =="
step "$gb" inspect
step "$gb" inspect events
step "$gb" inspect events --format ndjson --limit 1
echo; echo "the secret was never stored:"
if grep -q ghp_secret_never_stored "$work"/journal.db*; then echo "FOUND (bug)"; exit 1; else echo "  not found in $(ls "$work" | tr '\n' ' ')"; fi
echo; echo "check a digest yourself: md5 of \"--full-refresh\" is $(printf %s --full-refresh | md5sum | cut -d' ' -f1)"
if "$gb" replay --help >/dev/null 2>&1 && [ -x "$root/scripts/demo-replay.sh" ]; then
  "$root/scripts/demo-replay.sh" "$gb"
fi
