"""Start-up hook that registers sb3_pgx's algorithms with rl-zoo3, lazily.

Loaded by ``sb3_pgx_rlzoo.pth`` (``sb3_pgx_rlzoo.start`` on Python >= 3.15) at interpreter start. It imports
only the standard library: it puts a meta-path finder in front of the import system that waits for the
rl_zoo3 modules named in :data:`MODULES` and, right after each one has run, calls ``sb3_pgx.zoo.patch(module)``.
``sb3_pgx.zoo`` itself is light (no torch, no SB3); the classes it registers are imported then, which costs
nothing extra since rl_zoo3 imports torch and SB3 anyway.

A failed patch is not hidden: the import of the rl_zoo3 module fails with an error naming the module (set
``SB3_PGX_RLZOO_DISABLE=1`` to turn the hook off). Where ``.pth`` files are not processed (``python -S``,
``pip install --target``), call ``sb3_pgx.zoo.register()`` yourself before importing rl_zoo3.
"""

import importlib.abc
import os
import sys

_MARKER = "_sb3_pgx_rlzoo_finder"
#: the rl_zoo3 modules sb3_pgx.zoo.patch knows how to patch
MODULES = ("rl_zoo3.utils", "rl_zoo3.hyperparams_opt", "rl_zoo3.exp_manager")


def _disabled() -> bool:
    return os.environ.get("SB3_PGX_RLZOO_DISABLE", "") not in ("", "0")


def _apply(module) -> None:
    from sb3_pgx import zoo

    zoo.patch(module)


class _Finder(importlib.abc.MetaPathFinder):
    _sb3_pgx_rlzoo_finder = True

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MODULES:
            return None
        for finder in sys.meta_path:
            if getattr(finder, _MARKER, False) or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                _wrap_loader(spec.loader)
                return spec
        return None


def _wrap_loader(loader) -> None:
    original = loader.exec_module

    def exec_module(module):
        try:
            original(module)
        finally:
            # one shot: later reloads go through find_spec again and are wrapped again
            loader.exec_module = original
        _apply(module)

    loader.exec_module = exec_module


def install() -> None:
    """Register the hook (idempotent). Patches already-imported rl_zoo3 modules at once."""
    if _disabled():
        return
    for name in MODULES:
        if name in sys.modules:
            _apply(sys.modules[name])
    if not any(getattr(f, _MARKER, False) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
