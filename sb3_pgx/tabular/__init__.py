"""Exact tabular lab: MDPs, exact values and gradients, and the tabular methods of the SPMA / APG / SPG-NM
papers."""

from sb3_pgx.tabular.envs import (
    bandit,
    cliff_world,
    five_state_mdp,
    from_gymnasium,
    frozen_lake,
    uniform_logits,
)
from sb3_pgx.tabular.mdp import (
    Evaluation,
    TabularMDP,
    evaluate,
    evaluate_policy,
    objective,
    policy_gradient,
    policy_iteration,
    softmax,
    values,
)
from sb3_pgx.tabular.methods import APG, METHODS, NPG, SPG, SPGNM, SPMA, PGAdam, PGHeavyBall, TabularMethod
from sb3_pgx.tabular.runner import RunResult, log_checkpoints, run

__all__ = [
    "APG",
    "METHODS",
    "NPG",
    "SPG",
    "SPGNM",
    "SPMA",
    "Evaluation",
    "PGAdam",
    "PGHeavyBall",
    "RunResult",
    "TabularMDP",
    "TabularMethod",
    "bandit",
    "cliff_world",
    "evaluate",
    "evaluate_policy",
    "five_state_mdp",
    "from_gymnasium",
    "frozen_lake",
    "log_checkpoints",
    "objective",
    "policy_gradient",
    "policy_iteration",
    "run",
    "softmax",
    "uniform_logits",
    "values",
]
