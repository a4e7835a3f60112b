from sb3_pgx.mdpo.mdpo import MDPO

__all__ = ["MDPO"]
