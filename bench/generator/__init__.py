"""The national data generator (`python -m bench.generate`): a realistic national data set written in bulk
through the service's own tables, so that benchmarks and EXPLAIN see what ten years in production would hold."""
