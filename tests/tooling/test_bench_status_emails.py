"""The status email job's budget of `make bench`, on a small table so that `make test` guards
it: one DynamoDB item read and one SES call per email sent, and no Scan."""

from __future__ import annotations

from typing import Any

from bench.status_emails import ITEMS_READ_PER_EMAIL_TARGET, measure_status_emails


def test_the_job_reads_about_one_item_and_calls_ses_once_per_email(aws: Any) -> None:
    # Given 3,000 RMAs, one in a hundred with its request email due
    # When the job runs until nothing is due
    cost = measure_status_emails(rmas=3_000, due_every=100)
    # Then every due email was sent once, for about one item read and one SES call each
    assert cost.emails_sent == cost.due == 30
    assert cost.items_read_per_email <= ITEMS_READ_PER_EMAIL_TARGET
    assert cost.ses_calls_per_email == 1
    assert "Scan" not in cost.dynamodb.calls
    assert cost.ok
