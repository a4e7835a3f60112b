#!/usr/bin/env bash
# mujoco1m: the headline at the budget users compare (issue 14): SPMA, PPO and TRPO on the zoo's MuJoCo -v4 tasks,
# 1M steps x 5 seeds, the zoo's tuned files for PPO/TRPO and ours for SPMA. Runs for many hours on 2 cores:
# start it in the background (one log), resume with the same line: --reuse never reruns a finished run, and
# continues an interrupted one from its last checkpoint (every 50k steps). Extra arguments are passed on (e.g.
# --workers 2, or --backend ray --address HOST:PORT --checkpoint-freq 0: Ray tasks are not checkpointed).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag mujoco1m \
    --algos spma ppo trpo \
    --envs Hopper-v4 HalfCheetah-v4 Walker2d-v4 \
    --seeds 0 1 2 3 4 -n 1000000 \
    --eval-freq 50000 \
    --eval-episodes 10 \
    --workers 1 \
    --reuse \
    --checkpoint-freq 50000 \
    --doc docs/benchmarks.md \
    --note 'The headline at the budget users compare (1M steps, -v4, the zoo'"'"'s tuned PPO and TRPO files, ours for SPMA), evaluated every 50k steps on 10 deterministic episodes as the zoo does. Published 1M-step references, not the same runs nor the same protocol: rl-zoo3 benchmark.md PPO (one trained agent per task, on -v3, deterministic evaluation) Hopper 2410, HalfCheetah 5819, Walker2d 3479; CleanRL ppo_continuous_action (its docs, openrlbenchmark tag pr-424, gymnasium -v4, return of the training episodes with sampled actions, mean ± std over its seeds) Hopper 2383 ± 272, HalfCheetah 1443 ± 46, Walker2d 2288 ± 572.' "$@"
