"""Pieces shared by every source: the polite HTTP session, the raw loader, the run ledger."""
