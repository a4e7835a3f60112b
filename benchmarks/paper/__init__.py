"""Paper reproductions that are not zoo trainings (tabular MDPs, the PG-SOM CartPole table, the momentum
update cost): run as ``python -m benchmarks.paper.<name>``; outputs under ``docs/benchmarks/<tag>/``."""
