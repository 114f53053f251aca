import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';

export interface NotificationsProps {
  /** E-mail addresses subscribed to the topic (each must confirm). @default none */
  readonly emails?: readonly string[];
}

/**
 * The SNS topic for approval requests, wave reports and alarms (NOTIFICATION_TOPIC_ARN),
 * encrypted with its own customer-managed key; publishers need kms:GenerateDataKey/Decrypt on it.
 */
export class Notifications extends Construct {
  public readonly key: kms.Key;
  public readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: NotificationsProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'MGN orchestrator notifications topic',
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
    });
    // CloudWatch alarms publish to the encrypted topic as the cloudwatch service.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', { masterKey: this.key, enforceSSL: true });
    for (const email of props.emails ?? []) {
      const subscription = new subscriptions.EmailSubscription(email);
      this.topic.addSubscription(subscription);
    }
    for (const child of this.topic.node.children)
      if (child.node.id !== 'Resource' && child.node.id !== 'Policy')
        acknowledge(
          child,
          'Serverless-SNSRedrivePolicy',
          'Email subscriptions of people on the migration team: a message SNS cannot deliver would land in a queue nobody on an isolated network reads. Nothing is lost with it: every report is also written to the wave bucket, and approvals are answered from the execution (mgnctl approve / the API) without the e-mail',
        );
  }

  /** Lets a principal publish: sns:Publish on the topic and the data-key calls SNS makes on its behalf. */
  public grantPublish(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }));
    this.key.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey');
  }
}
