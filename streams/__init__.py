"""Kafka's two sides: the ways in (`ingest/`, `importers/`, the demo's `simulator.py` and `demo.py`)
and the way out, the fold into the store (`fold/`), with erasure of the log (`erasure/`) beside it.

What every side shares stays here: topics, settings, the dead-letter shape, the producer and the
whole-topic reader. Imports `schemas` and `projections`, never `dashboards` or `teamflow`.
"""
