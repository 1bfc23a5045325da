"""Deployment: the CloudFormation merge template that `chalice package` folds into its own, and
the functions' IAM policy files.

Chalice creates the functions, their roles, the API and the functions' event sources.
Everything else a stage needs (the table and its stream, the returns bucket, the inspection
queues, the return events' on-failure queue, the lifecycle state machine, its role and log
group, the alarms, the Powertools layer parameter) is generated here from the same sources the
code and the tests use: `table_definition()`, the inspection upload constants, the ASL file and
the Chalice app itself. `python -m deploy --stage dev --out build/` writes
build/merge-template.json, after checking that each function gets its group's policy file;
`python -m deploy.policies` writes those files; `python -m deploy.preview --stage dev` prints
the packaged template; `python -m deploy.package_size <zip>` checks the zip's size.
"""
