"""Superset's configuration for `tyndau bi` (SUPERSET_CONFIG_PATH points here).

Everything that differs between machines comes from the environment tyndau/bi.py sets: the
metadata database (SQLite under the state dir) and the secret key kept there. Nothing secret
is in this file.
"""

import os

SECRET_KEY = os.environ["TYNDAU_BI_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = os.environ["TYNDAU_BI_METADATA_URL"]

# one person's local server: no telemetry, no example data, no thumbnails worker
SCARF_ANALYTICS = False
FEATURE_FLAGS = {"THUMBNAILS": False, "ALERT_REPORTS": False}
CONTENT_SECURITY_POLICY_WARNING = False  # Talisman stays on; the warning is for deployments
# SQL Lab and charts read marts only (the role sees nothing else); no uploads into it
PREVENT_UNSAFE_DB_CONNECTIONS = True
