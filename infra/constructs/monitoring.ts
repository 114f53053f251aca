import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { Notifications } from './notifications';

/** Namespace and name of the stalled-replication metric. */
export const STALLED_METRIC = { namespace: 'MgnOrchestrator', metricName: 'StalledServers' } as const;

/**
 * The log metric filter behind STALLED_METRIC: a JSON log line of the wait-replication step with a
 * numeric `stalledServers` field (the count of servers MGN reports STALLED in that poll).
 */
export const STALLED_FILTER_PATTERN = '{ $.stalledServers > 0 }';

export interface MonitoringProps {
  readonly stateMachine: sfn.StateMachine;
  /** The step functions, by step name. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** Log group of the wait-replication step (source of the stalled-replication metric). */
  readonly waitReplicationLogGroup: logs.ILogGroup;
  /** Alarms notify this topic. */
  readonly notifications: Notifications;
}

/**
 * A dashboard (executions, step errors and durations, stalled servers) and alarms on failed or
 * timed-out executions and on stalled replication, all notifying the topic.
 */
export class Monitoring extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly failedExecutionsAlarm: cloudwatch.Alarm;
  public readonly timedOutExecutionsAlarm: cloudwatch.Alarm;
  public readonly stalledReplicationAlarm: cloudwatch.Alarm;
  public readonly stalledMetric: cloudwatch.Metric;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const notify = new actions.SnsAction(props.notifications.topic);

    new logs.MetricFilter(this, 'StalledServersFilter', {
      logGroup: props.waitReplicationLogGroup,
      filterPattern: logs.FilterPattern.literal(STALLED_FILTER_PATTERN),
      metricNamespace: STALLED_METRIC.namespace,
      metricName: STALLED_METRIC.metricName,
      metricValue: '$.stalledServers',
    });
    this.stalledMetric = new cloudwatch.Metric({ ...STALLED_METRIC, statistic: 'Maximum', period });

    this.failedExecutionsAlarm = new cloudwatch.Alarm(this, 'FailedExecutions', {
      alarmDescription: 'A wave execution failed',
      metric: props.stateMachine.metricFailed({ period, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.timedOutExecutionsAlarm = new cloudwatch.Alarm(this, 'TimedOutExecutions', {
      alarmDescription: 'A wave execution timed out',
      metric: props.stateMachine.metricTimedOut({ period, statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.stalledReplicationAlarm = new cloudwatch.Alarm(this, 'StalledReplication', {
      alarmDescription: 'MGN reports replication STALLED for at least one server of a running wave',
      metric: this.stalledMetric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of [this.failedExecutionsAlarm, this.timedOutExecutionsAlarm, this.stalledReplicationAlarm]) alarm.addAlarmAction(notify);

    const fns = Object.entries(props.functions);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Wave executions',
            width: 12,
            left: [
              props.stateMachine.metricStarted({ period }),
              props.stateMachine.metricSucceeded({ period }),
              props.stateMachine.metricFailed({ period }),
              props.stateMachine.metricTimedOut({ period }),
            ],
          }),
          new cloudwatch.GraphWidget({ title: 'Stalled servers', width: 12, left: [this.stalledMetric] }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Step errors',
            width: 12,
            left: fns.map(([name, fn]) => fn.metricErrors({ period, label: name })),
          }),
          new cloudwatch.GraphWidget({
            title: 'Step duration (p90)',
            width: 12,
            left: fns.map(([name, fn]) => fn.metricDuration({ period, statistic: 'p90', label: name })),
          }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: [this.failedExecutionsAlarm, this.timedOutExecutionsAlarm, this.stalledReplicationAlarm] })],
      ],
    });
  }
}
