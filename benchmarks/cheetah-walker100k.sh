#!/usr/bin/env bash
# cheetah-walker100k: the benchmark section <!-- bench:cheetah-walker100k -->
# Published in docs/benchmarks.md#cheetah-walker100k. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag cheetah-walker100k \
    --algos spma mdpo ppo trpo \
    --envs HalfCheetah-v4 Walker2d-v4 \
    --seeds 0 1 2 -n 100000 \
    --eval-freq 25000 \
    --eval-episodes 5 \
    --workers 2 \
    --doc docs/benchmarks.md \
    --note 'HalfCheetah-v4 and Walker2d-v4 at 100k steps; eta = 1 untuned on these envs.' "$@"
