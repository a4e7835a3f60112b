#!/usr/bin/env bash
# Rank1NPG, more natural steps per rollout (held-out seeds)
# Published in docs/rank1_npg.md#more-natural-steps-per-rollout-held-out-screen. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
extra=("$@")
for t in "hopper Hopper-v4 0.01 0.0075" "cheetah HalfCheetah-v4 0.02 0.015"; do
  set -- $t
  python scripts/benchmark.py --tag "r1-screen-$1" --algos rank1_npg rank1_npg@e3 rank1_npg@mb4 rank1_npg@ps \
      --envs "$2" --seeds 10 11 12 -n 300000 --eval-freq 50000 --eval-episodes 5 --workers 2 \
      --baseline rank1_npg --out "docs/benchmarks/rank1-step-screen/$1" --params rank1_npg@e3:n_epochs:3 \
      "rank1_npg@e3:delta:$3" rank1_npg@mb4:batch_size:512 "rank1_npg@mb4:delta:$4" \
      "rank1_npg@ps:fisher:'per_sample'" rank1_npg@ps:damping:1.0 "${extra[@]}"
done
