"""The defaults a shipped yml entry takes for what it does not set: those of its algorithm's constructor and of
its policies'. ``tests/test_entries.py`` compares them with ``tests/fixtures/entries.json`` and names every entry a
changed default reaches: a default changed for one reason silently changes the entries tuned under the old one
(2 December 2026: the critic's ``critic_batch_size`` / ``n_critic_epochs`` defaults, and the classic-control
entries of the mirror family).
Regenerate the fixture only for an intended change, after checking the entries it reaches::

    python -m tests.entries --write
"""

from __future__ import annotations

import argparse
import inspect
import json
from pathlib import Path
from typing import Any

import yaml

from sb3_pgx.zoo import ZOO_ENTRIES, hyperparams_path, load_object

FIXTURE = Path(__file__).parent / "fixtures" / "entries.json"
#: constructor parameters that are not hyperparameters
NOT_HYPERPARAMETERS = {"self", "policy", "env", "observation_space", "action_space", "lr_schedule", "verbose",
                       "seed", "device", "tensorboard_log", "_init_setup_model"}  # fmt: skip


def shown(value: Any) -> Any:
    """A default as JSON: classes and functions by their qualified name, other objects by ``repr``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if inspect.isclass(value) or inspect.isfunction(value):
        return f"{value.__module__}.{value.__qualname__}"
    return repr(value)


def constructor_defaults(cls: type) -> dict[str, Any]:
    """Every keyword of ``cls``'s constructor with a default, the first class of the MRO that declares it
    deciding (as a call to ``cls(...)`` resolves it through ``super().__init__``)."""
    defaults: dict[str, Any] = {}
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        for name, p in inspect.signature(klass.__init__).parameters.items():
            if p.default is not p.empty and name not in NOT_HYPERPARAMETERS:
                defaults.setdefault(name, shown(p.default))
    return defaults


def defaults_of(key: str) -> dict[str, Any]:
    """The defaults an entry of ``key`` takes for what it does not set: ``{"algorithm": ..., "policies": {alias:
    ...}}`` (``policy_kwargs``, a string the zoo evaluates, overrides the policy's as the zoo does)."""
    algo = load_object(ZOO_ENTRIES[key].algo_class)
    policies = {alias: constructor_defaults(cls) for alias, cls in sorted(algo.policy_aliases.items())}
    return {"algorithm": constructor_defaults(algo), "policies": policies}


def all_defaults() -> dict[str, dict[str, Any]]:
    """:func:`defaults_of` for every zoo key."""
    return {key: defaults_of(key) for key in sorted(ZOO_ENTRIES)}


def entries_reached(key: str, parameter: str) -> list[str]:
    """The env ids of ``hyperparams/<key>.yml`` whose entry does not set ``parameter`` (nor, for a policy
    parameter, name it in ``policy_kwargs``): those a change of its default changes."""
    entries = yaml.safe_load(hyperparams_path(key).read_text())
    return [
        env_id
        for env_id, entry in entries.items()
        if parameter not in entry and parameter not in str(entry.get("policy_kwargs", ""))
    ]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--write", action="store_true", help=f"write {FIXTURE.name}")
    args = p.parse_args(argv)
    text = json.dumps(all_defaults(), indent=1, sort_keys=True) + "\n"
    if args.write:
        FIXTURE.write_text(text)
    print(text if not args.write else f"wrote {FIXTURE}")


if __name__ == "__main__":
    main()
