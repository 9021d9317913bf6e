"""Benchmarks: aggregate throughput over N uplinks with netcompile's output applied
by real backends, and compile speed against `netplan generate`.

Run `python -m benchmarks` (or `make bench`); `--quick` is a short smoke run.
Reports land in benchmarks/results/ as Markdown, JSON and SVG.
"""
