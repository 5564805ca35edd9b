#!/usr/bin/env bash
# README.md says what plain `make` builds ("`make` builds `build/cohort`, ... and
# `build/web/`;"). Check that it is true, from make's own database (`make -pq`: the
# Makefile is read, nothing is built, well under a second):
#   - the default goal is `all` (the Makefile sets it: envs/envs.mk's rules come first);
#   - every build/ path the README names is the default goal or one of its prerequisites,
#     directly or not; for a path ending in / (a directory), every file under it that
#     the Makefile knows of, and there must be at least one.
# Run by `make test-unit`; any make variables of the calling make are dropped.
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() { echo "readme-make: FAIL: $*"; exit 1; }

line=$(grep -m1 '^`make` builds ' README.md) ||
  fail "README.md has no line starting with \"\`make\` builds\""
claim=${line%%;*} # up to the first ';': what follows is about other targets
paths=$(grep -o '`build/[^`]*`' <<<"$claim" | tr -d '`' || true)
[ -n "$paths" ] || fail "README.md's build line names no build/ path: $line"

db=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEFILES make -pq 2>/dev/null || true)
goal=$(sed -n 's/^\.DEFAULT_GOAL := //p' <<<"$db" | tail -1)
[ -n "$goal" ] || fail "make -pq printed no .DEFAULT_GOAL"
bad=0
if [ "$goal" != all ]; then
  echo "readme-make: FAIL: make's default goal is $goal, not all"
  bad=1
fi

# Everything the goal depends on: edges "target: prerequisites" of the database's
# "# Files" section (order-only prerequisites included), walked from the goal.
reach=$(awk -v goal="$goal" '
  /^# Files/ { files = 1; next }
  /^# files hash-table stats/ { files = 0 }
  !files || /^[#\t]/ || !/:/ { next }
  {
    colon = index($0, ":")
    t = substr($0, 1, colon - 1)
    rest = substr($0, colon + 1)
    sub(/^:/, "", rest) # double-colon rules
    n = split(rest, d, /[ \t|]+/)
    for (i = 1; i <= n; i++)
      if (d[i] != "")
        deps[t] = deps[t] " " d[i]
  }
  END {
    stack[1] = goal; top = 1; seen[goal] = 1
    while (top > 0) {
      t = stack[top--]
      print t
      n = split(deps[t], d, " ")
      for (i = 1; i <= n; i++)
        if (!(d[i] in seen)) { seen[d[i]] = 1; stack[++top] = d[i] }
    }
  }' <<<"$db")

# Every file the database knows of (targets and prerequisites).
known=$(awk '
  /^# Files/ { files = 1; next }
  /^# files hash-table stats/ { files = 0 }
  files && !/^[#\t]/ && /:/ { print substr($0, 1, index($0, ":") - 1) }' <<<"$db")

# The agent runtimes under build/web/vendor/ come from npm packages that only
# `scripts/setup --agents` (or --test) installs; without them make rightly skips them.
vendor_note=
if [ ! -d node_modules/@tensorflow/tfjs ] || [ ! -d node_modules/onnxruntime-web ]; then
  known=$(grep -v '^build/web/vendor/' <<<"$known" || true)
  vendor_note=" (build/web/vendor/ not checked: the agent runtimes are not installed; scripts/setup --agents installs them)"
fi

for p in $paths; do
  if [[ $p == */ ]]; then
    want=$(awk -v p="$p" 'index($0, p) == 1' <<<"$known")
    [ -n "$want" ] || { echo "readme-make: FAIL: README.md says make builds $p; the Makefile has nothing under it"; bad=1; continue; }
  else
    want=$p
  fi
  missing=$(comm -23 <(sort -u <<<"$want") <(sort -u <<<"$reach"))
  if [ -z "$missing" ]; then
    echo "readme-make: ok: make builds $p$([[ $p == */ ]] && echo " ($(wc -l <<<"$want") files)")"
  else
    echo "readme-make: FAIL: README.md says make builds $p; make's default goal ($goal) does not build:" $missing
    bad=1
  fi
done
[ "$bad" = 0 ] || exit 1
echo "readme-make: ok: default goal $goal builds the $(wc -w <<<"$paths") paths README.md names$vendor_note"
