#!/usr/bin/env bash
# s2pg-novel-offpolicy-mcc: S2PG-SAC and S2PG-TD3 against the zoo's tuned SAC and TD3 (their full-state
# MountainCarContinuous-v0 entries, unchanged: benchmarks/hyperparams/{sac,td3}_novel.yml), memoryless and with 4
# stacked frames, on MountainCarContinuousNoVel-v0 at each entry's own zoo budget (SAC 5e4, TD3 3e5 steps; no -n)
# (issue 12). Resume with the same line (--reuse); extra arguments are passed on.
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag s2pg-novel-offpolicy-mcc \
    --algos s2pg_sac sac@novel sac@novel-stack4 s2pg_td3 td3@novel td3@novel-stack4 \
    --envs MountainCarContinuousNoVel-v0 \
    --seeds 0 1 2 3 4 \
    --eval-freq 5000 \
    --eval-episodes 10 \
    --workers 1 \
    --baseline sac@novel \
    --reuse \
    --checkpoint-freq 50000 \
    --doc docs/benchmarks.md \
    --note 'S2PG-SAC and S2PG-TD3 against the zoo'"'"'s tuned SAC and TD3 (their full-state MountainCarContinuous-v0 entries, unchanged: benchmarks/hyperparams/{sac,td3}_novel.yml), memoryless and with 4 stacked frames, on MountainCarContinuousNoVel-v0 at each entry'"'"'s zoo budget (SAC family 5e4 steps, TD3 family 3e5). The zoo'"'"'s SAC entry explores with gSDE, which S2PG-SAC does not have; its TD3 entry uses Ornstein-Uhlenbeck noise, S2PG-TD3 independent Gaussian noise of the same std.' "$@"
