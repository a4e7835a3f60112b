#!/usr/bin/env bash
# mujoco300k: the benchmark section <!-- bench:mujoco300k -->
# Published in docs/benchmarks.md#mujoco300k. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag mujoco300k \
    --algos spma mdpo ppo trpo \
    --envs Hopper-v4 HalfCheetah-v4 Walker2d-v4 \
    --seeds 0 1 2 -n 300000 \
    --eval-freq 50000 \
    --eval-episodes 5 \
    --workers 2 \
    --reuse \
    --doc docs/benchmarks.md \
    --note 'The foundation issue'"'"'s MuJoCo targets at its budget (300k steps, 3 seeds, -v4), side by side: SPMA and MDPO with our yml (eta 1; log_std_init -1 on HalfCheetah and Walker2d), the zoo'"'"'s tuned PPO and TRPO. The Hopper-v4 runs of spma, ppo and trpo are those of the hopper300k section (same command and settings, reused with --reuse).' "$@"
