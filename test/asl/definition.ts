import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ASL_PATH = join(__dirname, '..', '..', 'statemachine', 'wave.asl.json');

export const rawDefinition = (): string => readFileSync(ASL_PATH, 'utf8');

/** The definition with every `${Placeholder}` replaced the way CDK does, by a (dummy) ARN. */
export function substitutedDefinition(): Record<string, unknown> {
  const text = rawDefinition().replace(/\$\{(\w+)\}/g, (_, name: string) =>
    name === 'WaveBucketName'
      ? 'wave-bucket'
      : name === 'NotificationTopicArn'
        ? 'arn:aws:sns:eu-west-1:123456789012:waves'
        : `arn:aws:lambda:eu-west-1:123456789012:function:${name}`,
  );
  return JSON.parse(text) as Record<string, unknown>;
}

export type StateDef = Record<string, unknown> & { Type: string };

export const statesOf = (def: Record<string, unknown>): Record<string, StateDef> => def.States as Record<string, StateDef>;
