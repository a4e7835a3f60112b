"""Behaviour fingerprints: for every case of ``MODEL_LIST``, a short fixed-seed training and what it ends with
(a hash and sums of the final parameters, the logged ``train/`` scalars). ``tests/test_fingerprints.py``
compares them with ``tests/fixtures/fingerprints.json``, so a redesign of structure shows that it kept the
numbers. Regenerate the fixture only for an intended change of behaviour, and say so in the commit::

    python -m tests.fingerprints --write
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch as th

from tests.model_list import MODEL_LIST, Case

FIXTURE = Path(__file__).parent / "fixtures" / "fingerprints.json"


def parameter_vector(model) -> np.ndarray:
    """Every tensor of the policy's state dict (and the saved torch variables), in name order, as float64."""
    tensors = dict(model.policy.state_dict())
    _, variables = model._get_torch_save_params()
    for name in variables:
        value = model
        for part in name.split("."):
            value = getattr(value, part)
        tensors[f"var/{name}"] = value
    return np.concatenate([tensors[k].detach().cpu().double().reshape(-1).numpy() for k in sorted(tensors)])


def fingerprint(case: Case) -> dict[str, Any]:
    """Train ``case`` for two of its budgets on one thread and summarise the result."""
    th.set_num_threads(1)
    model = case.make().learn(2 * case.budget)
    params = parameter_vector(model)
    logged = {
        key: float(value)
        for key, value in sorted(model.logger.name_to_value.items())
        if key.startswith("train/") and isinstance(value, (int, float)) and math.isfinite(value)
    }
    return {
        "num_timesteps": int(model.num_timesteps),
        "params_sha256": hashlib.sha256(params.astype(np.float32).tobytes()).hexdigest(),
        "params_sum": float(params.sum()),
        "params_abs_sum": float(np.abs(params).sum()),
        "logged": logged,
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--write", action="store_true", help=f"write {FIXTURE.relative_to(Path.cwd())}")
    args = p.parse_args(argv)
    prints = {case.id: fingerprint(case) for case in MODEL_LIST}
    text = json.dumps(prints, indent=1, sort_keys=True) + "\n"
    if args.write:
        FIXTURE.parent.mkdir(exist_ok=True)
        FIXTURE.write_text(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
