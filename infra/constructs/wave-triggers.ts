import { Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { WAVE_ID } from '../../functions/lib/manifest';
import { APPROVER, BUCKET_NAME, EVENT_INPUT_PATH, RUN_NAME, START_WAVE_EVENT } from '../../functions/lib/trigger-input';
import type { DeployConfig } from '../config';
import { acknowledge, acknowledgeWildcardResources } from '../nag';

// The shapes and mappings of the triggers live with the flow (validate-wave parses what they produce).
export { RUN_NAME, START_WAVE_EVENT } from '../../functions/lib/trigger-input';

export interface WaveTriggersProps {
  readonly stateMachine: sfn.IStateMachine;
  /** The wave bucket: scheduled waves read their manifest from it. */
  readonly waveBucket: s3.IBucket;
  /** Create the event bus and StartWave rule. */
  readonly eventBridge: boolean;
  /** EventBridge Scheduler schedules, one per planned wave. */
  readonly schedules: DeployConfig['triggers']['schedules'];
  /** The REST API; PRIVATE needs `apiEndpoint`. */
  readonly api: DeployConfig['api'];
  /** The execute-api interface endpoint a PRIVATE API is reached through. */
  readonly apiEndpoint?: ec2.IInterfaceVpcEndpoint;
  /** Retention of the API access log group. @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Ways to start a wave besides the console: an EventBridge custom bus with a rule for `StartWave`
 * events, optional EventBridge Scheduler schedules, and a REST API with IAM auth:
 * `POST /waves` (StartExecution, the execution name derived from the waveId), `GET /waves/{id}`
 * (DescribeExecution) and `POST /approvals` (SendTaskSuccess / SendTaskFailure).
 */
export class WaveTriggers extends Construct {
  public readonly bus?: events.EventBus;
  public readonly startWaveRule?: events.Rule;
  public readonly schedules: scheduler.Schedule[] = [];
  public readonly api?: apigw.RestApi;

  constructor(scope: Construct, id: string, props: WaveTriggersProps) {
    super(scope, id);
    if (props.eventBridge) {
      this.bus = new events.EventBus(this, 'Bus', { description: 'MGN orchestrator: StartWave events' });
      this.startWaveRule = new events.Rule(this, 'StartWaveRule', {
        eventBus: this.bus,
        description: 'Starts a wave execution with the manifest in detail.manifest',
        eventPattern: { source: [START_WAVE_EVENT.source], detailType: [START_WAVE_EVENT.detailType] },
        targets: [
          new targets.SfnStateMachine(props.stateMachine, {
            input: events.RuleTargetInput.fromEventPath(EVENT_INPUT_PATH),
            retryAttempts: 3,
            maxEventAge: Duration.hours(1),
          }),
        ],
      });
      acknowledge(
        this.startWaveRule,
        'Serverless-EventBusDLQ',
        'A StartWave event carries a whole wave manifest (the server inventory); a dead-letter queue would keep a second copy of it outside the encrypted wave bucket. An event StartExecution refuses after 3 retries within an hour is answered by the sender resubmitting (the execution name makes a repeat harmless)',
      );
    }

    if (props.schedules.length) {
      const group = new scheduler.ScheduleGroup(this, 'ScheduleGroup', { removalPolicy: RemovalPolicy.DESTROY });
      for (const planned of props.schedules) {
        this.schedules.push(
          new scheduler.Schedule(this, `Schedule-${planned.name}`, {
            scheduleGroup: group,
            description: `Starts wave ${planned.waveId} with s3://<wave bucket>/${planned.manifestKey}`,
            schedule: scheduler.ScheduleExpression.expression(planned.expression, timeZone(planned.timezone)),
            target: new StartWaveTarget(props.stateMachine, {
              manifestLocation: { bucket: props.waveBucket.bucketName, key: planned.manifestKey },
            }),
          }),
        );
      }
    }

    if (props.api.enabled) this.api = this.buildApi(props);
  }

  private buildApi(props: WaveTriggersProps): apigw.RestApi {
    const stack = Stack.of(this);
    const isPrivate = props.api.endpointType === 'PRIVATE';
    if (isPrivate && !props.apiEndpoint) throw new Error('a PRIVATE API needs the execute-api interface endpoint');

    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const api = new apigw.RestApi(this, 'Api', {
      description: 'MGN orchestrator: start waves, read their status, answer approvals',
      endpointConfiguration: isPrivate
        ? { types: [apigw.EndpointType.PRIVATE], vpcEndpoints: [props.apiEndpoint!] }
        : { types: [apigw.EndpointType.REGIONAL] },
      policy: isPrivate
        ? new iam.PolicyDocument({
            statements: [
              new iam.PolicyStatement({
                effect: iam.Effect.DENY,
                principals: [new iam.AnyPrincipal()],
                actions: ['execute-api:Invoke'],
                resources: ['execute-api:/*'],
                conditions: { StringNotEquals: { 'aws:SourceVpce': props.apiEndpoint!.vpcEndpointId } },
              }),
              new iam.PolicyStatement({
                principals: [new iam.AccountPrincipal(stack.account)],
                actions: ['execute-api:Invoke'],
                resources: ['execute-api:/*'],
              }),
            ],
          })
        : undefined,
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
        stageName: 'v1',
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigw.MethodLoggingLevel.INFO,
        // Bodies carry manifests and task tokens: never into the execution logs.
        dataTraceEnabled: false,
        // A handful of operators and schedulers call this API: anything faster is a runaway script.
        throttlingRateLimit: 10,
        throttlingBurstLimit: 20,
        tracingEnabled: true,
      },
    });

    const role = new iam.Role(this, 'ApiRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway integrations of the MGN orchestrator API',
    });
    props.stateMachine.grantStartExecution(role);
    const executionArnPrefix = `arn:${stack.partition}:states:${stack.region}:${stack.account}:execution:${stateMachineName(props.stateMachine)}`;
    role.addToPolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [`${executionArnPrefix}:*`] }));
    props.stateMachine.grantTaskResponse(role);

    const validator = new apigw.RequestValidator(this, 'Validator', { restApi: api, validateRequestBody: true, validateRequestParameters: true });
    const errorResponses = [
      { selectionPattern: '4\\d{2}', statusCode: '400', responseTemplates: { 'application/json': ERROR_TEMPLATE } },
      { selectionPattern: '5\\d{2}', statusCode: '502', responseTemplates: { 'application/json': ERROR_TEMPLATE } },
    ];
    const methodResponses = ['200', '400', '502'].map((statusCode) => ({ statusCode }));

    const waves = api.root.addResource('waves');
    waves.addMethod(
      'POST',
      new apigw.AwsIntegration({
        service: 'states',
        action: 'StartExecution',
        options: {
          credentialsRole: role,
          passthroughBehavior: apigw.PassthroughBehavior.NEVER,
          requestTemplates: { 'application/json': startExecutionTemplate(props.stateMachine.stateMachineArn) },
          integrationResponses: [
            { statusCode: '200', responseTemplates: { 'application/json': START_RESPONSE_TEMPLATE } },
            ...errorResponses,
          ],
        },
      }),
      {
        requestValidator: validator,
        requestModels: { 'application/json': this.model(api, 'StartWaveRequest', startWaveSchema()) },
        methodResponses,
      },
    );

    waves.addResource('{id}').addMethod(
      'GET',
      new apigw.AwsIntegration({
        service: 'states',
        action: 'DescribeExecution',
        options: {
          credentialsRole: role,
          passthroughBehavior: apigw.PassthroughBehavior.NEVER,
          requestTemplates: { 'application/json': `{"executionArn": "${executionArnPrefix}:$util.escapeJavaScript($input.params('id'))"}` },
          integrationResponses: [{ statusCode: '200', responseTemplates: { 'application/json': STATUS_RESPONSE_TEMPLATE } }, ...errorResponses],
        },
      }),
      { requestValidator: validator, requestParameters: { 'method.request.path.id': true }, methodResponses },
    );

    // Step Functions speaks JSON 1.0: POST / with X-Amz-Target. The template switches the target
    // to SendTaskFailure for a rejection; anything else is a SendTaskSuccess that must carry
    // {"approved": true}, so a request that slips through never approves by accident.
    api.root.addResource('approvals').addMethod(
      'POST',
      new apigw.AwsIntegration({
        service: 'states',
        path: '/',
        integrationHttpMethod: 'POST',
        options: {
          credentialsRole: role,
          passthroughBehavior: apigw.PassthroughBehavior.NEVER,
          requestParameters: {
            'integration.request.header.Content-Type': "'application/x-amz-json-1.0'",
            'integration.request.header.X-Amz-Target': "'AWSStepFunctions.SendTaskSuccess'",
          },
          requestTemplates: { 'application/json': APPROVAL_TEMPLATE },
          integrationResponses: [{ statusCode: '200', responseTemplates: { 'application/json': '{"recorded": true}' } }, ...errorResponses],
        },
      }),
      {
        requestValidator: validator,
        requestModels: { 'application/json': this.model(api, 'ApprovalRequest', approvalSchema()) },
        methodResponses,
      },
    );

    acknowledge(
      api,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      "API Gateway's account-level logging role must hold AmazonAPIGatewayPushToCloudWatchLogs (the only policy API Gateway documents for it); it is assumable only by apigateway.amazonaws.com",
    );
    for (const method of api.methods)
      acknowledge(method, 'AwsSolutions-COG4', 'Operators and automation call the API with SigV4 (AWS_IAM on every method); there are no end users to keep in a Cognito pool');
    acknowledge(
      api.deploymentStage,
      'AwsSolutions-APIG3',
      isPrivate
        ? 'A private API is reachable only through the VPC endpoint of an isolated VPC and every method needs SigV4; WAF has nothing to inspect that IAM has not refused'
        : 'Every method needs SigV4 (AWS_IAM); unsigned requests are refused before any integration runs. Attach a web ACL to the stage if your policy requires one',
    );
    acknowledgeWildcardResources(role.node.findChild('DefaultPolicy'), [
      { resource: `${executionArnPrefix}:*`, reason: 'DescribeExecution of any run of this state machine only; run names are chosen per request' },
    ]);
    return api;
  }

  private model(api: apigw.RestApi, name: string, schema: apigw.JsonSchema): apigw.Model {
    return new apigw.Model(this, name, { restApi: api, contentType: 'application/json', modelName: name, schema });
  }
}

