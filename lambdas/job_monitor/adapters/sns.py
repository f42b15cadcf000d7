"""The email channel: one SNS publish per message, with attributes subscribers can filter on."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from job_monitor.domain import JobReport
from job_monitor.messages import MessageOptions, SnsPublication, sns_publication
from job_monitor.ports import DeliveryFailed, Thread
from job_monitor.routing import SlackRouter

# The message attribute that carries the Slack channel a job is routed to.
ROUTE_ATTRIBUTE = "slack_channel"


def message_attributes(
    publication: SnsPublication, report: JobReport, router: SlackRouter | None
) -> dict[str, str]:
    """The attributes subscriptions filter on; in Slack's app mode also the job's routed channel,
    so an email subscription can follow one team (``jobwatch preview`` shows the same)."""
    if router is None:
        return dict(publication.attributes)
    return {**publication.attributes, ROUTE_ATTRIBUTE: router.channel_for(report)}


class SnsNotifier:
    """Implements ports.Notifier for the ``email`` channel over a ``boto3.client("sns")``."""

    channel = "email"
    keeps_threads = False

    def __init__(
        self, client: Any, *, topic_arn: str, options: MessageOptions, router: SlackRouter | None = None
    ) -> None:
        self._client = client
        self._topic_arn = topic_arn
        self._options = options
        self._router = router

    def deliver(self, report: JobReport, *, thread: Thread | None = None) -> None:
        publication = sns_publication(report, self._options)
        attributes = message_attributes(publication, report, self._router)
        arguments: dict[str, Any] = {
            "TopicArn": self._topic_arn,
            "Subject": publication.subject,
            "Message": publication.message,
            "MessageAttributes": {
                name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
            },
        }
        if publication.message_structure:
            arguments["MessageStructure"] = publication.message_structure
        try:
            self._client.publish(**arguments)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "Unknown")
            permanent = code in {"NotFound", "AuthorizationError", "InvalidParameter", "KMSDisabled"}
            raise DeliveryFailed(f"SNS refused the message: {code}", permanent=permanent) from error
        except BotoCoreError as error:
            raise DeliveryFailed(f"SNS could not be reached: {type(error).__name__}") from error
