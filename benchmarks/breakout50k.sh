#!/usr/bin/env bash
# breakout50k: the benchmark section <!-- bench:breakout50k -->
# Published in docs/benchmarks.md#breakout50k. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag breakout50k \
    --algos spma ppo \
    --envs BreakoutNoFrameskip-v4 \
    --seeds 0 -n 50000 \
    --eval-freq 10000 \
    --eval-episodes 5 \
    --workers 2 \
    --doc docs/benchmarks.md \
    --note 'Atari, CNN path: Breakout at a very short budget (50k steps, one seed), our atari entry (Adam inner loop, 8 envs, T = 128) against the zoo'"'"'s PPO atari entry. Evaluation is stochastic on Atari (the zoo'"'"'s rule).' "$@"
