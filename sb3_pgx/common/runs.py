"""``learn`` with TensorBoard runs named after the class (``SPMA_1``, ``S2PGSAC_1``), as sb3-contrib's classes
do, so a run of ours and one of the SB3 parent class never share a name in the zoo's ``-tb`` folder."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from stable_baselines3.common.type_aliases import MaybeCallback

SelfNamed = TypeVar("SelfNamed", bound="ClassNamedRunsMixin")


class ClassNamedRunsMixin:
    """Put before the SB3 algorithm class in the bases."""

    #: ``learn``'s default ``log_interval`` (SB3's: 1 on-policy, 4 off-policy)
    default_log_interval: ClassVar[int] = 1

    def learn(
        self: SelfNamed,
        total_timesteps: int,
        callback: MaybeCallback = None,
        log_interval: int | None = None,
        tb_log_name: str | None = None,
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> SelfNamed:
        """SB3's ``learn``, logging to TensorBoard under the class name by default.

        :param total_timesteps: environment steps to train for
        :param callback: SB3 callback(s)
        :param log_interval: iterations between logs (None: :attr:`default_log_interval`)
        :param tb_log_name: the TensorBoard run name (None: the class name)
        :param reset_num_timesteps: start the step count from zero
        :param progress_bar: show a progress bar
        """
        return super().learn(  # type: ignore[misc]
            total_timesteps=total_timesteps,
            callback=callback,
            log_interval=self.default_log_interval if log_interval is None else log_interval,
            tb_log_name=tb_log_name or type(self).__name__,
            reset_num_timesteps=reset_num_timesteps,
            progress_bar=progress_bar,
        )
