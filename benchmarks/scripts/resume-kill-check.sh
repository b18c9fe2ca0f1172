#!/usr/bin/env bash
# The resume check: a training run checkpointing every epoch is killed with kill -9 several times
# (in the middle of an epoch, right as a checkpoint lands, and at a random moment), resumed with
# --resume each time until it finishes, and its report is compared with an uninterrupted run's,
# ignoring only wall-clock fields (per-epoch seconds, heap, env.date).
#
#   benchmarks/scripts/resume-kill-check.sh [WORK_DIR] [-- extra train flags]
#
# Defaults: LightGCN on test-data/ (the bundled synthetic set), 14 epochs, --threads 1. Extra flags
# after "--" replace the model settings, e.g. -- --model freedom --data ../shared/data/lastfm-2k.
# Exits 0 when the reports are identical, 1 when they differ or a step failed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${1:-$(mktemp -d)}"
shift || true
[[ "${1:-}" == "--" ]] && shift
mkdir -p "$work"
ck="$work/ck"
rm -rf "$ck" "$work/a.json" "$work/b.json" "$work"/run-*.log
epochs=14
settings=(--model lightgcn --dim 64 --batch 128)
[[ $# -gt 0 ]] && settings=("$@")
flags=("${settings[@]}" --epochs "$epochs" --patience "$epochs" --seed 7 --threads 1)
weft="$root/weft"

"$weft" version >/dev/null   # builds now, so that build time does not land inside the timings

# The epoch of the state checkpoint.json names (-1 when there is none yet).
ck_epoch() {
  local e
  e="$(grep -o '"file": "state-[0-9]*\.safetensors"' "$ck/checkpoint.json" 2>/dev/null | grep -o '[0-9][0-9]*' || true)"
  if [[ -z "$e" ]]; then echo -1; else echo $((10#$e)); fi
}

# Waits until the checkpoint has reached at least epoch $1 (or the run has ended).
wait_for_epoch() {
  local want=$1 pid=$2
  while [[ $(ck_epoch) -lt $want ]]; do
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.02
  done
}

run=0
# Starts a run in the background (fresh the first time, --resume after), kills it with -9 at the moment
# chosen by $1: "mid" (half an epoch after a checkpoint), "landed" (as soon as a new checkpoint appears),
# "random" (0-2 epochs' time after one).
kill_once() {
  local how=$1 resume=()
  run=$((run + 1))
  if [[ -f "$ck/checkpoint.json" ]]; then resume=(--resume "$ck"); else resume=(--checkpoint "$ck" --checkpoint-every 1); fi
  "$weft" train "${flags[@]}" "${resume[@]}" >"$work/run-$run.log" 2>&1 &
  local pid=$! start
  start=$(ck_epoch)
  wait_for_epoch $((start + 2)) "$pid" || { echo "run $run ended before it could be killed"; cat "$work/run-$run.log"; exit 1; }
  local t1 e1 t2 epoch_s
  e1=$(ck_epoch); t1=$(date +%s.%N)
  wait_for_epoch $((e1 + 1)) "$pid" || { echo "run $run ended before it could be killed"; exit 1; }
  t2=$(date +%s.%N)
  epoch_s=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.3f", b - a }')
  case "$how" in
    mid) sleep "$(awk -v s="$epoch_s" 'BEGIN { printf "%.3f", s / 2 }')" ;;
    landed) ;;
    random) sleep "$(awk -v s="$epoch_s" -v r="$RANDOM" 'BEGIN { printf "%.3f", s * 2 * r / 32768 }')" ;;
  esac
  local at phase
  at=$(ck_epoch)
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  if ls -A "$ck" | grep -q '\.tmp$'; then phase="while writing a checkpoint"; else phase="during epoch $((at + 1)) (no write in progress)"; fi
  echo "run $run: kill -9 ($how, ~${epoch_s}s per epoch) $phase; checkpoint.json names epoch $at; the folder holds: $(ls -A "$ck" | tr '\n' ' ')"
}

kill_once mid
kill_once landed
kill_once random
run=$((run + 1))
echo "run $run: --resume $ck to the end"
"$weft" train "${flags[@]}" --resume "$ck" --report "$work/a.json" >"$work/run-$run.log" 2>&1 \
  || { echo "the final resume failed:"; cat "$work/run-$run.log"; exit 1; }
grep -h '^resuming' "$work"/run-*.log || true
echo "uninterrupted run"
"$weft" train "${flags[@]}" --report "$work/b.json" >"$work/run-straight.log" 2>&1 \
  || { echo "the uninterrupted run failed:"; cat "$work/run-straight.log"; exit 1; }
status=0
java -cp "$root/models/target/weft-models.jar:$root/models/target/lib/*" weft.models.train.ReportDiff "$work/a.json" "$work/b.json" || status=1

# A copy of the final checkpoint with one byte flipped in the middle of its state file must be refused.
rm -rf "$work/ck-flipped" && cp -r "$ck" "$work/ck-flipped"
state="$(ls "$work/ck-flipped"/state-*.safetensors)"
size=$(stat -c %s "$state")
byte=$(od -An -tu1 -j $((size / 2)) -N1 "$state" | tr -d ' ')
printf "$(printf '\\%03o' $(( (byte + 1) % 256 )))" | dd of="$state" bs=1 seek=$((size / 2)) conv=notrunc status=none
rc=0
"$weft" train "${flags[@]}" --resume "$work/ck-flipped" --quiet >"$work/run-flipped.log" 2>&1 || rc=$?
echo "one byte flipped in $(basename "$state"): exit $rc, $(grep -v '^weft 0' "$work/run-flipped.log" | tail -1)"
if [[ $rc == 0 ]] || ! grep -q 'SHA-256 mismatch' "$work/run-flipped.log"; then status=1; fi
exit $status
