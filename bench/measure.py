"""Sends one scenario through the real HTTP app and weighs its DynamoDB work against its budget."""

from __future__ import annotations

import json
import os
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalice.test import Client

from bench.counting import DynamoDBCallCounter, Usage
from bench.scenarios import Scenario


@dataclass(frozen=True)
class Measurement:
    scenario: Scenario
    usage: Usage
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def http_client(app: Any) -> Client:
    """`chalice.test.Client` on `app`, configured by the process environment alone.

    Given the repository as project directory, the test client would apply the dev stage's
    environment variables from .chalice/config.json to every request (TABLE_NAME
    `returns-desk-dev`, token parameters in SSM), pointing the app away from the bench's table.
    This directory has no Chalice config, so nothing is applied.
    """
    return Client(app, project_dir=str(Path(__file__).parent))


def measure(api: Client, counter: DynamoDBCallCounter, scenario: Scenario) -> Measurement:
    token = scenario.token or (
        os.environ[scenario.token_variable] if scenario.token_variable else None
    )
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = b""
    if scenario.body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(scenario.body).encode()
    import time_machine

    moment = time_machine.travel(scenario.at) if scenario.at else nullcontext()
    with moment:
        before = counter.usage()
        response = api.http.request(scenario.method, scenario.path, headers=headers, body=body)
        usage = counter.usage() - before
    problems = scenario.budget.overruns(usage)
    if response.status_code != scenario.expected_status:
        problems.append(f"HTTP {response.status_code}: {response.body[:200]!r}")
    elif not scenario.answer_is_right(json.loads(response.body)):
        problems.append("wrong answer")
    return Measurement(scenario, usage, tuple(problems))
