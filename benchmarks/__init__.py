"""Observatory's benchmark suite: the SDK and its peers, side by side, on loopback.

Run ``python -m benchmarks`` (``--quick`` for the CI smoke run). See README.md.
"""
