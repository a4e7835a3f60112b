#!/usr/bin/env bash
# rank1-classic100k: the benchmark section <!-- bench:rank1-classic100k -->
# Published in docs/benchmarks.md#rank1-classic100k. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag rank1-classic100k \
    --algos rank1_npg a2c trpo ppo \
    --envs CartPole-v1 Acrobot-v1 Pendulum-v1 \
    --seeds 0 1 2 3 4 -n 100000 \
    --eval-freq 10000 \
    --eval-episodes 10 \
    --workers 2 \
    --baseline a2c \
    --reuse \
    --doc docs/benchmarks.md \
    --note 'Rank1NPG (issue #3) on the three classic-control tasks of its returns target, 100k steps (the zoo'"'"'s TRPO budget) x 5 seeds, against the zoo'"'"'s tuned A2C, TRPO and PPO, all run on 2026-11-21 in this one invocation (without --reuse), two trainings at a time beside nothing else. Returns are negative on Acrobot and Pendulum, so there a final / a2c below 1 means better than A2C.' "$@"