/** Scheduler target that starts the state machine with a fixed input (the manifest's location). */
class StartWaveTarget implements scheduler.IScheduleTarget {
  constructor(
    private readonly stateMachine: sfn.IStateMachine,
    private readonly input: Record<string, unknown>,
  ) {}

  bind(schedule: scheduler.ISchedule): scheduler.ScheduleTargetConfig {
    const stack = Stack.of(schedule);
    const role = new iam.Role(schedule, 'StartWaveRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: 'EventBridge Scheduler: start a planned MGN wave',
    });
    this.stateMachine.grantStartExecution(role);
    return {
      arn: this.stateMachine.stateMachineArn,
      role,
      input: scheduler.ScheduleTargetInput.fromObject(this.input),
      retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
    };
  }
}

// TimeZone.of accepts any IANA name; the service refuses unknown ones at deploy.
const timeZone = (name: string): TimeZone => TimeZone.of(name);

function stateMachineName(machine: sfn.IStateMachine): string {
  return (machine as sfn.StateMachine).stateMachineName;
}

const ERROR_TEMPLATE = `{"error": "$util.escapeJavaScript($input.path('$.__type'))", "message": "$util.escapeJavaScript($input.path('$.message'))"}`;

const START_RESPONSE_TEMPLATE = `{"executionArn": "$input.path('$.executionArn')", "startDate": $input.path('$.startDate')}`;

