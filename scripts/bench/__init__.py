"""Benchmarks and evaluations, with the face sets and camera looks they share."""
