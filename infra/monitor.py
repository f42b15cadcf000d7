"""JobStatusMonitor: everything one jobwatch deployment needs, as one construct other apps can embed."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudformation as cloudformation
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.alarms import METRICS_NAMESPACE, create_alarms
from infra.checkov import acknowledge_checkov_findings
from infra.config import CREATE_KEY, MonitorProps
from infra.dashboard import create_dashboard
from infra.nag import acknowledge_monitor_findings
from infra.permissions import ACCOUNT_ALIAS_ACTION, JOB_READS, JobReads
from infra.reader import HUB_ROLE_PARAMETER, reader_template

LAMBDA_CODE = Path(__file__).resolve().parent.parent / "lambdas"
HANDLER = "job_monitor.handler.handler"
RUNTIME = lambda_.Runtime.PYTHON_3_14
POWERTOOLS_VERSION = "3.37.0"
# Powertools publishes its layer ARN per runtime, architecture and version as a public SSM
# parameter in the regions it publishes the layer to; resolving it at deploy time keeps the stack
# region-agnostic and the version pinned to the one the tests run with. Where that parameter does
# not exist (a region or partition Powertools does not publish to), powertools_layer_arn overrides it.
POWERTOOLS_LAYER_PARAMETER = f"/aws/service/powertools/python/arm64/python3.14/{POWERTOOLS_VERSION}"
TIMEOUT = Duration.minutes(2)
# The DynamoDB calls lambdas/job_monitor/adapters/dynamodb_state.py makes; queries go to the GSIs only.
TABLE_ITEM_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchGetItem",
)
TABLE_INDEX_ACTIONS = ("dynamodb:Query",)


class JobStatusMonitor(Construct):
    """The scheduled monitor function with its state table, topics, dead-letter queue and alarms."""

    def __init__(self, scope: Construct, construct_id: str, *, props: MonitorProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        # The function's metrics (and log lines) carry the stack's name as their service: two
        # deployments in one account and region publish separate series for their own alarms.
        self.service_name = Stack.of(self).stack_name
        self.key = self._key()
        # with kms_key, the one customer-managed key encrypts everything at rest; without, AWS managed keys
        at_rest_key = self.key if props.kms_key else None

        self.table = dynamodb.Table(
            self,
            "State",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED
            if at_rest_key
            else dynamodb.TableEncryption.AWS_MANAGED,
            encryption_key=at_rest_key,
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
            encryption=sqs.QueueEncryption.KMS if at_rest_key else sqs.QueueEncryption.SQS_MANAGED,
            encryption_master_key=at_rest_key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )

        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=logs.RetentionDays.ONE_MONTH,
            encryption_key=at_rest_key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        # A role of our own: logs go to the stack's log group only, not the managed policy's logs on "*".
        self.function_role = iam.Role(
            self, "FunctionRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")
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
                    props.powertools_layer_arn
                    or ssm.StringParameter.value_for_string_parameter(self, POWERTOOLS_LAYER_PARAMETER),
                )
            ],
            timeout=TIMEOUT,
            memory_size=512,
            role=self.function_role,
            environment=self._environment(),
            environment_encryption=at_rest_key,
            tracing=lambda_.Tracing.ACTIVE,  # CDK grants the X-Ray writes, which exist only on "*"
            log_group=self.log_group,
            dead_letter_queue=self.dead_letter_queue,
            retry_attempts=0,  # a failed tick is not retried: the next scheduled tick redoes its work
            max_event_age=Duration.minutes(10),
            reserved_concurrent_executions=props.reserved_concurrency,
        )
        self._grant(at_rest_key)

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
        if at_rest_key:  # the scheduler writes failed events to the encrypted dead-letter queue
            at_rest_key.grant(self.schedule_role, "kms:Decrypt", "kms:GenerateDataKey*")

        self.alarm_topic = sns.Topic(
            self, "Alarms", display_name="jobwatch alarms", master_key=self.key, enforce_ssl=True
        )
        self.alarm_topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.alarm_topic.topic_arn],
                conditions=self._from_this_accounts_alarms(),
            )
        )
        for address in props.alarm_addresses:
            self.alarm_topic.add_subscription(subscriptions.EmailSubscription(address))
        self.alarms = create_alarms(
            self,
            function=self.function,
            dead_letter_queue=self.dead_letter_queue,
            topic=self.alarm_topic,
            service=self.service_name,
            many_sources=props.many_sources,
        )
        self.reader_stack_set = self._reader_stack_set() if props.reader_org_units else None
        self.dashboard = create_dashboard(
            self,
            function=self.function,
            dead_letter_queue=self.dead_letter_queue,
            channels=("email", "slack") if props.slack_secret_name else ("email",),
            alarms=self.alarms,
            service=self.service_name,
            many_sources=props.many_sources,
        )
        acknowledge_monitor_findings(
            regions=props.regions,
            function=self.function,
            function_role=self.function_role,
            table=self.table,
            schedule_role=self.schedule_role,
        )
        acknowledge_checkov_findings(
            function=self.function,
            table=self.table,
            dead_letter_queue=self.dead_letter_queue,
            log_group=self.log_group,
            customer_managed_key=at_rest_key is not None,
            reserved_concurrency=props.reserved_concurrency is not None,
        )

    def _from_this_accounts_alarms(self) -> dict[str, dict[str, str]]:
        """Confused-deputy guard for grants to CloudWatch: only this account's alarms in this region."""
        stack = Stack.of(self)
        alarms = stack.format_arn(
            service="cloudwatch",
            resource="alarm",
            resource_name="*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        return {"StringEquals": {"aws:SourceAccount": stack.account}, "ArnLike": {"aws:SourceArn": alarms}}

    def _key(self) -> kms.IKey:
        """The key of both topics; with kms_key, also of the table, queue, log group and environment.

        An existing key (kms_key=<ARN>) keeps its own policy: docs/deploy.md lists what it must allow.
        """
        if self.props.kms_key and self.props.kms_key != CREATE_KEY:
            return kms.Key.from_key_arn(self, "Key", self.props.kms_key)
        key = kms.Key(
            self,
            "TopicKey",  # the id predates kms_key; kept so that existing deployments keep their key
            description="Encrypts jobwatch's data at rest"
            if self.props.kms_key
            else "Encrypts jobwatch's SNS topics",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # CloudWatch publishes alarm notifications to the encrypted operations topic.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions=self._from_this_accounts_alarms(),
            )
        )
        if self.props.kms_key == CREATE_KEY:
            stack = Stack.of(self)
            key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AllowCloudWatchLogsOfThisAccount",
                    # CloudWatch Logs' regional principal; URLSuffix makes it amazonaws.com.cn in aws-cn
                    principals=[iam.ServicePrincipal(f"logs.{stack.region}.{stack.url_suffix}")],
                    actions=[
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    resources=["*"],
                    conditions={
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                                service="logs",
                                resource="log-group",
                                resource_name="*",
                                arn_format=ArnFormat.COLON_RESOURCE_NAME,
                            )
                        }
                    },
                )
            )
        return key

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
            "POWERTOOLS_SERVICE_NAME": self.service_name,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "LOG_LEVEL": props.log_level,
        }
        if props.slack_webhook_secret_name:
            environment["SLACK_WEBHOOK_SECRET_NAME"] = props.slack_webhook_secret_name
        if props.slack_bot_token_secret_name and props.slack_channel:
            environment["SLACK_BOT_TOKEN_SECRET_NAME"] = props.slack_bot_token_secret_name
            environment["SLACK_CHANNEL"] = props.slack_channel
            if props.slack_routes:
                environment["SLACK_ROUTES"] = ",".join(
                    f"{glob}={channel}" for glob, channel in props.slack_routes
                )
        if props.name_contains:
            environment["NAME_CONTAINS"] = props.name_contains
        if props.job_names:
            environment["JOB_NAMES"] = ",".join(props.job_names)
        environment["JOB_KINDS"] = ",".join(props.job_kinds)
        if props.regions:
            environment["REGIONS"] = ",".join(props.regions)
        if props.accounts:
            environment["ACCOUNTS"] = ",".join(props.accounts)
            environment["READER_ROLE_NAME"] = props.reader_role_name
        return environment

    def _reader_stack_set(self) -> cloudformation.CfnStackSet:
        """The reader role in every account of ``reader_org_units``, and in each account that joins them
        later (auto-deployment); IAM is global, so one stack instance per account, in this region.

        ``reader_stackset_call_as`` left out keeps CloudFormation's default (SELF: the hub is the
        management account) and the template as it was; DELEGATED_ADMIN is for a hub in a member
        account registered as a delegated administrator for StackSets."""
        stack = Stack.of(self)
        return cloudformation.CfnStackSet(
            self,
            "ReaderStackSet",
            stack_set_name=f"{stack.stack_name}-reader",
            description="jobwatch: the reader role the hub's monitor function assumes in member accounts",
            permission_model="SERVICE_MANAGED",
            call_as=self.props.reader_stackset_call_as,
            auto_deployment=cloudformation.CfnStackSet.AutoDeploymentProperty(
                enabled=True, retain_stacks_on_account_removal=False
            ),
            capabilities=["CAPABILITY_NAMED_IAM"],
            template_body=reader_template(
                role_name=self.props.reader_role_name, job_kinds=self.props.job_kinds
            ),
            parameters=[
                cloudformation.CfnStackSet.ParameterProperty(
                    parameter_key=HUB_ROLE_PARAMETER, parameter_value=self.function_role.role_arn
                )
            ],
            stack_instances_group=[
                cloudformation.CfnStackSet.StackInstancesProperty(
                    deployment_targets=cloudformation.CfnStackSet.DeploymentTargetsProperty(
                        organizational_unit_ids=list(self.props.reader_org_units)
                    ),
                    regions=[stack.region],
                )
            ],
            operation_preferences=cloudformation.CfnStackSet.OperationPreferencesProperty(
                max_concurrent_percentage=100,
                failure_tolerance_percentage=100,
                region_concurrency_type="PARALLEL",
            ),
        )

    def _grant_job_reads(self, reads: JobReads) -> None:
        """One kind of job's list and describe actions; its jobs described in the watched regions only."""
        stack = Stack.of(self)
        for statement in reads.statements(stack, regions=self.props.regions or [stack.region]):
            self.function.add_to_role_policy(statement)

    def _grant_member_accounts(self) -> None:
        """With several sources: the reader role of each listed account, and the account alias messages name."""
        props = self.props
        if not props.many_sources:
            return
        stack = Stack.of(self)
        self.function.add_to_role_policy(
            iam.PolicyStatement(sid="ReadAccountAlias", actions=[ACCOUNT_ALIAS_ACTION], resources=["*"])
        )
        if props.accounts:
            self.function.add_to_role_policy(
                iam.PolicyStatement(
                    sid="AssumeReaderRoles",
                    actions=["sts:AssumeRole"],
                    resources=[
                        f"arn:{stack.partition}:iam::{account}:role/{props.reader_role_name}"
                        for account in props.accounts
                    ],
                )
            )

    def _grant(self, at_rest_key: kms.IKey | None) -> None:
        """What the function's code calls, on this stack's resources, and nothing else."""
        stack = Stack.of(self)
        self.log_group.grant_write(self.function_role)
        for kind in self.props.job_kinds:
            self._grant_job_reads(JOB_READS[kind])
        self._grant_member_accounts()
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                sid="StateTableItems", actions=list(TABLE_ITEM_ACTIONS), resources=[self.table.table_arn]
            )
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                sid="StateTableIndexQueries",
                actions=list(TABLE_INDEX_ACTIONS),
                resources=[f"{self.table.table_arn}/index/*"],
            )
        )
        self.topic.grant_publish(self.function)  # also for subscribers added outside the stack (Chatbot)
        if at_rest_key:  # the table, and the dead-letter queue Lambda writes failed invocations to
            at_rest_key.grant_encrypt_decrypt(self.function)
        secret_name = self.props.slack_secret_name
        if secret_name:
            self.function.add_to_role_policy(
                iam.PolicyStatement(
                    sid="ReadSlackSecret",
                    actions=["secretsmanager:GetSecretValue"],  # the only call the function makes on it
                    resources=[
                        stack.format_arn(
                            service="secretsmanager",
                            resource="secret",
                            resource_name=f"{secret_name}-??????",  # Secrets Manager's random suffix
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    ],
                )
            )
        if self.props.slack_secret_kms_key_arn:
            self.function.add_to_role_policy(
                iam.PolicyStatement(
                    sid="DecryptSlackSecret",
                    actions=["kms:Decrypt"],
                    resources=[self.props.slack_secret_kms_key_arn],
                    # only when Secrets Manager in this region decrypts the secret for the function; the
                    # endpoint's suffix is left open because it differs between partitions
                    conditions={"StringLike": {"kms:ViaService": f"secretsmanager.{stack.region}.*"}},
                )
            )
