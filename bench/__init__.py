"""Benchmarks, run with `python -m bench` (loopback only, bounded). Timings are reported, never asserted."""
