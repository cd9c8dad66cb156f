"""Every assumption about data.egov.kz's API, in one place (docs/sources.md section 2).

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
# The same catalogue as a form POST, in a newer public client [seen]; asked when getdatasets
# answers 404 or 405. Form: page, count and these.
CATALOGUE_FALLBACK_PATH = "/datasets/getdatasetsre"
CATALOGUE_FALLBACK_FORM = {"status": "PUBLISHED"}  # [seen]
CATALOGUE_FALLBACK_STATUSES = frozenset({404, 405})  # getdatasets gone or GET refused
PASSPORT_PATH = "/meta/{api_uri}/{version}"  # no key [seen]
MAPPING_PATH = "/api/v4/mapping/{api_uri}"  # key required (under /api/) [seen]
DATA_PATH = "/api/v4/{api_uri}/{version}"  # a bare JSON array [seen]
DETAILED_PATH = "/api/detailed/{api_uri}/{version}"  # {"totalCount": N, "data": [...]} [seen]
# /api/detailed has answered without any key [seen]; with no key configured the client asks it
# keyless (a 403 then says a key is needed), while /api/v4 always needs one [seen].
KEYLESS_PATHS = ("/api/detailed/",)
API_KEY_PARAM = "apiKey"  # [seen]
SOURCE_PARAM = "source"  # an Elasticsearch request body, as JSON [seen]

# --- answers ---------------------------------------------------------------------------------
CATALOGUE_TOTAL = "totalCount"  # [seen]
CATALOGUE_ITEMS = "datasets"  # [seen]
DATASET_KEY = "apiUri"  # [seen]
DETAILED_TOTAL = "totalCount"  # [seen]
DETAILED_ITEMS = "data"  # [seen]
ERROR_KEYS = frozenset({"code", "message"})  # an error in disguise: HTTP 200 with these [seen]
# Passport fields [assumed: the passport page shows both]; values as in docs/sources.md. Any other
# value is recorded as seen and counted apart ("unknown periodicity"), never a failed load.
PASSPORT_PERIODICITY = "periodicity"
PASSPORT_ARCHIVED = "archived"
PERIODICITIES = frozenset(
    {"daily", "weekly", "monthly", "quarterly", "semiannual", "yearly", "irregular"}
)
PASSPORT_FIELDS = "fields"  # {name: {labelRu, labelKk, type}} [seen]
PASSPORT_DATETIME_TYPE = "Datetime"  # passport field types: Int|String|Datetime|Boolean [seen]
# Mappings are Elasticsearch 2.x style [seen]: dates may be typed "string" like text, so a
# mapped "date" confirms a modification field but its absence proves nothing.
MAPPING_DATE_TYPES = frozenset({"date"})

# --- paging ----------------------------------------------------------------------------------
CATALOGUE_PAGE_SIZE = 100  # datasets per catalogue page (the portal's own UI uses 10-50)
RECORDS_PAGE_SIZE = 1000  # records per data request; always from=0 with a range on the key
DEFAULT_RECORD_KEY = "id"  # the unique, sortable field records are paged by [assumed]
# A record field with one of these names, typed a date by the mapping or Datetime by the
# passport, marks a dataset whose changes can be fetched incrementally [assumed: no portal-wide
# convention is documented]; the watch file can name the field per dataset instead.
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
VERSION = re.compile(r"v([0-9]+)|data")  # "v1", "v2", …: the largest is the latest [seen]
# The address-register datasets publish one version named "data" [seen]; where it stands among
# numbered versions of one dataset is [assumed]: below v1, so a numbered version wins.
NAMED_VERSIONS = {"data": 0}
API_URI = re.compile(r"[A-Za-z0-9_.\-]+")
# Dates: ISO 8601 local time (Asia/Almaty) [assumed], and "2016-03-29+06:00" (a date with an
# offset) as well as ISO times with or without an offset [seen]. An offset-free value is local.
LOCAL_TIMEZONE = "Asia/Almaty"
# What staging types (dbt_project/models/staging/opendata): each must be plausible to land
# (ingestion/common/bounds.py), or its catalogue entry, passport or record is a reject.
CATALOGUE_DATE_FIELDS = ("createdDate", "modifiedDate")  # timestamps: the catalogue's freshness
CATALOGUE_COUNT_FIELDS = {"views": "bigint"}
PASSPORT_DATE_FIELDS = ("modifiedDate",)
VERSION_NUMBER_TYPE = "integer"  # "v12" → 12 (stg_opendata__mappings, __passports)
