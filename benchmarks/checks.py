"""Checks of the runner's input, made before any training starts; each failure names the value."""

from __future__ import annotations

import inspect
from collections.abc import Iterable

# Keys the zoo itself consumes from a hyperparameter entry (rl_zoo3/exp_manager.py), besides the algorithm's.
ZOO_KEYS = frozenset(
    {"n_envs", "n_timesteps", "policy", "normalize", "frame_stack", "env_wrapper", "vec_env_wrapper", "callback",
     "noise_type", "noise_std", "monitor_kwargs", "env_kwargs"}
)  # fmt: skip


def check_algos(keys: Iterable[str]) -> None:
    """Every key must be one of the zoo's algorithms (ours included, through the plug-in)."""
    from rl_zoo3.utils import ALGOS

    unknown = sorted(set(keys) - set(ALGOS))
    if unknown:
        raise SystemExit(f"unknown algorithm {', '.join(unknown)}: the zoo knows {', '.join(sorted(ALGOS))}")


def check_envs(env_ids: Iterable[str]) -> None:
    """Every id must be registered with gymnasium once the zoo's and our environments are imported."""
    import gymnasium as gym
    import rl_zoo3.import_envs  # noqa: F401  (the zoo's extra registrations)

    import sb3_pgx  # noqa: F401  (our POMDP and memory tasks)

    try:
        import ale_py

        gym.register_envs(ale_py)
    except ImportError:
        pass
    for env_id in env_ids:
        try:
            gym.spec(env_id)
        except gym.error.Error as exc:
            raise SystemExit(f"unknown environment {env_id!r}: {exc}") from None


def accepted_keys(algo: str) -> set[str]:
    """Constructor arguments of the zoo algorithm ``algo`` (through ``**kwargs`` to its bases) and the zoo's."""
    from rl_zoo3.utils import ALGOS

    names: set[str] = set(ZOO_KEYS)
    for cls in ALGOS[algo].__mro__:
        if "__init__" not in vars(cls):
            continue
        params = inspect.signature(vars(cls)["__init__"]).parameters.values()
        names |= {p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            break
    return names - {"self", "env"}


def check_keys(algo: str, label: str, keys: Iterable[str], option: str) -> None:
    """Every hyperparameter key given for ``label`` (zoo key ``algo``) must be one that ``algo`` takes."""
    bad = sorted(set(keys) - accepted_keys(algo))
    if bad:
        raise SystemExit(
            f"{option}: {algo} (run as {label}) takes no hyperparameter {', '.join(map(repr, bad))}"
        )
