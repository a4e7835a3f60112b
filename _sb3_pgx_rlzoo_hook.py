"""Start-up hook that registers sb3_pgx's algorithms with rl-zoo3, lazily.

Loaded by ``sb3_pgx_rlzoo.pth`` (``sb3_pgx_rlzoo.start`` on Python >= 3.15) at interpreter start. It imports
only the standard library: it puts a meta-path finder in front of the import system that waits for
``rl_zoo3.utils``, ``rl_zoo3.hyperparams_opt`` and ``rl_zoo3.exp_manager`` and, right after each one has run,
calls the matching ``sb3_pgx.zoo.patch_<module>``. Nothing heavy (torch, SB3) is imported until rl_zoo3 is.

Set ``SB3_PGX_RLZOO_DISABLE=1`` to turn it off. Where ``.pth`` files are not processed (``python -S``,
``pip install --target``), call ``sb3_pgx.zoo.register()`` yourself before importing rl_zoo3.
"""

import importlib.abc
import os
import sys
import warnings

_MARKER = "_sb3_pgx_rlzoo_finder"
_TARGETS = {
    "rl_zoo3.utils": "patch_utils",
    "rl_zoo3.hyperparams_opt": "patch_hyperparams_opt",
    "rl_zoo3.exp_manager": "patch_exp_manager",
}


def _disabled() -> bool:
    return os.environ.get("SB3_PGX_RLZOO_DISABLE", "") not in ("", "0")


def _apply(module_name, module) -> None:
    try:
        from sb3_pgx import zoo

        getattr(zoo, _TARGETS[module_name])(module)
    except Exception as exc:  # a broken plug-in must never break rl_zoo3 itself
        warnings.warn(f"sb3_pgx could not patch {module_name}: {exc!r}", RuntimeWarning, stacklevel=2)


class _Finder(importlib.abc.MetaPathFinder):
    _sb3_pgx_rlzoo_finder = True

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _TARGETS:
            return None
        for finder in sys.meta_path:
            if getattr(finder, _MARKER, False) or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                _wrap_loader(spec.loader, fullname)
                return spec
        return None


def _wrap_loader(loader, fullname) -> None:
    original = loader.exec_module

    def exec_module(module):
        try:
            original(module)
        finally:
            # one shot: later reloads go through find_spec again and are wrapped again
            loader.exec_module = original
        _apply(fullname, module)

    loader.exec_module = exec_module


def install() -> None:
    """Register the hook (idempotent). Patches already-imported rl_zoo3 modules at once."""
    if _disabled():
        return
    for name in _TARGETS:
        if name in sys.modules:
            _apply(name, sys.modules[name])
    if not any(getattr(f, _MARKER, False) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
