"""Superset's side of `tyndau bi`: run by the Python of Superset's own environment (bi/
requirements.lock), never imported by tyndau. In one process, since each Superset command
spends ~10 s importing Superset:

1. brings the metadata database (SQLite) up to date (`superset db upgrade`) and Superset's
   roles and permissions (`superset init`);
2. creates the `admin` login, or sets its password again;
3. imports the committed dashboards (bi/superset/: databases, datasets, charts, dashboards keyed
   by uuid) with Superset's ImportAssetsCommand, the one for assets kept under source control:
   a re-import updates every object in place. The warehouse's URI (tyndau_reader's login) is
   put into the database's config in memory here, never into a file;
4. reads each dataset's columns from the warehouse, so the datasets follow the marts' contracts.

Its input comes from the environment (TYNDAU_BI_*; tyndau/bi.py sets it); it prints one JSON
line of what Superset now holds.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import yaml

ADMIN = "admin"


def _assets(root: Path, warehouse_uri: str) -> dict[str, str]:
    contents = {}
    for path in sorted(root.rglob("*.yaml")):
        name = path.relative_to(root).as_posix()
        text = path.read_text()
        if name.startswith("databases/"):
            config = yaml.safe_load(text)
            config["sqlalchemy_uri"] = warehouse_uri
            text = yaml.safe_dump(config)
        contents[name] = text
    return contents


def main() -> int:
    from flask_migrate import upgrade
    from superset import db, security_manager
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset.commands.exceptions import CommandInvalidError
        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.connectors.sqla.models import SqlaTable
        from superset.extensions import appbuilder
        from superset.models.core import Database
        from superset.models.dashboard import Dashboard
        from superset.models.slice import Slice
        from superset.utils.core import override_user

        upgrade(directory=str(Path(sys.modules["superset"].__file__).parent / "migrations"))
        appbuilder.add_permissions(update_perms=True)
        security_manager.sync_role_definitions()

        password = os.environ["TYNDAU_BI_ADMIN_PASSWORD"]
        admin = security_manager.find_user(username=ADMIN)
        if admin is None:
            admin = security_manager.add_user(
                ADMIN,
                "tyndau",
                "admin",
                "admin@localhost",
                security_manager.find_role("Admin"),
                password=password,
            )
        else:
            security_manager.reset_password(admin.id, password)
        db.session.commit()

        contents = _assets(
            Path(os.environ["TYNDAU_BI_ASSETS"]), os.environ["TYNDAU_BI_WAREHOUSE_URI"]
        )
        with override_user(admin):
            try:
                ImportAssetsCommand(contents).run()
            except CommandInvalidError as error:
                print(json.dumps({"error": error.normalized_messages()}), file=sys.stderr)
                return 1
            for dataset in db.session.query(SqlaTable).all():
                dataset.fetch_metadata()
            db.session.commit()
        print(
            json.dumps(
                {
                    "databases": db.session.query(Database).count(),
                    "datasets": db.session.query(SqlaTable).count(),
                    "charts": db.session.query(Slice).count(),
                    "dashboards": {d.dashboard_title: d.slug for d in db.session.query(Dashboard)},
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
