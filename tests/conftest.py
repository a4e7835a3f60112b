import os

import pytest
import torch as th

os.environ.setdefault("MUJOCO_GL", "egl")


@pytest.fixture(autouse=True)
def _one_thread():
    th.set_num_threads(1)
    yield
