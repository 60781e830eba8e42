"""CRM importers: Salesforce (report, API fields, opportunity history), HubSpot, generic CSV -> deal events.

Pure modules (`mapping`, `facts`, `formats`, `plan`) turn rows into validated CloudEvents with
deterministic ids; `run` does the I/O (file, progress, Kafka, rejects file, dead letters).
"""
from .formats import FORMATS
from .mapping import ImportMapping, MappingError, load_mapping

__all__ = ["FORMATS", "ImportMapping", "MappingError", "load_mapping"]
