#!/usr/bin/env bash
# hopper300k: the benchmark section <!-- bench:hopper300k -->
# Published in docs/benchmarks.md#hopper300k. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag hopper300k \
    --algos spma ppo trpo \
    --envs Hopper-v4 \
    --seeds 0 1 2 -n 300000 \
    --eval-freq 50000 \
    --eval-episodes 5 \
    --workers 2 \
    --doc docs/benchmarks.md \
    --note 'Hopper-v4 at the issue'"'"'s budget (300k steps, 3 seeds): SPMA (our yml, eta = 1) against the zoo'"'"'s tuned PPO and TRPO. Only Hopper fitted in this session at this budget.' "$@"
