"""The benchmark runner's parts (``scripts/benchmark.py`` is the entry point): named variants, the local and Ray
backends, input checks, reference scores and rliable aggregates, and the plotting set-up shared with the paper
reproductions in ``benchmarks/paper/``. Not installed with the package (``setup.cfg`` packages ``sb3_pgx*``)."""
