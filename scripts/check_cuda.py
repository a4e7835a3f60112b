"""Device check for every class in every configuration of ``tests/model_list.py``: two or more updates on
``--device`` (``cuda`` by default), then

1. every parameter, optimizer-state tensor and saved torch variable (SAC's temperatures) lives on that device;
2. a batch drawn from the rollout or replay buffer lives there too;
3. an update makes no host-device copy per sample: the copies and syncs counted by torch's profiler in one
   ``train()`` (``aten::_to_copy``, ``aten::copy_`` across devices, ``aten::_local_scalar_dense``) grow by less
   than one per two added samples when the batch is eight times larger.

Prints one line per case and a summary; exits 1 if any check fails. CI has no GPU: the test suite runs this
script with ``--device cpu`` on a few cases (checks 1-2 are then trivially true, check 3 still counts syncs).

    python scripts/check_cuda.py                      # every case on cuda
    python scripts/check_cuda.py --device cpu --cases SPMA-armijo S2PGSAC
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch as th
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.model_list import MODEL_LIST, Case  # noqa: E402

SCALE = 8  # the larger update sees SCALE x the samples of the smaller one
COPY_OPS = ("aten::_to_copy", "aten::_local_scalar_dense", "aten::copy_")


def tensors_off_device(model, device: th.device) -> list[str]:
    """Names of the learned tensors that are not on ``device`` (Adam's scalar ``step`` counters excepted)."""
    off = []
    for name, state in model.get_parameters().items():
        for key, value in _tensors(state, name):
            if value.device.type != device.type and not (key.endswith("/step") and value.dim() == 0):
                off.append(key)
    _, variables = model._get_torch_save_params()
    for name in variables:
        value = model
        for part in name.split("."):
            value = getattr(value, part)
        if isinstance(value, th.Tensor) and value.device.type != device.type:
            off.append(name)
    return off


def _tensors(value, prefix: str):
    if isinstance(value, th.Tensor):
        yield prefix, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _tensors(item, f"{prefix}/{key}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _tensors(item, f"{prefix}/{i}")


def buffer_sample_device(model) -> th.device | None:
    """The device of a batch drawn the way ``train()`` draws it (None when the class keeps no SB3 buffer)."""
    replay = getattr(model, "replay_buffer", None)
    if replay is not None:
        batch = replay.sample(8, env=model._vec_normalize_env)
        return batch.actions.device
    rollout = getattr(model, "rollout_buffer", None)
    if rollout is not None and rollout.full:
        return next(rollout.get(8)).actions.device
    return None


def copies_in_one_update(model) -> int:
    """Host-device copies and syncs in one ``train()`` call on the data already collected (the second call on
    it, so that an Armijo search's first backtracks from ``armijo_alpha_max`` do not count)."""
    train = model.train
    if hasattr(model, "replay_buffer"):
        steps, batch = 1, model.batch_size

        def train():
            model.train(gradient_steps=steps, batch_size=batch)

    train()  # warm-up on the same data: the line searches start from their warm step, as in a long run
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        train()
    return sum(event.count for event in prof.key_averages() if event.key in COPY_OPS)


def sized(case: Case, device: str, scale: int):
    """The case with its per-update sample count multiplied by ``scale`` (same number of minibatches)."""
    kw = dict(case.kwargs)
    if "n_steps" in kw:
        kw["n_steps"] = kw["n_steps"] * scale
        if "batch_size" in kw:
            kw["batch_size"] = kw["batch_size"] * scale
        if "critic_batch_size" in kw:
            kw["critic_batch_size"] = kw["critic_batch_size"] * scale
    elif "batch_size" in kw:
        kw["batch_size"] = kw["batch_size"] * scale
        kw["learning_starts"] = max(kw.get("learning_starts", 0), kw["batch_size"])
    elif "n_episodes" in kw or case.cls.__name__ == "REINFORCE":
        kw["n_episodes"] = kw.get("n_episodes", 1) * scale
    model = Case(case.cls, kw, case.env_id, case.budget, case.name).make(device=device)
    budget = max(case.budget * scale, kw.get("learning_starts", 0) + 2 * kw.get("train_freq", 1))
    return model.learn(budget)


def check(case: Case, device: str) -> tuple[bool, str]:
    small, large = sized(case, device, 1), sized(case, device, SCALE)
    dev = th.device(device)
    off = tensors_off_device(large, dev)
    sample_dev = buffer_sample_device(large)
    n_small, n_large = copies_in_one_update(small), copies_in_one_update(large)
    samples = samples_per_update(small)
    grows_per_sample = n_large - n_small >= (SCALE - 1) * samples / 2
    ok = not off and (sample_dev is None or sample_dev.type == dev.type) and not grows_per_sample
    detail = (
        f"off-device={off[:3] or 'none'} buffer-batch={sample_dev} copies/update={n_small} (x1) {n_large} (x{SCALE}, "
        f"{samples} -> {SCALE * samples} samples)"
    )
    return ok, detail


def samples_per_update(model) -> int:
    if hasattr(model, "replay_buffer"):
        return int(model.batch_size)
    if getattr(model, "rollout_buffer", None) is not None:
        return int(model.n_steps * model.n_envs)
    return int(model.num_timesteps // max(model._n_updates, 1))  # REINFORCE: env steps per update


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda")
    p.add_argument("--cases", nargs="*", default=None, help="case ids of tests/model_list.py (default: all)")
    args = p.parse_args(argv)
    if args.device.startswith("cuda") and not th.cuda.is_available():
        raise SystemExit("--device cuda: torch sees no CUDA device (torch.cuda.is_available() is False)")
    known = {case.id: case for case in MODEL_LIST}
    unknown = sorted(set(args.cases or ()) - set(known))
    if unknown:
        raise SystemExit(f"unknown --cases {unknown}; allowed: {sorted(known)}")
    cases = [known[c] for c in args.cases] if args.cases else MODEL_LIST
    print(
        f"torch {th.__version__}, device {args.device}"
        + (f" ({th.cuda.get_device_name()})" if args.device.startswith("cuda") else "")
    )
    failures = 0
    for case in cases:
        ok, detail = check(case, args.device)
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {case.id}: {detail}", flush=True)
    print(f"{len(cases) - failures} passed, {failures} failed")
    return int(failures > 0)


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    raise SystemExit(main())
