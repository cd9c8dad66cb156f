"""Every assumption about data.egov.kz's API, in one place (SOURCES.md section 2).

[seen]: shown by the portal's own samples page or public clients. [assumed]: our design until
checked against the live portal; correct it here, in one edit.
"""

from __future__ import annotations

import re

# --- endpoints [seen]; the base URL is configuration (the portal or the sandbox) -------------
CATALOGUE_PATH = "/datasets/getdatasets"
CATALOGUE_PARAMS = {  # the catalogue of every state body, newest first [seen]
    "byGovAgencies": "true",
    "byExternalUsers": "true",
    "sortBy": "createdDateDesc",
}
PASSPORT_PATH = "/meta/{api_uri}/{version}"  # no key [seen]
MAPPING_PATH = "/api/v4/mapping/{api_uri}"  # key required (under /api/) [seen]
DATA_PATH = "/api/v4/{api_uri}/{version}"  # a bare JSON array [seen]
DETAILED_PATH = "/api/detailed/{api_uri}/{version}"  # {"totalCount": N, "data": [...]} [seen]
API_KEY_PARAM = "apiKey"  # [seen]
SOURCE_PARAM = "source"  # an Elasticsearch request body, as JSON [seen]

# --- answers ---------------------------------------------------------------------------------
CATALOGUE_TOTAL = "totalCount"  # [seen]
CATALOGUE_ITEMS = "datasets"  # [seen]
DATASET_KEY = "apiUri"  # [seen]
DETAILED_TOTAL = "totalCount"  # [seen]
DETAILED_ITEMS = "data"  # [seen]
ERROR_KEYS = frozenset({"code", "message"})  # an error in disguise: HTTP 200 with these [seen]
# Passport fields [assumed: the passport page shows both]; values as in SOURCES.md.
PERIODICITIES = frozenset(
    {"daily", "weekly", "monthly", "quarterly", "semiannual", "yearly", "irregular"}
)

# --- paging ----------------------------------------------------------------------------------
CATALOGUE_PAGE_SIZE = 100  # datasets per catalogue page (the portal's own UI uses 10-50)
RECORDS_PAGE_SIZE = 1000  # records per data request; always from=0 with a range on the key
DEFAULT_RECORD_KEY = "id"  # the unique, sortable field records are paged by [assumed]
# A record field (mapping type "date") with one of these names marks a dataset whose changes
# can be fetched incrementally [assumed: no portal-wide convention is documented].
MODIFICATION_FIELDS = (
    "modified",
    "modifiedDate",
    "modified_date",
    "updated_at",
    "updatedAt",
    "updated",
    "last_modified",
    "date_modified",
)
VERSION = re.compile(r"v([0-9]+)")  # "v1", "v2", …: the largest is the latest [seen]
API_URI = re.compile(r"[A-Za-z0-9_.\-]+")
