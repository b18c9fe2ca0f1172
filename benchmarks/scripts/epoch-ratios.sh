#!/usr/bin/env bash
# Seed-model epoch time relative to LightGCN: trains each model for some epochs with `weft train`
# (early stopping off), drops the first half of them (JIT warm-up: a seed model calls each of its
# many small ops only a few hundred times per epoch, so C2 reaches them gradually; TMFUN's epochs
# on Last.fm-2K fall from 0.94 s to 0.49 s over the first 12), and prints the median seconds per
# epoch (training and validation) of the rest, with the ratio to LightGCN's, from the JSON reports.
# The median, not the mean: on a shared machine single epochs spike.
#
#   benchmarks/scripts/epoch-ratios.sh [DATA_DIR] [EPOCHS] [THREADS] [MODELS]
#   benchmarks/scripts/epoch-ratios.sh ../shared/data/lastfm-2k 20 2 lightgcn,hmarec,crane,dprec,tmfun
#
# On Last.fm-2K the modalities are text=all-MiniLM-L6-v2.npy and audio=vggish.npy (added when those
# files are present). Run it on a quiet machine: the ratios are only as good as the timings.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
data="${1:-$root/../shared/data/lastfm-2k}"
epochs="${2:-20}"
threads="${3:-2}"
models="${4:-lightgcn,hmarec,crane,dprec,tmfun}"
skip=$(( epochs / 2 ))
if (( epochs < 4 )); then echo "epoch-ratios: EPOCHS must be at least 4 (the first half is warm-up)" >&2; exit 2; fi
mods=()
[[ -f "$data/all-MiniLM-L6-v2.npy" ]] && mods+=(--modality text=all-MiniLM-L6-v2.npy)
[[ -f "$data/vggish.npy" ]] && mods+=(--modality audio=vggish.npy)
out="$(mktemp -d "${TMPDIR:-/tmp}/weft-epochs.XXXXXX")"
trap 'rm -rf "$out"' EXIT
IFS=, read -r -a list <<<"$models"
for m in "${list[@]}"; do
  echo "epoch-ratios: $m ($(date -u +%H:%M:%S) UTC)" >&2
  extra=("${mods[@]}")
  [[ "$m" == lightgcn || "$m" == bprmf || "$m" == popularity ]] && extra=()
  "$root/weft" train --model "$m" --data "$data" "${extra[@]}" --epochs "$epochs" --patience "$epochs" \
      --threads "$threads" --quiet --report "$out/$m.json" >"$out/$m.log" 2>&1 || { cat "$out/$m.log" >&2; exit 1; }
done
python3 - "$out" "$skip" "${list[@]}" <<'PY'
import json, statistics, sys
out, skip, models = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rows = []
for m in models:
    e = json.load(open(f"{out}/{m}.json"))["epochs"][skip:]
    tr = statistics.median(x["train_seconds"] for x in e)
    ev = statistics.median(x["eval_seconds"] for x in e)
    tot = statistics.median(x["train_seconds"] + x["eval_seconds"] for x in e)
    rows.append((m, tr, ev, tot, len(e)))
base = next((r for r in rows if r[0] == "lightgcn"), rows[0])
print(f"{'model':10s} {'train s/epoch':>14s} {'valid s/epoch':>14s} {'total':>8s} {'x ' + base[0]:>12s}  (medians of {rows[0][4]} epochs)")
for m, tr, ev, tot, n in rows:
    print(f"{m:10s} {tr:14.3f} {ev:14.3f} {tot:8.3f} {tot / base[3]:12.2f}")
PY
