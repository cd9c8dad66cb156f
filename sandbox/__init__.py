"""Local stand-ins of tyndau's sources (SOURCES.md), calibrated to CALIBRATION.md.

The sandbox imports nothing of the pipeline (`ingestion`, `tyndau`, `dags`): it plays the part of
the outside world, so the pipeline's code cannot tell it from the real portals.
"""
