"""Every query the report runs, in one place: the akimat ranking, its monthly trend and the
ministry ranking.

The open-data and complaint headlines come from `tyndau.headlines`, as in the demo.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg
from psycopg.rows import dict_row

from tyndau.warehouse.url import redact

# the columns both ranking marts have (macros/ranking.sql body_ranking), after their keys
RANKED_COLUMNS = """
       appeals, answered, answer_rate, answer_rate_ci_low, answer_rate_ci_high,
       answer_rank, answer_band,
       rated_answers, unsatisfied, unsatisfied_share,
       unsatisfied_share_ci_low, unsatisfied_share_ci_high,
       satisfaction_rank, satisfaction_band, small_sample,
       median_days_to_answer, p90_days_to_answer, answered_within_term_share,
       answered_late, answered_very_late, answered_very_late_share, overdue_pending"""

RANKING_QUERY = f"""
select region_kato, akimat_name_ru, region_name_ru,{RANKED_COLUMNS}
from marts.akimat_ranking
order by answer_rank
"""

MINISTRY_QUERY = f"""
select gov_body_code, ministry_name_ru,{RANKED_COLUMNS}
from marts.ministry_ranking
order by answer_rank
"""

MONTHLY_QUERY = """
select month, region_kato, akimat_name_ru, region_name_ru,
       appeals, answered, answer_rate
from marts.akimat_ranking_monthly
order by region_kato, month
"""

# the last day the appeals cover: what "data as of" means on the report
DATA_DATE_QUERY = "select max(submitted_on) as data_date from marts.fct_appeals"


class ReportError(RuntimeError):
    """The warehouse cannot give what the report needs (unreachable, marts not built)."""


@dataclass(frozen=True)
class ReportData:
    ranking: list[dict]  # one row per akimat, in answer-rank order
    monthly: list[dict]  # one row per akimat and month
    ministries: list[dict]  # one row per ministry with appeals, in answer-rank order
    data_date: dt.date | None


def load_report_data(warehouse_url: str) -> ReportData:
    try:
        with psycopg.connect(warehouse_url, row_factory=dict_row) as conn:
            ranking = conn.execute(RANKING_QUERY).fetchall()
            monthly = conn.execute(MONTHLY_QUERY).fetchall()
            ministries = conn.execute(MINISTRY_QUERY).fetchall()
            data_date = conn.execute(DATA_DATE_QUERY).fetchone()["data_date"]
    except psycopg.errors.UndefinedTable as error:
        raise ReportError(
            f"the marts are not built yet ({error.diag.message_primary}): "
            "run `tyndau demo` or `tyndau run` first"
        ) from error
    except psycopg.errors.UndefinedColumn as error:
        raise ReportError(
            f"the published marts are older than this report ({error.diag.message_primary}): "
            "run `tyndau run` (or `tyndau demo`) to rebuild them"
        ) from error
    except psycopg.OperationalError as error:
        raise ReportError(f"cannot reach the warehouse {redact(warehouse_url)}: {error}") from error
    if not ranking:
        raise ReportError("marts.akimat_ranking is empty: no akimat's appeals have landed yet")
    return ReportData(ranking=ranking, monthly=monthly, ministries=ministries, data_date=data_date)
