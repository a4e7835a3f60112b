#!/usr/bin/env bash
# rank1-mujoco300k: the benchmark section <!-- bench:rank1-mujoco300k -->
# Published in docs/benchmarks.md#rank1-mujoco300k. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag rank1-mujoco300k \
    --algos rank1_npg a2c trpo ppo \
    --envs Hopper-v4 HalfCheetah-v4 \
    --seeds 0 1 2 3 4 -n 300000 \
    --eval-freq 50000 \
    --eval-episodes 5 \
    --workers 2 \
    --baseline a2c \
    --reuse \
    --doc docs/benchmarks.md \
    --note 'Rank1NPG (issue #3) on the two MuJoCo tasks of its returns target, 300k steps x 5 seeds, against the zoo'"'"'s tuned A2C, TRPO and PPO. Rank1NPG ran with delta = 0.01 x action dims (sb3-contrib TRPO'"'"'s effective radius, see docs/rank1_npg.md#the-kl-radius). Seeds 0-2 of every algorithm come from earlier runs with the same command and settings (TRPO and PPO: those of the mujoco300k and hopper300k sections), seeds 3-4 were run on 2026-11-21, two trainings at a time beside nothing else; --reuse takes the earlier seeds'"'"' evaluations and env-steps/s as they were, so the env-steps/s mix loads.' "$@"
