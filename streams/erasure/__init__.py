"""Erasure outside the projections: the erasure list (a Kafka topic of tokens), the pure scrubber of
raw bytes, and the rewrite of the Kafka topics and the dead-letter table that mention a person."""
