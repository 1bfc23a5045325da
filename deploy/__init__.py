"""Deployment: the CloudFormation merge template that `chalice package` folds into its own.

Chalice creates the functions, their roles, the API and the functions' event sources.
Everything else a stage needs (the table, the returns bucket, the inspection queues, the
lifecycle state machine, its role and log group, the alarms) is generated here from the same
sources the code and the tests use: `table_definition()`, the inspection upload constants, the
ASL file and the Chalice app itself. `python -m deploy --stage dev --out build/` writes
build/merge-template.json; `python -m deploy.preview --stage dev` prints the packaged template.
"""
