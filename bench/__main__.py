"""`python -m bench`: the closed-loop latency benchmark."""

from bench.loop_latency import main

raise SystemExit(main())
