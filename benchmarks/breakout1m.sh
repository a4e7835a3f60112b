#!/usr/bin/env bash
# breakout1m: the Atari CNN path at 1M steps x 2 seeds (issue 14): our SPMA atari entry against the zoo's PPO atari
# entry on Breakout. Hours of one core per run here (58-104 env-steps/s in a 2k-step smoke run on a loaded machine);
# resume with the same line (--reuse: an interrupted run continues from its last checkpoint, every 50k steps, so a
# run can span sessions); extra arguments are passed on.
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag breakout1m \
    --algos spma ppo \
    --envs BreakoutNoFrameskip-v4 \
    --seeds 0 1 -n 1000000 \
    --eval-freq 100000 \
    --eval-episodes 10 \
    --workers 1 \
    --reuse \
    --checkpoint-freq 50000 \
    --doc docs/benchmarks.md \
    --note 'Atari, CNN path, at 1M steps x 2 seeds: our atari entry (SPMA paper Table 1: Adam inner loop, 8 envs, T = 128, separate actor and critic CNNs) against the zoo'"'"'s PPO atari entry. Evaluation is stochastic on Atari (the zoo'"'"'s rule); a uniformly random policy scores about 1.5.' "$@"
