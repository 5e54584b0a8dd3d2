"""`python -m bench` (`make bench`): the benchmark table (bench/run.py)."""

from bench.run import main

raise SystemExit(main())
