#!/usr/bin/env bash
# breakout100k: the benchmark section <!-- bench:breakout100k -->
# Published in docs/benchmarks.md#breakout100k. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag breakout100k \
    --algos spma ppo \
    --envs BreakoutNoFrameskip-v4 \
    --seeds 0 -n 100000 \
    --eval-freq 20000 \
    --eval-episodes 10 \
    --workers 2 \
    --doc docs/benchmarks.md \
    --note 'Atari, CNN path: Breakout at a short budget (100k steps, one seed), our atari entry (SPMA paper Table 1: Adam inner loop, 8 envs, T = 128, separate actor and critic CNNs) against the zoo'"'"'s PPO atari entry. Evaluation is stochastic on Atari (the zoo'"'"'s rule); a uniformly random policy scores about 1.5 here. Ran beside the mujoco300k and rank1-mujoco300k benchmarks, so its env-steps/s are lower than on an idle machine.' "$@"
