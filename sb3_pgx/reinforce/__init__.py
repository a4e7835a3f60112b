from sb3_pgx.reinforce.reinforce import REINFORCE

__all__ = ["REINFORCE"]
