"""Benchmarks: corpus generator and measurements (timings live here, never in tests)."""
