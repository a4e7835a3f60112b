"""Checks of the S2PG algorithms' settings and envs."""

from __future__ import annotations

from stable_baselines3.common.vec_env import VecEnv, VecNormalize, unwrap_vec_wrapper

from sb3_pgx.common.validation import check_in_open_interval


def reject_sde(use_sde: bool) -> None:
    """S2PG-SAC accepts ``use_sde`` / ``sde_sample_freq`` (the zoo's ``sac`` entries set them) only to reject gSDE
    with a ValueError instead of a TypeError (S2PG-PPO has gSDE).

    :param use_sde: the algorithm's ``use_sde`` argument (True raises the ValueError)
    """
    if use_sde:
        raise ValueError(
            "use_sde must be False for S2PG-SAC (allowed: False): gSDE is not implemented for its squashed joint "
            "distribution of (a, z'); drop use_sde and sde_sample_freq from the hyperparameters (e.g. of a copied "
            "zoo entry). S2PG-PPO has gSDE"
        )


def check_refresh_tau(value: float) -> None:
    """Require ``0 <= value <= 1`` (a ValueError otherwise, NaN included).

    :param value: ``z_refresh_tau``, the replay refresh rate of ``z'`` (1: replace, 0: off)
    """
    if not 0.0 <= value <= 1.0:
        check_in_open_interval("z_refresh_tau (allowed: [0, 1])", value, 0.0, 1.0)


def reject_vec_normalize_obs(env: VecEnv | None) -> None:
    """Off-policy S2PG stores augmented observations; SB3's VecNormalize-aware storage would store the
    env's.

    :param env: the algorithm's env (None passes); a ValueError if a ``VecNormalize`` wraps it anywhere
    """
    if env is None:
        return
    normalize = unwrap_vec_wrapper(env, VecNormalize)
    if normalize is not None:
        raise ValueError(
            "S2PG-SAC/TD3 do not support VecNormalize (normalize: false in the zoo); "
            "normalise observations in the "
            "env instead"
        )
