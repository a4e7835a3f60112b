"""The stateful (S2PG) machinery the S2PG algorithms share, one kind of thing per module (like sb3-contrib's
``common/recurrent``): ``type_aliases``, ``vec_env`` (the augmented problem), ``kernel`` (``q(z'|.)``),
``buffers``, ``mixins`` (the algorithm mixins) and ``validation``."""
