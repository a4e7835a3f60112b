#!/usr/bin/env bash
# s2pg-novel-offpolicy-lunar: S2PG-SAC and S2PG-TD3 against the zoo's tuned SAC and TD3 (their full-state
# LunarLanderContinuous-v3 entries, unchanged: benchmarks/hyperparams/{sac,td3}_novel.yml), memoryless and with 4
# stacked frames, on LunarLanderContinuousNoVel-v3 (box2d extra) at each entry's own zoo budget (SAC 5e5, TD3 3e5
# steps; no -n), 3 seeds (issue 12). Many hours of one core: resume with the same line (--reuse).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag s2pg-novel-offpolicy-lunar \
    --algos s2pg_sac sac@novel sac@novel-stack4 s2pg_td3 td3@novel td3@novel-stack4 \
    --envs LunarLanderContinuousNoVel-v3 \
    --seeds 0 1 2 \
    --eval-freq 25000 \
    --eval-episodes 10 \
    --workers 1 \
    --baseline sac@novel \
    --reuse \
    --checkpoint-freq 50000 \
    --doc docs/benchmarks.md \
    --note 'S2PG-SAC and S2PG-TD3 against the zoo'"'"'s tuned SAC and TD3 (their full-state LunarLanderContinuous-v3 entries, unchanged: benchmarks/hyperparams/{sac,td3}_novel.yml), memoryless and with 4 stacked frames, on LunarLanderContinuousNoVel-v3 at each entry'"'"'s zoo budget (SAC family 5e5 steps, TD3 family 3e5), 3 seeds.' "$@"
