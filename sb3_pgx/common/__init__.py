"""Pieces shared by every sb3_pgx algorithm."""
