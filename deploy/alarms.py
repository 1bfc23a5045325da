"""CloudWatch alarms: failed and timed-out lifecycle executions, function errors, inspection
files and return events parked in dead-letter queues, a stream consumer falling behind, and the
app's own signals that a person must look (a parcel that did not match its return, a status
email given up on).

A lifecycle that ends in ANOMALY fails its execution on purpose (the `LifecycleFailed` state),
so ExecutionsFailed is the "a return needs a person" signal. Alarms notify the SNS topic given
as the `AlarmTopicArn` parameter, if any.
"""

from __future__ import annotations

from typing import Any

from chalicelib.observability import METRICS_NAMESPACE, SERVICE_NAME
from deploy.cfn import Resource, get_att, ref
from deploy.stage import StageNames

# Metrics the app emits (Powertools, dimension `service`) that each need a person.
APPLICATION_ALARMS = {
    "InspectionAnomalies": "An inspection file did not match its return, now an ANOMALY.",
    "StatusEmailsSetAside": "A status email could not be sent and was set aside.",
    "RefundApprovalsOverdue": "A computed refund waited for approval past the policy's delay.",
    "WebhookEndpointsDisabled": (
        "A webhook endpoint was disabled (it answered 410 Gone, or failed every delivery for "
        "three days): the merchant must fix it and enable it again; the log says which."
    ),
    "StoredItemsUnreadable": (
        "A stored return no longer reads as one: it is left out of lists and answers 500; "
        "the log line names its key."
    ),
}

ALARM_TOPIC_PARAMETER = "AlarmTopicArn"
_HAS_ALARM_TOPIC = "HasAlarmTopic"


def alarm_parameters() -> dict[str, Any]:
    return {
        ALARM_TOPIC_PARAMETER: {
            "Type": "String",
            "Default": "",
            "Description": "SNS topic the alarms notify; empty for none",
        }
    }


def alarm_conditions() -> dict[str, Any]:
    return {_HAS_ALARM_TOPIC: {"Fn::Not": [{"Fn::Equals": [ref(ALARM_TOPIC_PARAMETER), ""]}]}}


def state_machine_alarms(names: StageNames, state_machine_id: str) -> dict[str, Resource]:
    dimensions = [{"Name": "StateMachineArn", "Value": ref(state_machine_id)}]
    return {
        f"{state_machine_id}{metric}Alarm": _alarm(
            f"{names.state_machine_name}-{metric}",
            f"A return lifecycle execution {what}: the RMA's action log says why.",
            namespace="AWS/States",
            metric=metric,
            dimensions=dimensions,
        )
        for metric, what in (("ExecutionsFailed", "failed"), ("ExecutionsTimedOut", "timed out"))
    }


def function_errors_alarm(names: StageNames, function_id: str) -> dict[str, Resource]:
    return {
        f"{function_id}ErrorsAlarm": _alarm(
            f"{names.prefix}-{function_id}-Errors",
            f"{function_id} raised unhandled errors.",
            namespace="AWS/Lambda",
            metric="Errors",
            dimensions=[{"Name": "FunctionName", "Value": ref(function_id)}],
        )
    }


def iterator_age_alarm(
    names: StageNames, function_id: str, threshold_ms: int
) -> dict[str, Resource]:
    """Alarms when the oldest record a stream consumer is handed is older than `threshold_ms`:
    its shard is stuck behind a record that keeps failing (or the function cannot keep up)."""
    alarm = _alarm(
        f"{names.prefix}-{function_id}-IteratorAge",
        f"{function_id} is reading records older than {threshold_ms // 60_000} minutes: a "
        "record that keeps failing holds up the events behind it; its log says which.",
        namespace="AWS/Lambda",
        metric="IteratorAge",
        dimensions=[{"Name": "FunctionName", "Value": ref(function_id)}],
        statistic="Maximum",
    )
    alarm["Properties"].update(Threshold=threshold_ms, ComparisonOperator="GreaterThanThreshold")
    return {f"{function_id}IteratorAgeAlarm": alarm}


# Chalice's REST API and the stage it deploys it to.
REST_API = "RestAPI"
API_STAGE = "api"
# The slowest 1% of answers, over three 5-minute periods in a row, above this: a slow table,
# a slow peer (Gorgias, Shopify), or a cold start on every request.
API_LATENCY_P99_MS = 3000


def api_alarms(names: StageNames) -> dict[str, Resource]:
    """Chalice answers an exception in a view with a 500 itself, so the function's Errors
    metric never counts it: API Gateway's 5XXError does. And p99 latency, for what is slow."""
    dimensions = [
        {"Name": "ApiName", "Value": names.prefix},
        {"Name": "Stage", "Value": API_STAGE},
    ]
    server_errors = _alarm(
        f"{names.prefix}-api-5XXError",
        "The API answered 5xx: the function's log has each one with its stack.",
        namespace="AWS/ApiGateway",
        metric="5XXError",
        dimensions=dimensions,
    )
    latency = _alarm(
        f"{names.prefix}-api-latency-p99",
        f"The slowest 1% of API answers took over {API_LATENCY_P99_MS} ms for 15 minutes.",
        namespace="AWS/ApiGateway",
        metric="Latency",
        dimensions=dimensions,
    )
    properties = latency["Properties"]
    del properties["Statistic"]
    properties.update(
        ExtendedStatistic="p99",
        Threshold=API_LATENCY_P99_MS,
        EvaluationPeriods=3,
        ComparisonOperator="GreaterThanThreshold",
    )
    return {f"{REST_API}5XXErrorAlarm": server_errors, f"{REST_API}LatencyAlarm": latency}


def rest_api_name(names: StageNames) -> Resource:
    """The stage's API named after the stage (Chalice names every stage's API after the app),
    so that the alarms' `ApiName` dimension sees this stage's requests only."""
    return {"Properties": {"Name": names.prefix}}


def dead_letter_queue_alarm(
    names: StageNames, queue_id: str, what: str, remedy: str = "fix the cause, then redrive"
) -> dict[str, Resource]:
    """Alarms while any message waits in the queue: each one is `what` nobody could apply."""
    return {
        f"{queue_id}MessagesAlarm": _alarm(
            f"{names.prefix}-{queue_id}-Messages",
            f"{what} failed repeatedly and wait in {queue_id}: {remedy}.",
            namespace="AWS/SQS",
            metric="ApproximateNumberOfMessagesVisible",
            dimensions=[{"Name": "QueueName", "Value": get_att(queue_id, "QueueName")}],
            # A gauge, not a count: its highest value in the period, not the sum of samples.
            statistic="Maximum",
        )
    }


def application_alarms(names: StageNames) -> dict[str, Resource]:
    return {
        f"{metric}Alarm": _alarm(
            f"{names.prefix}-{metric}",
            description,
            namespace=METRICS_NAMESPACE,
            metric=metric,
            dimensions=[{"Name": "service", "Value": SERVICE_NAME}],
        )
        for metric, description in APPLICATION_ALARMS.items()
    }


def _alarm(
    name: str,
    description: str,
    *,
    namespace: str,
    metric: str,
    dimensions: list[dict[str, Any]],
    statistic: str = "Sum",
) -> Resource:
    # Any occurrence in five minutes alarms: each one is a return that stopped moving.
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": name,
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": dimensions,
            "Statistic": statistic,
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": {
                "Fn::If": [
                    _HAS_ALARM_TOPIC,
                    [ref(ALARM_TOPIC_PARAMETER)],
                    ref("AWS::NoValue"),
                ]
            },
        },
    }
