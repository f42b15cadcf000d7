"""JobStatusMonitor: everything one jobwatch deployment needs, as one construct other apps can embed."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.config import MonitorProps
from infra.nag import acknowledge_monitor_findings

LAMBDA_CODE = Path(__file__).resolve().parent.parent / "lambdas"
HANDLER = "job_monitor.handler.handler"
RUNTIME = lambda_.Runtime.PYTHON_3_14
POWERTOOLS_VERSION = "3.37.0"
# Powertools publishes its layer ARN per runtime, architecture and version as a public SSM
# parameter in every commercial region; resolving it at deploy time keeps the stack region-agnostic
# and the version pinned to the one the tests run with.
POWERTOOLS_LAYER_PARAMETER = f"/aws/service/powertools/python/arm64/python3.14/{POWERTOOLS_VERSION}"
METRICS_NAMESPACE = "jobwatch"
SERVICE_NAME = "jobwatch"
TIMEOUT = Duration.minutes(2)


class JobStatusMonitor(Construct):
    """The scheduled monitor function with its state table, topics, dead-letter queue and alarms."""

    def __init__(self, scope: Construct, construct_id: str, *, props: MonitorProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props

        self.table = dynamodb.Table(
            self,
            "State",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            time_to_live_attribute="expires_at",
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index, shard, sort in (
            ("outbox-index", "outbox_shard", "outbox_due"),
            ("active-index", "active_shard", "reconciled_at"),
        ):
            self.table.add_global_secondary_index(
                index_name=index,
                partition_key=dynamodb.Attribute(name=shard, type=dynamodb.AttributeType.STRING),
                sort_key=dynamodb.Attribute(name=sort, type=dynamodb.AttributeType.NUMBER),
                projection_type=dynamodb.ProjectionType.ALL,
            )

        self.key = kms.Key(
            self,
            "TopicKey",
            description="Encrypts jobwatch's SNS topics",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # CloudWatch publishes alarm notifications to the encrypted operations topic.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
        self.topic = sns.Topic(
            self, "Summaries", display_name="jobwatch", master_key=self.key, enforce_ssl=True
        )
        filter_policy = (
            {"status": sns.SubscriptionFilter.string_filter(allowlist=list(props.email_statuses))}
            if props.email_statuses
            else None
        )
        for address in props.notify_emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(address, filter_policy=filter_policy))

        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )

        self.function = lambda_.Function(
            self,
            "Function",
            description="jobwatch: polls SageMaker Inference Recommender jobs and announces when they finish",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=HANDLER,
            code=lambda_.Code.from_asset(str(LAMBDA_CODE), exclude=["**/__pycache__", "**/*.pyc"]),
            layers=[
                lambda_.LayerVersion.from_layer_version_arn(
                    self,
                    "Powertools",
                    ssm.StringParameter.value_for_string_parameter(self, POWERTOOLS_LAYER_PARAMETER),
                )
            ],
            timeout=TIMEOUT,
            memory_size=512,
            environment=self._environment(),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=logs.LogGroup(
                self, "Logs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.DESTROY
            ),
            dead_letter_queue=self.dead_letter_queue,
            retry_attempts=0,  # a failed tick is not retried: the next scheduled tick redoes its work
            max_event_age=Duration.minutes(10),
            reserved_concurrent_executions=props.reserved_concurrency,
        )
        self._grant()

        self.schedule_role = iam.Role(
            self, "ScheduleRole", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com")
        )
        self.schedule = scheduler.Schedule(
            self,
            "Tick",
            description="Runs one jobwatch tick",
            schedule=scheduler.ScheduleExpression.expression(props.schedule),
            target=scheduler_targets.LambdaInvoke(
                self.function,
                dead_letter_queue=self.dead_letter_queue,
                max_event_age=Duration.minutes(5),
                retry_attempts=2,
                role=self.schedule_role,
            ),
        )

        self.alarm_topic = sns.Topic(
            self, "Alarms", display_name="jobwatch alarms", master_key=self.key, enforce_ssl=True
        )
        for address in props.alarm_addresses:
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(address))
        self.alarms = self._alarms()
        acknowledge_monitor_findings(self)

    def _environment(self) -> dict[str, str]:
        props = self.props
        environment = {
            "STATE_TABLE_NAME": self.table.table_name,
            "TOPIC_ARN": self.topic.topic_arn,
            "RANKING_OBJECTIVE": props.objective,
            "TOP_RECOMMENDATIONS": str(props.top_n),
            "DISCOVER_JOBS": str(props.discover_jobs).lower(),
            "CHATBOT_FORMAT": str(props.chatbot_format).lower(),
            "NOTIFY_STARTED": str(props.notify_started).lower(),
            "MAX_DELIVERY_ATTEMPTS": str(props.max_delivery_attempts),
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "LOG_LEVEL": props.log_level,
        }
        if props.slack_webhook_secret_name:
            environment["SLACK_WEBHOOK_SECRET_NAME"] = props.slack_webhook_secret_name
        if props.name_contains:
            environment["NAME_CONTAINS"] = props.name_contains
        if props.job_names:
            environment["JOB_NAMES"] = ",".join(props.job_names)
        return environment

    def _grant(self) -> None:
        stack = Stack.of(self)
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                sid="ListInferenceRecommendationsJobs",
                actions=["sagemaker:ListInferenceRecommendationsJobs"],
                resources=["*"],  # the list action supports no resource-level permission
            )
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                sid="DescribeInferenceRecommendationsJobs",
                actions=["sagemaker:DescribeInferenceRecommendationsJob"],
                resources=[
                    stack.format_arn(
                        service="sagemaker", resource="inference-recommendations-job", resource_name="*"
                    )
                ],
            )
        )
        self.table.grant_read_write_data(self.function)
        self.topic.grant_publish(self.function)  # also for subscribers added outside the stack (Chatbot)
        if self.props.slack_webhook_secret_name:
            self.slack_secret = secretsmanager.Secret.from_secret_name_v2(
                self, "SlackWebhook", self.props.slack_webhook_secret_name
            )
            self.slack_secret.grant_read(self.function)

    def _alarms(self) -> list[cloudwatch.Alarm]:
        def service_metric(name: str, period: Duration) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace=METRICS_NAMESPACE,
                metric_name=name,
                dimensions_map={"service": SERVICE_NAME},
                statistic="Sum",
                period=period,
            )

        # name: (metric, threshold, description); each alarms at threshold or above in one period
        definitions = {
            "FunctionErrors": (
                self.function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
                1,
                "A jobwatch tick failed; transitions wait for the next successful tick",
            ),
            "TickErrors": (
                service_metric("TickErrors", Duration.hours(1)),
                3,
                "jobwatch could not list or process jobs three times in an hour (throttling past "
                "retries, a permission, the service down); see the function's ERROR log lines",
            ),
            "NotificationsFailed": (
                service_metric("NotificationsFailed", Duration.minutes(5)),
                1,
                "A jobwatch notification could not be delivered; it is retried each tick",
            ),
            "NotificationsAbandoned": (
                service_metric("NotificationsAbandoned", Duration.minutes(5)),
                1,
                "A jobwatch notification was abandoned after its last allowed attempt",
            ),
            "DeadLetters": (
                self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(5), statistic="Maximum"
                ),
                1,
                "A scheduled jobwatch tick could not be delivered or failed asynchronously",
            ),
        }
        alarms = []
        for name, (metric, threshold, description) in definitions.items():
            alarm = metric.create_alarm(
                self,
                f"{name}Alarm",
                alarm_description=description,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.alarm_topic))
            alarms.append(alarm)
        return alarms
