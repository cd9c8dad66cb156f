"""What every source's landing reports: its load, and a summary of what it did."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass
class LandingReport:
    """One landing of a source. `summary()` is what its Airflow task returns and logs, and
    what `tyndau run` prints: the load id, then the source's own figures."""

    load_id: uuid.UUID

    def summary(self) -> dict:
        return {"load_id": str(self.load_id), **self.figures()}

    def figures(self) -> dict:
        """The source's figures for the summary, plain JSON values."""
        raise NotImplementedError
