import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { STEPS } from '../../functions/lib/steps';
import { acknowledgeWildcardResources } from '../nag';
import type { Notifications } from './notifications';

/** `${Name}` placeholders of an ASL text, each once, in order of appearance. */
export function aslPlaceholders(definition: string): string[] {
  return [...new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]))];
}

export interface WaveStateMachineProps {
  /** The ASL text of statemachine/wave.asl.json (the one definition; CDK never rebuilds the flow). */
  readonly definition: string;
  /** The step functions, by step name (functions/lib/steps.ts). */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly waveBucket: s3.IBucket;
  readonly notifications: Notifications;
  /** Retention of the execution log group. @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The wave state machine: STANDARD, the ASL file with every `${…}` placeholder substituted (each
 * step's function ARN, WaveBucketName, NotificationTopicArn), logging ALL events without execution
 * data to a KMS-encrypted log group, X-Ray tracing. An unknown placeholder fails the synth instead of
 * failing the deploy.
 */
export class WaveStateMachine extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;
  public readonly logKey: kms.Key;
  /** The substitutions handed to CloudFormation. */
  public readonly substitutions: Record<string, string>;

  constructor(scope: Construct, id: string, props: WaveStateMachineProps) {
    super(scope, id);
    const stack = Stack.of(this);

    const available: Record<string, string> = {
      WaveBucketName: props.waveBucket.bucketName,
      NotificationTopicArn: props.notifications.topic.topicArn,
    };
    for (const step of STEPS) {
      const fn = props.functions[step.name];
      if (!fn) throw new Error(`no function for step ${step.name}`);
      available[step.placeholder] = fn.functionArn;
    }
    const used = aslPlaceholders(props.definition);
    const unknown = used.filter((p) => !(p in available));
    if (unknown.length)
      throw new Error(
        `statemachine/wave.asl.json uses placeholders the stack cannot fill: ${unknown.map((p) => '${' + p + '}').join(', ')}; allowed: ${Object.keys(available).join(', ')}`,
      );
    this.substitutions = Object.fromEntries(used.map((p) => [p, available[p]]));

    this.logKey = new kms.Key(this, 'LogKey', { description: 'MGN orchestrator execution logs', enableKeyRotation: true });
    this.logKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsUse',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` },
        },
      }),
    );
    this.logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      encryptionKey: this.logKey,
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(props.definition),
      definitionSubstitutions: this.substitutions,
      // Every event, but no execution data: the approval task's TaskScheduled event carries its
      // parameters, and they hold the task token ($$.Task.Token), a credential that approves a
      // cutover. Step Functions leaves input, output and parameters out of the log when
      // includeExecutionData is false (LoggingConfiguration, Step Functions API reference).
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });

    const invoked = STEPS.filter((step) => used.includes(step.placeholder)).map((step) => props.functions[step.name]);
    if (invoked.length)
      this.stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: invoked.map((fn) => fn.functionArn) }));
    // Direct service integrations the ASL may use with the non-ARN placeholders.
    if (used.includes('NotificationTopicArn')) props.notifications.grantPublish(this.stateMachine);
    if (used.includes('WaveBucketName'))
      this.stateMachine.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [props.waveBucket.arnForObjects('waves/*')] }),
      );
    const policy = this.stateMachine.role.node.tryFindChild('DefaultPolicy');
    if (policy) {
      acknowledgeWildcardResources(policy, [
        {
          resource: '*',
          reason:
            'logs:CreateLogDelivery/GetLogDelivery/UpdateLogDelivery/DeleteLogDelivery/ListLogDeliveries/PutResourcePolicy/DescribeResourcePolicies/DescribeLogGroups (vended execution logs) and xray:PutTraceSegments/PutTelemetryRecords/GetSamplingRules/GetSamplingTargets have no resource-level permissions',
        },
        { resource: props.waveBucket.arnForObjects('waves/*'), reason: "reads and writes only under waves/ of the stack's own wave bucket" },
      ]);
    }
  }
}
