"""Commands for the ingestion doors (ingest API, tokens, imports, dead letters)."""
from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the `teamflow` parser."""
