"""The Faust stream worker, the producers that feed Kafka and the demo simulator.

Imports `schemas` and `projections`; agents stay short: decode, fold, write.
"""
