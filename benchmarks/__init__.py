"""Scripts that print measured figures; run each with `python -m benchmarks.<name>`."""
