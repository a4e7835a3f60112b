#!/usr/bin/env bash
# Rank1NPG returns, first run (3 seeds) against A2C, PPO and TRPO
# Published in docs/rank1_npg.md#first-run-3-seeds-and-the-per-sample-reading-on-cartpole. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag rank1-returns --algos a2c ppo trpo rank1_npg \
    --envs CartPole-v1 Pendulum-v1 Acrobot-v1 --seeds 0 1 2 -n 100000 --eval-freq 10000 --eval-episodes 10 \
    --workers 1 --baseline trpo "$@"
