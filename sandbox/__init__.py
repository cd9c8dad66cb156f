"""Local stand-ins of tyndau's sources (docs/sources.md), calibrated to docs/calibration.md.

The sandbox imports nothing of the pipeline (`ingestion`, `tyndau`, `dags`): it plays the part of
the outside world, so the pipeline's code cannot tell it from the real portals.
"""
