"""Former home of the save mixin and the logging helper, kept so that existing imports (S2PG) still work:
:class:`AtomicSaveMixin` lives in :mod:`sb3_pgx.common.saving`, :func:`record_mean` in
:mod:`sb3_pgx.common.steps` beside the step log."""

from sb3_pgx.common.saving import AtomicSaveMixin
from sb3_pgx.common.steps import record_mean

__all__ = ["AtomicSaveMixin", "record_mean"]
