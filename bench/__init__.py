"""`make bench`: DynamoDB calls per request on a realistic table, and the cost of importing the app.

Not part of the test suite; `tests/integration/test_bench.py` reuses these modules on a small
data set so that the access-pattern budgets are still guarded by `make test`.
"""
