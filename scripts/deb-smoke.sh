#!/usr/bin/env bash
# Builds the .deb from a configured build tree, installs it with apt, runs the demo with the
# INSTALLED /usr/bin/glassbox and the Python example against the installed library and
# package, then removes the package. Usage: scripts/deb-smoke.sh [BUILD_DIR] (as root)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
(cd "$build" && rm -f glassbox_*.deb && cpack -G DEB >/dev/null)
deb=$(ls "$build"/glassbox_*.deb)
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq "$deb" >/dev/null
work=$(mktemp -d)
trap 'apt-get remove -y -qq glassbox >/dev/null; rm -rf "$work"' EXIT
cd "$work"
unset GLASSBOX_LIBRARY GLASSBOX_SCHEMAS GLASSBOX_CONFIG PYTHONPATH DO_NOT_TRACK GLASSBOX_CONSENT
export GLASSBOX_JOURNAL="$work/journal.db" XDG_CONFIG_HOME="$work/config" HOME="$work"
gb=/usr/bin/glassbox
passed=0
check() {  # DESCRIPTION COMMAND...: runs the command, which must succeed
  if "${@:2}" >"$work/out" 2>&1; then
    passed=$((passed + 1))
  else
    echo "deb smoke: FAILED: $1"; cat "$work/out"; echo "$passed passed, 1 failed"; exit 1
  fi
}

echo "== $(basename "$deb"): $(dpkg-query -W -f='${Depends}' glassbox)"
check "installed binary runs" "$gb" --version
# replay loads libcurl at run time (replay/curl_api.h): the package must pull it in.
check "depends on libcurl4" bash -c "dpkg-query -W -f='\${Depends}' glassbox | grep -q 'libcurl4 (>= 7.85.0)'"
check "record" "$gb" record cli_event --field command=init --field 'args:=["my-project"]'
span=$("$gb" start cli_event --field command=run --field 'args:=["--full-refresh"]' \
  --field 'settings:={"TOKEN":"ghp_deb_canary"}')
check "complete" "$gb" complete "$span" --status success --exit-code 0
check "inspect" "$gb" inspect
check "inspect events" "$gb" inspect events
check "man page" test -s /usr/share/man/man1/glassbox-record.1
check "bash completion" bash -c 'source /usr/share/bash-completion/completions/glassbox &&
  COMP_WORDS=(glassbox ins) COMP_CWORD=1 && _glassbox && [ "${COMPREPLY[*]}" = inspect ]'
# Debian's own python3: finds the package in /usr/lib/python3/dist-packages and the library
# through the loader (libglassbox.so.0), with nothing pointing at the build tree.
example=/usr/share/doc/glassbox/examples/pipetool.py
check "python example: init" /usr/bin/python3 "$example" init demo
check "python example: add" /usr/bin/python3 "$example" add extractor tap-github --variant meltano
check "python example: run" /usr/bin/python3 "$example" run tap-github
check "python package imported from the package" /usr/bin/python3 -c \
  'import glassbox; assert glassbox.__file__.startswith("/usr/lib/python3/"), glassbox.__file__'
"$gb" inspect --format json >"$work/summary.json"
check "7 events stored" python3 -c \
  "import json,sys; s=json.load(open('$work/summary.json')); sys.exit(s['events_total'] != 7)"
check "the dropped setting was never stored" bash -c "! grep -q ghp_deb_canary $work/journal.db*"
"$gb" inspect events
echo "deb smoke: $passed passed, 0 failed"
