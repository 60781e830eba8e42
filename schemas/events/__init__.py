"""Data structs of every event type, one module per area (``teamflow.<area>.<verb>``)."""
