from sb3_pgx.trpo_reg.trpo_reg import TRPOReg

__all__ = ["TRPOReg"]
