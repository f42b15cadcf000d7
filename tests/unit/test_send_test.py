"""The send-test action: a message no receiver can mistake for a job's, on every channel, recording nothing.

Its wording is pinned by golden files like every other message (regenerate with
JOBWATCH_UPDATE_GOLDEN=1, as tests/unit/test_messages.py explains).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from job_monitor.messages import (
    MessageOptions,
    render_chatbot,
    render_email_body,
    render_email_subject,
    render_slack,
    sns_publication,
)
from job_monitor.operations import requested_action, send_test, send_test_report
from job_monitor.ports import DeliveryFailed

from tests.support.fakes import RecordingNotifier
from tests.unit.test_messages import golden, pretty

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
REPORT = send_test_report(region="eu-west-1", now=NOW)


class ExplodingNotifier:
    channel = "slack"

    def deliver(self, report: object) -> None:
        raise RuntimeError("GetParameterError: AccessDeniedException on the secret")


def test_every_channel_gets_the_test_message_and_reports_its_result() -> None:
    email, slack = RecordingNotifier("email"), RecordingNotifier("slack")
    slack.failures.append(DeliveryFailed("Slack says the webhook is gone (HTTP 404 no_service)"))

    result = send_test([email, slack], region="eu-west-1", now=NOW)

    assert result["channels"] == {
        "email": {"delivered": True, "error": None},
        "slack": {"delivered": False, "error": "Slack says the webhook is gone (HTTP 404 no_service)"},
    }
    assert email.delivered == [REPORT]


def test_an_unexpected_failure_on_one_channel_is_reported_and_the_others_still_sent() -> None:
    email = RecordingNotifier("email")

    result = send_test([ExplodingNotifier(), email], region="eu-west-1", now=NOW)

    assert result["channels"]["slack"] == {
        "delivered": False,
        "error": "RuntimeError: GetParameterError: AccessDeniedException on the secret",
    }
    assert result["channels"]["email"]["delivered"]


@pytest.mark.parametrize(
    ("event", "action"),
    [
        ({"action": "send-test"}, "send-test"),
        ({"version": "0", "source": "aws.scheduler", "detail": {}}, None),
        ({}, None),
        (None, None),
        ({"action": 3}, None),
    ],
)
def test_only_an_event_naming_an_action_is_an_operator_action(event: object, action: str | None) -> None:
    assert requested_action(event) == action


@pytest.mark.parametrize("chatbot", [False, True])
def test_every_form_says_test_message_and_that_no_job_changed(chatbot: bool) -> None:
    options = MessageOptions(chatbot_format=chatbot)
    subject = render_email_subject(REPORT)
    forms = [
        subject,
        render_email_body(REPORT, options),
        json.dumps(render_slack(REPORT, options), ensure_ascii=False),
        json.dumps(render_chatbot(REPORT, options), ensure_ascii=False),
    ]
    assert subject == "[jobwatch] TEST MESSAGE: jobwatch-test-message"
    for form in forms:
        assert "TEST MESSAGE" in form
    for form in forms[1:]:
        assert "No Inference Recommender job changed" in form
        assert "load tests" not in form  # the wording of a started job, which this is not
    assert sns_publication(REPORT, options).attributes["status"] == "TEST"


def test_send_test_golden() -> None:
    options = MessageOptions()
    publication = sns_publication(REPORT, options)
    golden(
        "send_test.email.txt",
        f"Subject: {render_email_subject(REPORT)}\n\n{render_email_body(REPORT, options)}",
    )
    golden("send_test.slack.json", pretty(render_slack(REPORT, options)))
    golden("send_test.chatbot.json", pretty(render_chatbot(REPORT, options)))
    golden(
        "send_test.sns.json",
        pretty(
            {
                "Subject": publication.subject,
                "MessageStructure": publication.message_structure,
                "MessageAttributes": publication.attributes,
                "Message": json.loads(publication.message),
            }
        ),
    )
