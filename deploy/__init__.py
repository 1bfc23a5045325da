"""Deployment: the CloudFormation merge template that `chalice package` folds into its own.

Chalice creates the functions, their roles and the API. Everything else a stage needs (the
table, the lifecycle state machine, its role and log group, the alarms) is generated here from
the same sources the code and the tests use: `table_definition()`, the ASL file and the Chalice
app itself. `python -m deploy --stage dev --out build/` writes build/merge-template.json.
"""
