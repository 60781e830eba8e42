"""Teamflow: the command line and settings that compose schemas, projections, streams and dashboards."""
