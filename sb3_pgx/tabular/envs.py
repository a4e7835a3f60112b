"""The tabular problems of the SPG-NM / APG and SPMA papers, and any gymnasium toy-text environment.

Bandit and 5-state MDP: verbatim from the APG repository's ``true-gradient-mdp/mdp_env/*.yaml`` (see
``references/momentum_methods.md`` §1.5; the hard initialisation uses the yaml's s1 row ``[1, 2, 4, 3, 5]``,
which matches the published curves, rather than the workshop paper's ``[1, 2, 3, 4, 5]``).

CliffWorld and FrozenLake are built from gymnasium's own ``env.unwrapped.P`` tables. A transition flagged
``terminated`` leads, by default, to an absorbing zero-reward state (``terminal="absorb"``);
``terminal="reset"`` sends it back to the initial distribution instead (the SPMA paper's CliffWorld "moves the
agent back to the starting point"). With gymnasium's CliffWalking rewards (-1 every step) the reset variant
makes every cliff-avoiding policy optimal, so the absorbing variant is our default for both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sb3_pgx.tabular.mdp import TabularMDP

BANDIT_REWARDS = np.array([1.0, 0.99, 0.0])
BANDIT_INITS = {"uniform": np.zeros(3), "hard": np.array([1.0, 3.0, 5.0])}

MDP5_REWARDS = np.array(
    [
        [1.0, 0.8, 0.6, 0.7, 0.4],
        [0.5, 0.3, 0.1, 1.0, 0.6],
        [0.6, 0.9, 0.8, 0.7, 1.0],
        [0.1, 0.2, 0.6, 0.7, 0.4],
        [0.8, 0.4, 0.6, 0.2, 0.9],
    ]
)
MDP5_TRANSITIONS = np.array(
    [
        # P[s, a, :] for a = a1..a5, one line per state s1..s5
        [[.1,.5,.1,.2,.1], [.6,.1,.1,.1,.1], [.5,.1,.1,.2,.1], [.4,.3,.1,.1,.1], [.2,.1,.1,.1,.5]],
        [[.1,.5,.2,.1,.1], [.4,.1,.2,.2,.1], [.1,.4,.3,.1,.1], [.4,.1,.1,.1,.3], [.2,.2,.2,.2,.2]],
        [[.6,.1,.1,.1,.1], [.2,.4,.1,.2,.1], [.3,.3,.2,.1,.1], [.1,.4,.3,.1,.1], [.2,.1,.1,.1,.5]],
        [[.6,.1,.1,.1,.1], [.1,.5,.1,.2,.1], [.2,.1,.1,.1,.5], [.4,.3,.1,.1,.1], [.5,.1,.1,.2,.1]],
        [[.2,.2,.2,.2,.2], [.4,.1,.2,.2,.1], [.4,.1,.1,.3,.1], [.1,.4,.2,.1,.2], [.2,.5,.1,.1,.1]],
    ]
)  # fmt: skip
MDP5_RHO = np.array([0.3, 0.2, 0.1, 0.15, 0.25])
MDP5_INITS = {
    "uniform": np.zeros((5, 5)),
    "hard": np.array(
        [[1, 2, 4, 3, 5], [3, 4, 5, 1, 2], [5, 2, 3, 4, 1], [5, 4, 2, 1, 3], [2, 4, 3, 5, 1]],
        dtype=np.float64,
    ),
}

INITS = ("uniform", "hard")
TERMINAL_MODES = ("absorb", "reset")


def _check_init(init: str) -> None:
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}; got {init!r}")


def bandit(init: str = "uniform") -> tuple[TabularMDP, np.ndarray]:
    """The 3-armed bandit ``r = [1, 0.99, 0]`` (one state, gamma = 0) and its initial logits.

    :param init: ``"uniform"`` (theta = 0) or ``"hard"`` (theta = [1, 3, 5]: the best arm is the least likely)
    """
    _check_init(init)
    mdp = TabularMDP(np.ones((1, 3, 1)), BANDIT_REWARDS[None].copy(), 0.0, np.ones(1), name=f"bandit_{init}")
    return mdp, BANDIT_INITS[init][None].copy()


def five_state_mdp(init: str = "uniform") -> tuple[TabularMDP, np.ndarray]:
    """The 5-state, 5-action MDP of the APG paper (gamma = 0.9, V*(rho) = 9.4084) and its initial logits.

    :param init: ``"uniform"`` (theta = 0) or ``"hard"`` (the yaml's hard table)
    """
    _check_init(init)
    mdp = TabularMDP(MDP5_TRANSITIONS.copy(), MDP5_REWARDS.copy(), 0.9, MDP5_RHO.copy(), name=f"mdp5_{init}")
    return mdp, MDP5_INITS[init].copy()


def from_gymnasium(
    env_id: str, gamma: float = 0.9, terminal: str = "absorb", name: str | None = None, **make_kwargs: Any
) -> TabularMDP:
    """Build the exact MDP of a gymnasium toy-text environment from its ``unwrapped.P`` table.

    :param env_id: e.g. ``"CliffWalking-v1"`` or ``"FrozenLake-v1"``
    :param gamma: discount factor in [0, 1)
    :param terminal: ``"absorb"`` (a terminating transition enters its next state, which becomes absorbing
        with reward 0) or ``"reset"`` (a terminating transition restarts from the initial distribution)
    :param name: label (defaults to ``env_id``)
    :param make_kwargs: passed to ``gymnasium.make`` (e.g. ``is_slippery=False``)
    """
    import gymnasium as gym

    if terminal not in TERMINAL_MODES:
        raise ValueError(f"terminal must be one of {TERMINAL_MODES}; got {terminal!r}")
    env = gym.make(env_id, **make_kwargs).unwrapped
    n_states, n_actions = env.observation_space.n, env.action_space.n
    rho = np.asarray(env.initial_state_distrib, dtype=np.float64)
    # Flatten the dict-of-lists table into arrays once, then scatter with numpy.
    rows = [
        (s, a, p, s2, rew, done)
        for s in range(n_states)
        for a in range(n_actions)
        for p, s2, rew, done in env.P[s][a]
    ]
    s_idx, a_idx, prob, next_s, reward, done = (np.array(c) for c in zip(*rows, strict=False))
    prob, reward, done = prob.astype(np.float64), reward.astype(np.float64), done.astype(bool)
    r = np.zeros((n_states, n_actions))
    np.add.at(r, (s_idx, a_idx), prob * reward)
    P = np.zeros((n_states, n_actions, n_states))
    if terminal == "absorb":
        np.add.at(P, (s_idx, a_idx, next_s), prob)
        absorbing = np.unique(next_s[done])
        P[absorbing] = 0.0
        P[absorbing, :, absorbing] = 1.0
        r[absorbing] = 0.0
    else:
        keep = ~done
        np.add.at(P, (s_idx[keep], a_idx[keep], next_s[keep]), prob[keep])
        P[s_idx[done], a_idx[done]] += prob[done, None] * rho[None]
    env.close()
    return TabularMDP(P, r, gamma, rho, name=name or env_id)


def cliff_world(gamma: float = 0.9, terminal: str = "absorb") -> TabularMDP:
    """Gymnasium's CliffWalking (4 x 12, 48 states, 4 actions; -1 per step, -100 and back to start at the
    cliff).

    :param gamma: discount factor in [0, 1)
    :param terminal: ``"absorb"`` or ``"reset"``: what reaching the goal leads to (see :func:`from_gymnasium`)
    """
    return from_gymnasium("CliffWalking-v1", gamma=gamma, terminal=terminal, name="CliffWorld")


def frozen_lake(gamma: float = 0.9, terminal: str = "absorb", is_slippery: bool = True) -> TabularMDP:
    """Gymnasium's FrozenLake 4 x 4 (16 states, 4 actions; reward 1 at the goal, holes and goal terminal).

    :param gamma: discount factor in [0, 1)
    :param terminal: ``"absorb"`` or ``"reset"``: what a hole or the goal leads to (see
        :func:`from_gymnasium`)
    :param is_slippery: gymnasium's slippery ice (an action moves in the intended direction with probability
        1/3)
    """
    return from_gymnasium(
        "FrozenLake-v1", gamma=gamma, terminal=terminal, name="FrozenLake", is_slippery=is_slippery
    )


def uniform_logits(mdp: TabularMDP) -> np.ndarray:
    """``theta = 0``: the uniform policy (the SPMA paper's initialisation).

    :param mdp: the MDP whose ``(S, A)`` shape the logits take
    """
    return np.zeros((mdp.n_states, mdp.n_actions))
