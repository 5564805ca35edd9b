#!/usr/bin/env bash
# Every fuzzer builds, replays its seeds without a finding, and the two that parse what
# arrives on the socket (fuzz_net: requests and frames; fuzz_http: targets and addresses)
# fuzz for a few seconds. Part of make test-unit, so a fuzzer that stops building (as
# fuzz_http once did, unnoticed) fails a suite; `make fuzz` is the long run.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${FUZZ_SMOKE_S:-5}
fail=0
for t in config proto hello http net; do
  make --no-print-directory -s "build/fuzz/fuzz_$t" >/dev/null || { echo "fuzz-smoke: fuzz_$t does not build"; fail=1; continue; }
  seeds=tests/fuzz/$t-seeds
  [ "$t" = config ] && seeds=tests/unit/configs
  if ! "build/fuzz/fuzz_$t" -runs=0 -artifact_prefix=build/fuzz/ "$seeds" >"build/fuzz/smoke-$t.log" 2>&1; then
    echo "fuzz-smoke: fuzz_$t fails on its seeds (build/fuzz/smoke-$t.log)"; fail=1; continue
  fi
  echo "fuzz-smoke: ok: fuzz_$t builds and replays $seeds"
done
# the envs' fuzzer (envs/envs.mk, `make fuzz-envs`) makes its corpus from wasm: build only
make --no-print-directory -s build/fuzz/fuzz_envs >/dev/null && echo "fuzz-smoke: ok: fuzz_envs builds" ||
  { echo "fuzz-smoke: fuzz_envs does not build"; fail=1; }
for t in net http; do
  dict=tests/fuzz/$t.dict
  mkdir -p "build/fuzz/$t-corpus"
  if ! "build/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" -max_len=4096 -dict="$dict" \
    -artifact_prefix=build/fuzz/ "build/fuzz/$t-corpus" "tests/fuzz/$t-seeds" >"build/fuzz/smoke-$t.log" 2>&1; then
    echo "fuzz-smoke: fuzz_$t found something in ${SECONDS_EACH} s (build/fuzz/smoke-$t.log, build/fuzz/crash-*)"; fail=1; continue
  fi
  echo "fuzz-smoke: ok: fuzz_$t for ${SECONDS_EACH} s: $(grep -o 'Done [0-9]* runs' "build/fuzz/smoke-$t.log")"
done
exit $fail
