"""``scripts/check_cuda.py`` on the CPU (CI has no GPU): its checks pass on our classes and catch what they are
for (a tensor left on another device, a copy per sample)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch as th

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "check_cuda.py"


@pytest.fixture(scope="module")
def check_cuda():
    spec = importlib.util.spec_from_file_location("check_cuda", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_cuda"] = module
    spec.loader.exec_module(module)
    return module


def test_every_kind_of_class_passes_on_cpu(check_cuda, capsys):
    assert check_cuda.main(["--device", "cpu", "--cases", "SPMA-armijo", "REINFORCE-adam", "S2PGSAC"]) == 0
    assert "3 passed, 0 failed" in capsys.readouterr().out


def test_a_copy_per_sample_is_caught(check_cuda, monkeypatch):
    from tests.model_list import MODEL_LIST

    case = next(c for c in MODEL_LIST if c.id == "SPMA-adam")
    original = type(check_cuda.sized(case, "cpu", 1)).train

    def train_with_a_sync_per_sample(self):
        for value in self.rollout_buffer.rewards.reshape(-1):
            th.as_tensor(value).item()
        original(self)

    monkeypatch.setattr(type(check_cuda.sized(case, "cpu", 1)), "train", train_with_a_sync_per_sample)
    ok, detail = check_cuda.check(case, "cpu")
    assert not ok, detail


def test_a_tensor_on_another_device_is_reported(check_cuda):
    from tests.model_list import MODEL_LIST

    model = check_cuda.sized(MODEL_LIST[0], "cpu", 1)
    assert check_cuda.tensors_off_device(model, th.device("cpu")) == []
    assert "policy/log_std" in check_cuda.tensors_off_device(model, th.device("meta"))


def test_unknown_case_is_refused(check_cuda):
    with pytest.raises(SystemExit, match="unknown --cases"):
        check_cuda.main(["--device", "cpu", "--cases", "NoSuchCase"])
