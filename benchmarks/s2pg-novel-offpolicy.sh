#!/usr/bin/env bash
# s2pg-novel-offpolicy: S2PG-SAC and S2PG-TD3 against the zoo's tuned SAC and TD3 (their full-state entries,
# unchanged: benchmarks/hyperparams/{sac,td3}_novel.yml), memoryless and with 4 stacked frames, on the zoo's
# velocity-masked continuous tasks at the zoo's budget (issue 12). Resume with the same line (--reuse); extra
# arguments are passed on.
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag s2pg-novel-offpolicy \
    --algos s2pg_sac s2pg_td3 sac@novel td3@novel sac@novel-stack4 td3@novel-stack4 \
    --envs PendulumNoVel-v1 \
    --seeds 0 1 2 3 4 -n 20000 \
    --eval-freq 2000 \
    --eval-episodes 10 \
    --workers 1 \
    --baseline sac@novel \
    --reuse \
    --doc docs/benchmarks.md \
    --note 'S2PG-SAC and S2PG-TD3 against the zoo'"'"'s tuned SAC and TD3 (their full-state Pendulum-v1 entries, unchanged: benchmarks/hyperparams/{sac,td3}_novel.yml), memoryless and with 4 stacked frames, on PendulumNoVel-v1 at the zoo'"'"'s budget (2e4 steps).' "$@"
