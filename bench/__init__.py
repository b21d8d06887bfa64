"""did_gov benchmarks: ``python -m bench``."""
