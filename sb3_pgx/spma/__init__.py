from sb3_pgx.spma.spma import SPMA

__all__ = ["SPMA"]
