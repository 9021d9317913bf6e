"""The lab: netcompile's output applied by the real daemons inside network namespaces.

Importable helpers (topology, appliers, expectation, kernel state) shared by the
lab tests and the benchmarks. Everything here runs only inside network
namespaces it created itself; see guard.py.
"""
