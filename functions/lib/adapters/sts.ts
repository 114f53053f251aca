import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { asTryLater } from '../errors';
import type { ShortLivedCredentials, StsPort } from '../ports';
import { cachedBy, clientConfig } from './client-config';

export const stsClientFor = cachedBy((region) => new STSClient(clientConfig(region)));

export class SdkStsPort implements StsPort {
  constructor(private readonly client: STSClient) {}

  static forRegion(region: string): SdkStsPort {
    return new SdkStsPort(stsClientFor(region));
  }

  async assumeRole(roleArn: string, sessionName: string, durationSeconds: number): Promise<ShortLivedCredentials> {
    let res;
    try {
      res = await this.client.send(
        new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, DurationSeconds: durationSeconds }),
      );
    } catch (error) {
      throw asTryLater(error, 'AssumeRole');
    }
    const c = res.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error(`AssumeRole ${roleArn} returned no credentials`);
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration?.toISOString(),
    };
  }
}
