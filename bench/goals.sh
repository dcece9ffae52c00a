#!/bin/bash
# The benches of the speed goals, one after another (run them on an idle machine); each
# one's output goes to OUT/<name>.txt (default OUT: ./bench-goals), with the load before and after.
#   bench/goals.sh [OUT] [--75]     --75: also build the 75 codes under /usr/bin/time -v (3 to 8 min, 5 GB)
set -u
cd "$(dirname "$0")/.." || exit 2
out=${1:-bench-goals}; [ "$out" = --75 ] && out=bench-goals
py=.venv/bin/python; [ -x "$py" ] || py=python3
slx=.venv/bin/santelex; [ -x "$slx" ] || slx=santelex
mkdir -p "$out"
run() { name=$1; shift; { echo "== $name $(date -u +%FT%T) $(uptime)"; "$@"; echo "== end $(date -u +%FT%T) $(uptime)"; } > "$out/$name.txt" 2>&1; }
run startup "$py" bench/startup_bench.py
run validate "$py" bench/validate_bench.py --n 100000 --no-rudof --pyshacl-max 1000
run query "$py" bench/query_bench.py --baseline none
run build "$py" bench/build_bench.py --every 0
case " $* " in *" --75 "*)
  archive=${SANTELEX_75:-../shared/corpus/codes-except-css-casf.tar.xz}
  store=$(mktemp -d)/store
  run b75 /usr/bin/time -v "$slx" build "$archive" --store "$store" --quiet
  du -sb "$store" >> "$out/b75.txt"; rm -rf "$(dirname "$store")";;
esac
echo "outputs in $out/"
