"""rl-zoo3 integration: the table of our algorithms and the patches the start-up hook applies.

rl-zoo3 has no plug-in mechanism, so ``_sb3_pgx_rlzoo_hook`` (run at interpreter start by the ``.pth`` file that
``pip install`` puts in site-packages) calls :func:`patch` right after rl_zoo3 has run each module it names;
:func:`patch` dispatches on the module's name:

- ``rl_zoo3.utils`` (:func:`patch_utils`): adds our classes to ``ALGOS`` (in place, so every CLI's ``--algo``
  accepts them);
- ``rl_zoo3.hyperparams_opt`` (:func:`patch_hyperparams_opt`): adds our Optuna samplers and converters;
- ``rl_zoo3.exp_manager`` (:func:`patch_exp_manager`): makes ``ExperimentManager`` read ``hyperparams/<algo>.yml``
  from this package when the zoo's own default file does not exist (``--conf-file`` still overrides).

To add an algorithm, add one :class:`ZooEntry` to :data:`ZOO_ENTRIES`. Importing this module loads neither torch
nor SB3 (``sb3_pgx`` exports its classes lazily); the classes are imported by the patches, that is when rl_zoo3
itself is being imported.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import sb3_pgx

_WRAPPED_MARKER = "_sb3_pgx_wrapped"


@dataclass(frozen=True)
class ZooEntry:
    """One algorithm as rl-zoo3 sees it.

    :param algo_class: ``"module:ClassName"`` of the algorithm
    :param sampler: ``"module:function"`` of the Optuna sampler ``(trial, n_actions, n_envs, additional_args) -> kwargs``
    :param converter: ``"module:function"`` mapping ``trial.params`` back to constructor kwargs (``load_trial``)
    """

    algo_class: str
    sampler: str
    converter: str


ZOO_ENTRIES: dict[str, ZooEntry] = {
    "spma": ZooEntry(
        "sb3_pgx.spma:SPMA",
        "sb3_pgx.common.hpo:sample_mirror_params",
        "sb3_pgx.common.hpo:convert_mirror_params",
    ),
    "mdpo": ZooEntry(
        "sb3_pgx.mdpo:MDPO",
        "sb3_pgx.common.hpo:sample_mirror_params",
        "sb3_pgx.common.hpo:convert_mirror_params",
    ),
    "trpo_reg": ZooEntry(
        "sb3_pgx.trpo_reg:TRPOReg",
        "sb3_pgx.common.hpo:sample_mirror_params",
        "sb3_pgx.common.hpo:convert_mirror_params",
    ),
    "reinforce": ZooEntry(
        "sb3_pgx.reinforce:REINFORCE",
        "sb3_pgx.reinforce.hpo:sample_reinforce_params",
        "sb3_pgx.reinforce.hpo:convert_reinforce_params",
    ),
    "rank1_npg": ZooEntry(
        "sb3_pgx.rank1_npg:Rank1NPG",
        "sb3_pgx.rank1_npg.hpo:sample_rank1_npg_params",
        "sb3_pgx.rank1_npg.hpo:convert_rank1_npg_params",
    ),
    "s2pg_ppo": ZooEntry(
        "sb3_pgx.s2pg:S2PGPPO",
        "sb3_pgx.s2pg.hpo:sample_s2pg_ppo_params",
        "sb3_pgx.s2pg.hpo:convert_s2pg_ppo_params",
    ),
    "s2pg_sac": ZooEntry(
        "sb3_pgx.s2pg:S2PGSAC",
        "sb3_pgx.s2pg.hpo:sample_s2pg_sac_params",
        "sb3_pgx.s2pg.hpo:convert_s2pg_sac_params",
    ),
    "s2pg_td3": ZooEntry(
        "sb3_pgx.s2pg:S2PGTD3",
        "sb3_pgx.s2pg.hpo:sample_s2pg_td3_params",
        "sb3_pgx.s2pg.hpo:convert_s2pg_td3_params",
    ),
}


def load_object(path: str) -> Any:
    """Import ``"module:attribute"``.

    :param path: ``"module:attribute"``, e.g. ``"sb3_pgx.spma:SPMA"``
    :return: the module's attribute
    """
    module_name, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def hyperparams_path(algo: str) -> Path:
    """Our default ``<algo>.yml``: shipped package data in a wheel, ``<repo>/hyperparams`` in a source
    checkout.

    :param algo: a zoo key, e.g. ``"spma"`` (a ``FileNotFoundError`` when we ship no file for it)
    """
    package_dir = Path(__file__).resolve().parent
    for candidate in (
        package_dir / "hyperparams" / f"{algo}.yml",
        package_dir.parent / "hyperparams" / f"{algo}.yml",
    ):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"sb3_pgx ships no hyperparameter file for algo={algo!r}")


def patch_utils(utils: ModuleType) -> None:
    """Add every zoo key's class to ``rl_zoo3.utils.ALGOS`` (keys the zoo already has are left alone).

    :param utils: the ``rl_zoo3.utils`` module
    """
    for key, entry in ZOO_ENTRIES.items():
        utils.ALGOS.setdefault(key, load_object(entry.algo_class))


def patch_hyperparams_opt(hpo: ModuleType) -> None:
    """Add every zoo key's Optuna sampler and converter (keys the zoo already has are left alone).

    :param hpo: the ``rl_zoo3.hyperparams_opt`` module
    """
    for key, entry in ZOO_ENTRIES.items():
        hpo.HYPERPARAMS_SAMPLER.setdefault(key, load_object(entry.sampler))
        hpo.HYPERPARAMS_CONVERTER.setdefault(key, load_object(entry.converter))


def patch_exp_manager(em: ModuleType) -> None:
    """Make ``ExperimentManager`` fall back to our yml files and let yml strings name our public classes.

    :param em: the ``rl_zoo3.exp_manager`` module
    """
    manager = em.ExperimentManager
    original_init = manager.__init__
    if getattr(original_init, _WRAPPED_MARKER, False):
        return

    def __init__(self, args, algo, *rest, **kwargs):  # noqa: N807 (wraps a dunder)
        original_init(self, args, algo, *rest, **kwargs)
        # Only replace the zoo's default path, and only when the zoo itself has no such file.
        if algo in ZOO_ENTRIES and not kwargs.get("config") and not Path(self.config).is_file():
            self.config = str(hyperparams_path(algo))

    setattr(__init__, _WRAPPED_MARKER, True)
    __init__.__wrapped__ = original_init  # type: ignore[attr-defined]
    manager.__init__ = __init__
    # Let ``policy_kwargs: "dict(...)"`` strings in yml files name our public classes.
    for name in sb3_pgx.__all__:
        em.__dict__.setdefault(name, getattr(sb3_pgx, name))


#: rl_zoo3 module name -> its patch (the hook's ``MODULES``; tests/test_zoo.py checks the two agree)
PATCHES = {
    "rl_zoo3.utils": patch_utils,
    "rl_zoo3.hyperparams_opt": patch_hyperparams_opt,
    "rl_zoo3.exp_manager": patch_exp_manager,
}


def patch(module: ModuleType) -> None:
    """Apply our patch to one rl_zoo3 module, chosen by ``module.__name__`` (idempotent).

    A failure is loud: it raises, naming the module, with the cause chained (a renamed rl_zoo3 attribute, say).
    Through the start-up hook, the import of that rl_zoo3 module then fails.

    :param module: one of the modules named in :data:`PATCHES`, already executed
    :raises ValueError: for a module we have no patch for
    :raises RuntimeError: when the patch failed
    """
    name = module.__name__
    if name not in PATCHES:
        raise ValueError(f"sb3_pgx.zoo has no patch for module {name!r}; it patches {', '.join(PATCHES)}")
    try:
        PATCHES[name](module)
    except Exception as exc:
        raise RuntimeError(
            f"sb3_pgx could not patch {name} ({type(exc).__name__}: {exc}); this rl_zoo3 may not be one sb3_pgx "
            "supports. Set SB3_PGX_RLZOO_DISABLE=1 to run rl_zoo3 without sb3_pgx"
        ) from exc


def register() -> None:
    """Register with rl-zoo3 explicitly (for ``python -S`` or ``pip install --target`` where ``.pth`` files don't run).

    Call it before importing ``rl_zoo3``; calling it later patches the already-imported modules. Idempotent.
    """
    import _sb3_pgx_rlzoo_hook

    _sb3_pgx_rlzoo_hook.install()
