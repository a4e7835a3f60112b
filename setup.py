"""Build hooks: ship the rl-zoo3 startup files at the wheel root and the zoo hyperparameter files as package data.

All metadata lives in setup.cfg. The startup files (``sb3_pgx_rlzoo.pth`` / ``sb3_pgx_rlzoo.start``) make
``python -m rl_zoo3.train --algo spma`` work right after ``pip install``: see ``_sb3_pgx_rlzoo_hook.py``.
"""

import shutil
import warnings
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
STARTUP_FILES = ("sb3_pgx_rlzoo.pth", "sb3_pgx_rlzoo.start")


class build_py_with_startup_files(build_py):  # noqa: N801 (setuptools command naming)
    def run(self) -> None:
        super().run()
        self._copy_hyperparams()
        if getattr(self, "editable_mode", False):
            # PEP 660: build_lib is a throw-away dir; the unpacked editable wheel is install_lib.
            target = Path(self.get_finalized_command("install").install_lib)
            if not str(target).rstrip("/").endswith(".whl"):
                warnings.warn(
                    f"sb3_pgx: unexpected editable target {target}; rl-zoo3 startup hook not installed"
                )
                return
        else:
            target = Path(self.build_lib)
        target.mkdir(parents=True, exist_ok=True)
        for name in STARTUP_FILES:
            shutil.copy2(ROOT / name, target / name)

    def _copy_hyperparams(self) -> None:
        if getattr(self, "editable_mode", False):
            return  # the source tree's hyperparams/ is found directly (sb3_pgx.zoo.hyperparams_path)
        dest = Path(self.build_lib) / "sb3_pgx" / "hyperparams"
        dest.mkdir(parents=True, exist_ok=True)
        for yml in sorted((ROOT / "hyperparams").glob("*.yml")):
            shutil.copy2(yml, dest / yml.name)


setup(cmdclass={"build_py": build_py_with_startup_files})
