"""Seed data, not the product: the demo, and a national-scale data set for the benchmarks."""
