import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { asTryLater } from '../errors';
import type { NotifierPort } from '../ports';
import { cachedBy, clientConfig } from './client-config';

export const snsClientFor = cachedBy((region) => new SNSClient(clientConfig(region)));

/** SNS subjects: at most 100 printable ASCII characters, no line breaks. */
export const snsSubject = (subject: string): string =>
  subject.replace(/[^\x20-\x7e]/g, ' ').slice(0, 100) || 'mgn-orchestrator';

export class SnsNotifier implements NotifierPort {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(subject: string, message: string): Promise<void> {
    try {
      await this.client.send(new PublishCommand({ TopicArn: this.topicArn, Subject: snsSubject(subject), Message: message }));
    } catch (error) {
      throw asTryLater(error, 'Publish');
    }
  }
}
