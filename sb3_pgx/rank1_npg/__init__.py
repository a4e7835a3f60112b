from sb3_pgx.rank1_npg.rank1_npg import Rank1NPG

__all__ = ["Rank1NPG"]
