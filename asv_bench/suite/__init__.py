"""asv benchmarks of ooarray and its peers; see ``asv_bench/asv.conf.json``.

asv imports this folder as the package ``suite``; the systems it times are those of the
benchmarks' command, the package ``benchmarks`` at the top of the repository, which is put at
the end of the path (an installed ooarray still comes first).
"""

import sys
from pathlib import Path

_REPOSITORY = str(Path(__file__).resolve().parents[2])
if _REPOSITORY not in sys.path:
    sys.path.append(_REPOSITORY)


class OneCallPerSample:
    """asv's settings for benchmarks each call of which reads hundreds of MiB: one call per
    sample, up to five samples in 20 s, one round, no warm-up calls."""

    number = 1
    repeat = (1, 5, 20.0)
    rounds = 1
    warmup_time = 0.0
