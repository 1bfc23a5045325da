"""`python -m bench`: load a realistic table, count the DynamoDB work of each request through the
real HTTP app, time `import app`, and exit non-zero when any target is missed."""

from __future__ import annotations

import sys
import time

from bench.environment import TABLE_NAME, apply_environment


def main() -> int:
    started = time.perf_counter()
    apply_environment()
    # Imported only now: the app reads the Powertools switches when it is imported.
    from app import app
    from bench.counting import DynamoDBCallCounter
    from bench.dataset import DatasetSpec, load_dataset
    from bench.imports import measure_import_cost
    from bench.measure import http_client, measure
    from bench.moto_table import moto_table
    from bench.portal import measure_portal
    from bench.report import dataset_summary, import_summary, measurement_table, scan_summary
    from bench.scenarios import all_scenarios

    with moto_table(TABLE_NAME) as dynamodb:
        # Attached before loading, so that a Scan anywhere in the run is seen.
        counter = DynamoDBCallCounter().attach(dynamodb)
        dataset = load_dataset(dynamodb, TABLE_NAME, DatasetSpec())
        print(dataset_summary(dataset), end="\n\n", flush=True)
        api = http_client(app)
        measurements = [measure(api, counter, scenario) for scenario in all_scenarios(dataset)]
        measurements += measure_portal(api, counter)
        scans = counter.scans
    print(measurement_table(measurements), end="\n\n")
    print(scan_summary(scans), end="\n\n", flush=True)

    from bench.lifecycle_cost import cost_summary, measure_lifecycle_cost

    print(cost_summary(measure_lifecycle_cost(TABLE_NAME)), end="\n\n", flush=True)

    from bench.status_emails import measure_status_emails, status_email_summary

    with moto_table(TABLE_NAME):
        emails = measure_status_emails()
    print(status_email_summary(emails), end="\n\n", flush=True)

    from bench.analytics import analytics_summary, measure_analytics

    with moto_table(TABLE_NAME):
        analytics = measure_analytics(TABLE_NAME)
    print(analytics_summary(analytics), end="\n\n", flush=True)

    from bench.inspections import inspection_summary, measure_inspection_file

    # Judged: a file of 10 rows a return, where grouping the writes per return pays. Reported:
    # parcels of 2 lines, where each return's read and transaction weigh on 2 rows only and moto
    # spends more serializing an RMA it returns than on a bare UpdateItem (see README).
    inspections = measure_inspection_file(TABLE_NAME, returns=1_000, lines_per_return=5, units=2)
    print(inspection_summary(inspections), end="\n\n", flush=True)
    parcels = measure_inspection_file(TABLE_NAME, returns=5_000, lines_per_return=2)
    print(inspection_summary(parcels, gated=False), end="\n\n", flush=True)

    from bench.chat_reader import report as report_chat_reader

    chat_reader_ok = report_chat_reader()
    print(flush=True)

    import_cost = measure_import_cost()
    print(import_summary(import_cost, measure_cold_first_request()), end="\n\n")

    from bench.webhooks import measure_webhooks_and_shop, webhooks_summary

    with moto_table(TABLE_NAME):
        webhooks = measure_webhooks_and_shop(TABLE_NAME)
    print(webhooks_summary(webhooks), end="\n\n", flush=True)

    passed = all(m.ok for m in measurements) and scans == 0 and import_cost.ok and emails.ok
    passed = passed and inspections.ok and chat_reader_ok and analytics.ok and webhooks.ok
    verdict = "All targets met" if passed else "TARGETS MISSED"
    print(f"{verdict} in {time.perf_counter() - started:.0f} s")
    return 0 if passed else 1


def measure_cold_first_request() -> float:
    """The widget's first answer in a fresh interpreter, against a moto server of this process
    holding the table."""
    import boto3

    from bench.imports import measure_first_request
    from chalicelib.repositories.table_schema import table_definition
    from local.stack import moto_endpoint, start_moto, stop_moto

    server = start_moto()
    try:
        endpoint = moto_endpoint(server)
        dynamodb = boto3.session.Session().client("dynamodb", endpoint_url=endpoint)
        dynamodb.create_table(**table_definition(TABLE_NAME))
        return measure_first_request(endpoint)
    finally:
        stop_moto(server)


if __name__ == "__main__":
    sys.exit(main())