const STATUS_RESPONSE_TEMPLATE = [
  '{',
  `"runId": "$input.path('$.name')",`,
  `"executionArn": "$input.path('$.executionArn')",`,
  `"status": "$input.path('$.status')",`,
  `"startDate": $input.path('$.startDate'),`,
  `#if("$!input.path('$.stopDate')" != "")"stopDate": $input.path('$.stopDate'),#end`,
  `"error": "$util.escapeJavaScript($!input.path('$.error'))",`,
  `"cause": "$util.escapeJavaScript($!input.path('$.cause'))"`,
  '}',
].join('\n');

/**
 * POST /waves body -> StartExecution. The execution name is `<waveId>-<runName>`, or
 * `<waveId>-<dd-Mon-yyyy>` (UTC day of the request) without a runName: a double submit the same
 * day reuses the name, and Step Functions never starts two executions with one name.
 */
export function startExecutionTemplate(stateMachineArn: string): string {
  return [
    `#set($manifestWaveId = "$!input.path('$.manifest.waveId')")`,
    `#if($manifestWaveId != "")#set($waveId = $manifestWaveId)#else#set($waveId = "$!input.path('$.waveId')")#end`,
    `#set($runName = "$!input.path('$.runName')")`,
    `#if($runName == "")#set($runName = $context.requestTime.substring(0, 11).replace("/", "-"))#end`,
    '{',
    `"stateMachineArn": "${stateMachineArn}",`,
    `"name": "$waveId-$runName",`,
    `#if($manifestWaveId != "")`,
    `"input": "$util.escapeJavaScript($input.json('$.manifest')).replaceAll("\\\\'", "'")"`,
    '#else',
    `"input": "{\\"manifestLocation\\": $util.escapeJavaScript($input.json('$.manifestLocation')).replaceAll("\\\\'", "'")}"`,
    '#end',
    '}',
  ].join('\n');
}

