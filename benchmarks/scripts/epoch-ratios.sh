#!/usr/bin/env bash
# Seed-model epoch time relative to LightGCN: trains each model for some epochs with `weft train`
# (early stopping off), drops the first half of them (JIT warm-up: a seed model calls each of its
# many small ops only a few hundred times per epoch, so C2 reaches them gradually; TMFUN's epochs
# on Last.fm-2K fall from 0.94 s to 0.49 s over the first 12), and prints the median seconds per
# epoch (training and validation) of the rest, with the ratio to LightGCN's, from the JSON reports.
# The median, not the mean: on a shared machine single epochs spike. The machine's speed also drifts
# by 10-30 % over minutes, so when LightGCN is listed it runs first and again after every other
# model, and each model's ratio is to the mean of the two LightGCN runs around it.
#
#   benchmarks/scripts/epoch-ratios.sh [DATA_DIR] [EPOCHS] [THREADS] [MODELS] [ROUNDS]
#   benchmarks/scripts/epoch-ratios.sh ../shared/data/lastfm-2k 20 2 lightgcn,hmarec,crane,dprec,tmfun 3
#
# ROUNDS (default 1) repeats the whole sequence in fresh JVMs and prints each round's table, then
# every model's ratios over the rounds and their median: one round's ratio moves by 10-20 % from
# run to run on these machines (HMA-Rec read 6.4-7.9 in one afternoon), more than most changes.
#
# On Last.fm-2K the modalities are text=all-MiniLM-L6-v2.npy and audio=vggish.npy (added when those
# files are present). Run it on a quiet machine: the ratios are only as good as the timings.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
data="${1:-$root/../shared/data/lastfm-2k}"
epochs="${2:-20}"
threads="${3:-2}"
models="${4:-lightgcn,hmarec,crane,dprec,tmfun}"
rounds="${5:-1}"
if ! [[ "$rounds" =~ ^[1-9][0-9]*$ ]]; then echo "epoch-ratios: ROUNDS must be a positive integer, got '$rounds'" >&2; exit 2; fi
skip=$(( epochs / 2 ))
if (( epochs < 4 )); then echo "epoch-ratios: EPOCHS must be at least 4 (the first half is warm-up)" >&2; exit 2; fi
mods=()
[[ -f "$data/all-MiniLM-L6-v2.npy" ]] && mods+=(--modality text=all-MiniLM-L6-v2.npy)
[[ -f "$data/vggish.npy" ]] && mods+=(--modality audio=vggish.npy)
out="$(mktemp -d "${TMPDIR:-/tmp}/weft-epochs.XXXXXX")"
trap 'rm -rf "$out"' EXIT
IFS=, read -r -a list <<<"$models"
run() { # model, report name
  local m="$1" name="$2" extra=("${mods[@]}")
  echo "epoch-ratios: $m ($(date -u +%H:%M:%S) UTC)" >&2
  [[ "$m" == lightgcn || "$m" == bprmf || "$m" == popularity ]] && extra=()
  "$root/weft" train --model "$m" --data "$data" "${extra[@]}" --epochs "$epochs" --patience "$epochs" \
      --threads "$threads" --quiet --report "$out/$name.json" >"$out/$name.log" 2>&1 || { cat "$out/$name.log" >&2; exit 1; }
}
for ((round = 1; round <= rounds; round++)); do
(( rounds > 1 )) && echo "round $round of $rounds"
order=()   # report names in the order run
others=()
for m in "${list[@]}"; do [[ "$m" == lightgcn ]] || others+=("$m"); done
if (( ${#others[@]} < ${#list[@]} && ${#others[@]} > 0 )); then   # LightGCN listed, with others
  run lightgcn base-0; order+=(base-0)
  for ((i = 0; i < ${#others[@]}; i++)); do
    run "${others[i]}" "${others[i]}"; order+=("${others[i]}")
    run lightgcn "base-$((i + 1))"; order+=("base-$((i + 1))")
  done
else
  for m in "${list[@]}"; do run "$m" "$m"; order+=("$m"); done
fi
python3 - "$out" "$skip" "$out/round-$round.tsv" "${order[@]}" <<'PY'
import json, statistics, sys
out, skip, tsv, order = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
def med(name):
    e = json.load(open(f"{out}/{name}.json"))["epochs"][skip:]
    return (statistics.median(x["train_seconds"] for x in e), statistics.median(x["eval_seconds"] for x in e),
            statistics.median(x["train_seconds"] + x["eval_seconds"] for x in e), len(e))
bases = [med(n) for n in order if n.startswith("base-")]
rows = []
if bases:   # LightGCN around every model: its median run, and each model against its two neighbours
    b = sorted(bases, key=lambda r: r[2])[len(bases) // 2]
    rows.append(("lightgcn", b[0], b[1], b[2], b[3], 1.0))
    for i, name in enumerate(order):
        if not name.startswith("base-"):
            tr, ev, tot, n = med(name)
            around = (med(order[i - 1])[2] + med(order[i + 1])[2]) / 2
            rows.append((name, tr, ev, tot, n, tot / around))
    base_name = "lightgcn (around each)"
else:
    meds = [(m,) + med(m) for m in order]
    base = meds[0]
    rows = [(m, tr, ev, tot, n, tot / base[3]) for m, tr, ev, tot, n in meds]
    base_name = order[0]
print(f"{'model':10s} {'train s/epoch':>14s} {'valid s/epoch':>14s} {'total':>8s} {'x ' + base_name:>24s}  (medians of {rows[0][4]} epochs)")
for m, tr, ev, tot, n, x in rows:
    print(f"{m:10s} {tr:14.3f} {ev:14.3f} {tot:8.3f} {x:24.2f}")
if bases:
    print("lightgcn runs, total s/epoch: " + " ".join(f"{r[2]:.3f}" for r in bases))
with open(tsv, "w") as f:
    for m, tr, ev, tot, n, x in rows:
        f.write(f"{m}\t{x:.4f}\n")
PY
done
if (( rounds > 1 )); then
python3 - "$out" "$rounds" <<'PY'
import statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
ratios = {}
for r in range(1, rounds + 1):
    for line in open(f"{out}/round-{r}.tsv"):
        m, x = line.split("\t")
        ratios.setdefault(m, []).append(float(x))
print(f"over {rounds} rounds: {'model':10s} {'median ratio':>12s}  each round")
for m, xs in ratios.items():
    print(f"{'':17s}{m:10s} {statistics.median(xs):12.2f}  " + " ".join(f"{x:.2f}" for x in xs))
PY
fi
