import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRIC_NAMES, METRICS_NAMESPACE, METRICS_SERVICE } from '../../functions/lib/metric-names';
import type { Notifications } from './notifications';

/**
 * The metrics the steps emit in CloudWatch embedded metric format (functions/lib/observability.ts):
 * namespace MgnOrchestrator, every one with the dimension service=mgn-orchestrator. The alarms read
 * the account-wide series (no WaveId); the dashboard shows every wave's series with SEARCH.
 */
const SERVICE = { service: METRICS_SERVICE } as const;
export const STALLED_METRIC = { namespace: METRICS_NAMESPACE, metricName: METRIC_NAMES.stalledServers, dimensionsMap: SERVICE } as const;
export const LAUNCH_FAILURES_METRIC = { namespace: METRICS_NAMESPACE, metricName: METRIC_NAMES.launchJobFailures } as const;

/** Every wave's series of one metric (a SEARCH expression over the WaveId dimension). */
const perWave = (metric: string, statistic: string, extraDimensions: readonly string[] = []) =>
  new cloudwatch.MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},${['WaveId', ...extraDimensions, 'service'].join(',')}} MetricName="${metric}" service="${METRICS_SERVICE}"', '${statistic}', 300)`,
    label: '',
    usingMetrics: {},
    period: Duration.minutes(5),
  });

export interface MonitoringProps {
  readonly stateMachine: sfn.StateMachine;
  /** The step functions, by step name. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** Alarms notify this topic. */
  readonly notifications: Notifications;
}

/**
 * A dashboard (executions; per wave: servers by phase, stalled servers, largest replication lag,
 * launch-job failures, servers by result; step errors and durations) and alarms on failed or
 * timed-out executions, on stalled replication and on launch-job failures, all notifying the topic.
 */
export class Monitoring extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly failedExecutionsAlarm: cloudwatch.Alarm;
  public readonly timedOutExecutionsAlarm: cloudwatch.Alarm;
  public readonly stalledReplicationAlarm: cloudwatch.Alarm;
  public readonly launchJobFailuresAlarm: cloudwatch.Alarm;
  public readonly stalledMetric: cloudwatch.Metric;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    const notify = new actions.SnsAction(props.notifications.topic);

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
    // a launch job that ended FAILED for a server, of any wave (the step retries once, then sets the server aside)
    const launchFailures = new cloudwatch.MathExpression({
      expression: 'test + cutover',
      usingMetrics: {
        test: new cloudwatch.Metric({ ...LAUNCH_FAILURES_METRIC, dimensionsMap: { ...SERVICE, LaunchKind: 'test' }, statistic: 'Sum', period }),
        cutover: new cloudwatch.Metric({ ...LAUNCH_FAILURES_METRIC, dimensionsMap: { ...SERVICE, LaunchKind: 'cutover' }, statistic: 'Sum', period }),
      },
      label: 'Launch-job failures',
      period,
    });
    this.launchJobFailuresAlarm = new cloudwatch.Alarm(this, 'LaunchJobFailures', {
      alarmDescription: 'An MGN launch job (test or cutover) ended FAILED for a server of a running wave',
      metric: launchFailures,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const alarms = [this.failedExecutionsAlarm, this.timedOutExecutionsAlarm, this.stalledReplicationAlarm, this.launchJobFailuresAlarm];
    for (const alarm of alarms) alarm.addAlarmAction(notify);

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
          new cloudwatch.GraphWidget({ title: 'Servers by phase, per wave (active / failed)', width: 12, left: [perWave(METRIC_NAMES.activeServers, 'Maximum', ['Phase'])], right: [perWave(METRIC_NAMES.failedServers, 'Maximum', ['Phase'])] }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Stalled servers, per wave', width: 8, left: [perWave(METRIC_NAMES.stalledServers, 'Maximum')] }),
          new cloudwatch.GraphWidget({ title: 'Largest replication lag (s), per wave', width: 8, left: [perWave(METRIC_NAMES.maxReplicationLag, 'Maximum')] }),
          new cloudwatch.GraphWidget({ title: 'Launch-job failures, per wave', width: 8, left: [perWave(METRIC_NAMES.launchJobFailures, 'Sum', ['LaunchKind'])] }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Replication progress (%), per wave', width: 12, left: [perWave(METRIC_NAMES.replicationPercent, 'Maximum')] }),
          new cloudwatch.GraphWidget({ title: 'Servers by result at the report, per wave', width: 12, left: [perWave(METRIC_NAMES.waveServers, 'Maximum', ['Result'])] }),
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
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms })],
      ],
    });
  }
}