const APPROVAL_TEMPLATE = [
  `#set($decision = "$!input.path('$.decision')")`,
  `#if($decision == "reject")`,
  `#set($context.requestOverride.header.X-Amz-Target = "AWSStepFunctions.SendTaskFailure")`,
  `{"taskToken": "$util.escapeJavaScript($input.path('$.taskToken'))", "error": "ApprovalRejected", "cause": "$util.escapeJavaScript($!input.path('$.reason')) (by $util.escapeJavaScript($input.path('$.by')))"}`,
  // finalize gate (issue 13): revert rolls the cutover back; the cutover gate refuses it and asks again
  `#elseif($decision == "revert")`,
  `#set($context.requestOverride.header.X-Amz-Target = "AWSStepFunctions.SendTaskFailure")`,
  `{"taskToken": "$util.escapeJavaScript($input.path('$.taskToken'))", "error": "RevertRequested", "cause": "$util.escapeJavaScript($!input.path('$.reason')) (by $util.escapeJavaScript($input.path('$.by')))"}`,
  '#else',
  `{"taskToken": "$util.escapeJavaScript($input.path('$.taskToken'))", "output": "{\\"approved\\": true, \\"by\\": \\"$util.escapeJavaScript($input.path('$.by'))\\"}"}`,
  '#end',
].join('\n');

function startWaveSchema(): apigw.JsonSchema {
  const waveId = { type: apigw.JsonSchemaType.STRING, pattern: WAVE_ID.source };
  return {
    schema: apigw.JsonSchemaVersion.DRAFT4,
    title: 'StartWaveRequest',
    type: apigw.JsonSchemaType.OBJECT,
    additionalProperties: false,
    properties: {
      waveId,
      runName: { type: apigw.JsonSchemaType.STRING, pattern: RUN_NAME.source },
      manifest: { type: apigw.JsonSchemaType.OBJECT, required: ['waveId'], properties: { waveId } },
      manifestLocation: {
        type: apigw.JsonSchemaType.OBJECT,
        additionalProperties: false,
        required: ['bucket', 'key'],
        properties: {
          bucket: { type: apigw.JsonSchemaType.STRING, pattern: BUCKET_NAME.source },
          key: { type: apigw.JsonSchemaType.STRING, minLength: 1, maxLength: 1024 },
        },
      },
    },
    oneOf: [{ required: ['manifest'] }, { required: ['waveId', 'manifestLocation'] }],
  };
}

function approvalSchema(): apigw.JsonSchema {
  return {
    schema: apigw.JsonSchemaVersion.DRAFT4,
    title: 'ApprovalRequest',
    type: apigw.JsonSchemaType.OBJECT,
    additionalProperties: false,
    required: ['taskToken', 'decision', 'by'],
    properties: {
      taskToken: { type: apigw.JsonSchemaType.STRING, minLength: 1, maxLength: 2048 },
      decision: { type: apigw.JsonSchemaType.STRING, enum: ['approve', 'reject', 'revert'] },
      by: { type: apigw.JsonSchemaType.STRING, pattern: APPROVER.source },
      reason: { type: apigw.JsonSchemaType.STRING, maxLength: 256 },
    },
  };
}
