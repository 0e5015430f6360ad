"""Logs with retention, alerts on failed jobs and server errors, and a dashboard."""

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from .acknowledgments import LOGS_ENCRYPTED_BY_DEFAULT, acknowledge
from .compute import JOB_LOG_GROUP, Compute
from .database import Database
from .service import RunService

PERIOD = Duration.minutes(5)
SERVER_ERRORS_TO_ALARM = 5


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        compute: Compute,
        retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.job_logs = logs.LogGroup(
            self,
            "JobLogs",
            log_group_name=JOB_LOG_GROUP,
            retention=retention,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.alerts = sns.Topic(self, "Alerts", display_name="batchflow alerts", enforce_ssl=True)
        failed_jobs = events.Rule(
            self,
            "FailedJobs",
            description="A batchflow head or rule job ended FAILED",
            event_pattern=events.EventPattern(
                source=["aws.batch"],
                detail_type=["Batch Job State Change"],
                detail={
                    "status": ["FAILED"],
                    "jobQueue": [
                        compute.head_queue.job_queue_arn,
                        compute.task_queue.job_queue_arn,
                    ],
                },
            ),
        )
        failed_jobs.add_target(targets.SnsTopic(self.alerts))
        failed_job_count = cloudwatch.Metric(
            namespace="AWS/Events",
            metric_name="TriggeredRules",
            dimensions_map={"RuleName": failed_jobs.rule_name},
            statistic=cloudwatch.Stats.SUM,
            period=PERIOD,
        )
        self._alarm("FailedJobsAlarm", "A batchflow job failed", failed_job_count, threshold=1)
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=Stack.of(self).stack_name
        )
        self.dashboard.add_widgets(graph("Failed jobs", failed_job_count))
        self._acknowledge_findings()

    def watch_service(self, service: RunService) -> None:
        """Alarm on the run service's 5xx responses; graph its traffic, latency and load."""
        metrics = service.load_balancer.metrics
        load_balancer_errors = metrics.http_code_elb(
            elbv2.HttpCodeElb.ELB_5XX_COUNT, period=PERIOD, label="From the load balancer"
        )
        service_errors = metrics.http_code_target(
            elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=PERIOD, label="From the service"
        )
        server_errors = cloudwatch.MathExpression(
            expression="FILL(balancer, 0) + FILL(service, 0)",
            using_metrics={"balancer": load_balancer_errors, "service": service_errors},
            period=PERIOD,
            label="5xx responses",
        )
        self._alarm(
            "ServerErrorsAlarm",
            f"The run service answered {SERVER_ERRORS_TO_ALARM} or more requests with a 5xx",
            server_errors,
            threshold=SERVER_ERRORS_TO_ALARM,
        )
        self.dashboard.add_widgets(
            graph("Service requests", metrics.request_count(period=PERIOD)),
            graph("Service 5xx responses", load_balancer_errors, service_errors),
            graph(
                "Service response time (p50, p99)",
                metrics.target_response_time(statistic="p50", period=PERIOD),
                metrics.target_response_time(statistic="p99", period=PERIOD),
            ),
            graph(
                "Service CPU and memory (%)",
                service.service.metric_cpu_utilization(period=PERIOD),
                service.service.metric_memory_utilization(period=PERIOD),
            ),
        )

    def watch_database(self, database: Database) -> None:
        """Graph the database's load, connections and free storage."""
        instance = database.instance
        self.dashboard.add_widgets(
            graph("Database CPU (%)", instance.metric_cpu_utilization(period=PERIOD)),
            graph("Database connections", instance.metric_database_connections(period=PERIOD)),
            graph(
                "Database free storage (bytes)",
                instance.metric(
                    "FreeStorageSpace", statistic=cloudwatch.Stats.MINIMUM, period=PERIOD
                ),
            ),
        )

    def _alarm(
        self, construct_id: str, description: str, metric: cloudwatch.IMetric, *, threshold: int
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(actions.SnsAction(self.alerts))

    def _acknowledge_findings(self) -> None:
        acknowledge(self.job_logs, LOGS_ENCRYPTED_BY_DEFAULT, checkov=["CKV_AWS_158"])
        acknowledge(
            self.alerts,
            "Alerts carry job state changes and alarm states, no run data; EventBridge and "
            "CloudWatch alarms cannot publish under the AWS-managed SNS key, and a customer key "
            "would cost more than the content is worth protecting",
            checkov=["CKV_AWS_26"],
        )


def graph(title: str, *metrics: cloudwatch.IMetric) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(metrics), width=8)
