#!/usr/bin/env bash
# eta grids of SPMA (formerly scripts/tune_eta.py, now --grid): one section per grid
# Published in docs/benchmarks/tuning.md. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
for normalize in True False; do
  python scripts/benchmark.py --tag "tune-spma-Hopper-v4-normalize$normalize" --algos spma --envs Hopper-v4 \
      --grid eta=0.3,1,3 --grid "normalize=$normalize" --seeds 0 1 -n 100000 --eval-freq 10000 --workers 2 \
      --baseline spma --doc docs/benchmarks/tuning.md "$@"
done
python scripts/benchmark.py --tag tune-spma-HalfCheetah-v4 --algos spma --envs HalfCheetah-v4 --grid eta=0.3,1,3 \
    --seeds 0 1 -n 100000 --eval-freq 25000 --workers 2 --baseline spma --doc docs/benchmarks/tuning.md "$@"
