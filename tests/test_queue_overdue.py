"""The staff queue's 超期 filter: which deadline runs in which state comes from
complaints/models.py (ACCEPT_RUNS, REPLY_RUNS), not from a list of the query's own."""

from __future__ import annotations

import datetime as dt

from registry.complaints.models import ACCEPT_RUNS, REPLY_RUNS, ComplaintStatus
from registry.complaints.queries import complaints as q
from registry.infra import clock
from tests.staff_helpers import file_complaint


async def test_overdue_means_the_deadline_that_runs_in_that_state(client, conn):
    today = clock.today()
    past, future = today - dt.timedelta(days=3), today + dt.timedelta(days=30)
    # (status, accept_due, reply_due) -> overdue?
    cases = {
        (ComplaintStatus.SUBMITTED, past, future): True,
        (ComplaintStatus.SUBMITTED, future, past): False,
        (ComplaintStatus.ACCEPTED, past, future): False,
        (ComplaintStatus.ACCEPTED, future, past): True,
        (ComplaintStatus.ASSIGNED, future, past): True,
        (ComplaintStatus.REPLIED, past, past): False,
        (ComplaintStatus.CLOSED, past, past): False,
        (ComplaintStatus.REJECTED, past, past): False,
    }
    refs = {}
    for status, accept_due, reply_due in cases:
        ref = await file_complaint(client)
        await conn.execute(
            "UPDATE complaints SET status = $2, accept_due = $3, reply_due = $4"
            " WHERE reference = $1",
            ref,
            status.value,
            accept_due,
            reply_due,
        )
        refs[ref] = (status, accept_due, reply_due)
    rows, _ = await q.queue(conn, scope_department=None, overdue_on=today, limit=1000)
    listed = {r["reference"] for r in rows} & set(refs)
    assert listed == {ref for ref, case in refs.items() if cases[case]}
    assert set(ACCEPT_RUNS) | set(REPLY_RUNS) == {
        ComplaintStatus.SUBMITTED,
        ComplaintStatus.ACCEPTED,
        ComplaintStatus.ASSIGNED,
    }
