#!/usr/bin/env bash
# tune-s2pg-cartpolenovel-zoo: the shipped s2pg_ppo CartPoleNoVel-v1 entry against the same entry with the rollout
# and schedule of the zoo's tuned ppo_lstm CartPoleNoVel-v1 entry (n_steps 32, 20 epochs, gamma 0.98, gae_lambda
# 0.8, linear learning-rate and clip schedules, observation normalisation; S2PG's own networks), on seeds 10-14,
# never the benchmark's 0-4, at the zoo's budget (issue 12). Published in docs/benchmarks/tuning.md. Extra
# arguments are passed on.
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag tune-s2pg-CartPoleNoVel-v1-zoo --algos s2pg_ppo s2pg_ppo@zoo-lstm \
    --params s2pg_ppo@zoo-lstm:n_steps:32 s2pg_ppo@zoo-lstm:n_epochs:20 s2pg_ppo@zoo-lstm:gamma:0.98 \
    s2pg_ppo@zoo-lstm:gae_lambda:0.8 "s2pg_ppo@zoo-lstm:learning_rate:'lin_0.001'" \
    "s2pg_ppo@zoo-lstm:clip_range:'lin_0.2'" s2pg_ppo@zoo-lstm:normalize:True \
    --envs CartPoleNoVel-v1 --seeds 10 11 12 13 14 -n 100000 --eval-freq 5000 --eval-episodes 10 \
    --workers 1 --reuse --baseline s2pg_ppo --doc docs/benchmarks/tuning.md \
    --note 'The shipped s2pg_ppo CartPoleNoVel-v1 entry (n_steps 256, 10 epochs, gamma 0.99, constant learning rate 1e-3) against the same entry with the rollout and schedules of the zoo'"'"'s tuned ppo_lstm CartPoleNoVel-v1 entry (n_steps 32, 20 epochs, gamma 0.98, gae_lambda 0.8, linear learning-rate and clip schedules from 1e-3 and 0.2, observation normalisation), S2PG'"'"'s own networks, on seeds 10-14 (never the benchmark'"'"'s 0-4), at the zoo'"'"'s 1e5 steps. Neither is ahead on the final return; the zoo'"'"'s rollout has the larger AUC at about 1.4x the time per env step. The shipped entry is kept.' "$@"
