/**
 * SNS (AWS query protocol): Publish, for the wave's notifications. Messages are kept so tests and
 * the simulator can show what an operator would have received.
 */
import { ApiError } from './errors';
import type { QueryOperation } from './ec2';

const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):([0-9]{12}):([A-Za-z0-9_-]{1,256}(\.fifo)?)$/;

export interface PublishedMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
  readonly at: number;
}

export interface SnsState {
  /** topics that exist; undefined = every well-formed topic ARN in the caller's region exists */
  readonly topics?: Set<string>;
  readonly published: PublishedMessage[];
}

export function snsOperations(state: SnsState): Record<string, QueryOperation> {
  return {
    Publish: {
      mutating: true,
      run(input, ctx) {
        if (input.Message === undefined) throw new ApiError('ValidationError', "1 validation error detected: Value null at 'message' failed to satisfy constraint: Member must not be null");
        const target = (input.TopicArn ?? input.TargetArn) as string | undefined;
        if (target === undefined) throw new ApiError('InvalidParameter', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
        const m = TOPIC_ARN.exec(target);
        if (!m) throw new ApiError('InvalidParameter', `Invalid parameter: TopicArn Reason: ${target} is not a valid topic ARN`);
        if (m[1] !== ctx.region) throw new ApiError('InvalidParameter', `Invalid parameter: TopicArn Reason: A ARN must be in the same region as the endpoint (${ctx.region})`);
        if (state.topics && !state.topics.has(target)) throw new ApiError('NotFound', 'Topic does not exist', 404);
        const message = String(input.Message);
        if (Buffer.byteLength(message) > 256 * 1024) throw new ApiError('InvalidParameter', 'Invalid parameter: Message too long');
        const subject = input.Subject === undefined ? undefined : String(input.Subject);
        if (subject !== undefined && (subject.length > 100 || /[\r\n]/.test(subject)))
          throw new ApiError('InvalidParameter', 'Invalid parameter: Subject');
        const messageId = ctx.fleet.newUuid();
        state.published.push({ messageId, topicArn: target, subject, message, at: ctx.fleet.now() });
        return { MessageId: messageId };
      },
    },
  };
}
