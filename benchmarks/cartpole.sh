#!/usr/bin/env bash
# cartpole: the benchmark section <!-- bench:cartpole -->
# Published in docs/benchmarks.md#cartpole. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag cartpole \
    --algos spma mdpo trpo_reg ppo trpo \
    --envs CartPole-v1 \
    --seeds 0 1 2 -n 100000 \
    --eval-freq 5000 \
    --eval-episodes 10 \
    --workers 2 \
    --threshold CartPole-v1:475 \
    --doc docs/benchmarks.md \
    --note 'Classic control: our hyperparams/*.yml against the zoo'"'"'s tuned PPO and TRPO (sb3-contrib).' "$@"
