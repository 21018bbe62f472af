"""asv benchmarks of ooarray and its peers; see ``asv_bench/asv.conf.json``."""
