/**
 * The emulator on the wire, held to the official models (test/fixtures/aws-models) and to what the
 * services document:
 * - authentication: unsigned, unknown-key, badly signed and malformed requests are refused in the
 *   protocol of the service they were for (SSM/Step Functions JSON with __type, MGN restJson1,
 *   EC2 XML, STS/SNS query XML, S3 XML), and the real SDK clients parse those answers;
 * - validation does not depend on the data (an unknown EC2 filter in a region with nothing in it);
 * - S3 object integrity (Content-MD5, checksums), encryption headers, conditional writes and deletes;
 * - MGN template tags, Step Functions DescribeExecution;
 * - every operation the emulator serves has an invalid-input case here, and a happy and an error
 *   case here or in emulator.conformance.test.ts (checked against that file's source).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CreateLaunchTemplateVersionCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  ArchiveApplicationCommand,
  ArchiveWaveCommand,
  AssociateApplicationsCommand,
  AssociateSourceServersCommand,
  ChangeServerLifeCycleStateCommand,
  CreateApplicationCommand,
  CreateReplicationConfigurationTemplateCommand,
  CreateWaveCommand,
  DescribeJobLogItemsCommand,
  DescribeJobsCommand,
  DescribeReplicationConfigurationTemplatesCommand,
  DescribeSourceServersCommand,
  DisconnectFromServiceCommand,
  FinalizeCutoverCommand,
  GetLaunchConfigurationCommand,
  GetReplicationConfigurationCommand,
  ListApplicationsCommand,
  ListWavesCommand,
  UpdateReplicationConfigurationCommand,
  MarkAsArchivedCommand,
  MgnClient,
  StartCutoverCommand,
  StartTestCommand,
  TerminateTargetInstancesCommand,
  UpdateLaunchConfigurationCommand,
  UpdateReplicationConfigurationTemplateCommand,
} from '@aws-sdk/client-mgn';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  DeleteParameterCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  GetParameterCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  PutParameterCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createHash } from 'node:crypto';
import { EC2_ERROR_CODES, EMULATOR_CREDENTIALS, servedOperations, signRequest, startEmulator, type Emulator, type WireAnswer } from '../../simulator/emulator';
import { checksumOf } from '../../simulator/emulator/checksums';
import { checkHeaders, checkJson, checkXmlOutput, loadModel, modelErrorCodes, parseXml, type XmlNode } from './aws-model';
import { ACCOUNT_ID } from '../../simulator/emulator/fleet';
import { manifest, TARGET } from './emulator-fixtures';

type Service = WireAnswer['service'];
type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

const MODELS: Record<Service, string> = {
  mgn: 'mgn-2020-02-26',
  ssm: 'ssm-2014-11-06',
  ec2: 'ec2-2016-11-15',
  sts: 'sts-2011-06-15',
  s3: 's3-2006-03-01',
  sns: 'sns-2010-03-31',
  states: 'stepfunctions-2016-11-23',
  servicequotas: 'service-quotas-2019-06-24',
};

/** S3's error codes, as its model documents them (Error.Code), plus the one it answers for a payload hash that does not match. */
function s3DocumentedCodes(): string[] {
  const doc = loadModel(MODELS.s3).shapes.Error.members!.Code as unknown as { documentation: string };
  return [...new Set([...doc.documentation.replace(/<[^>]+>/g, ' ').matchAll(/Code:\s+([A-Za-z0-9]+)/g)].map((m) => m[1])), 'XAmzContentSHA256Mismatch'];
}

/**
 * Errors every operation may answer beyond the model's list: the AWS common errors of each protocol
 * (authentication, throttling, validation: "Common Errors" of each API reference), EC2's documented
 * codes, S3's documented codes.
 */
const COMMON_ERRORS: Record<Service, readonly string[]> = {
  // MGN's Smithy model attaches ValidationException to the service, so botocore lists it on some operations only
  mgn: ['ValidationException', 'ThrottlingException', 'InternalServerException', 'AccessDeniedException', 'MissingAuthenticationTokenException', 'IncompleteSignatureException', 'UnrecognizedClientException', 'InvalidSignatureException'],
  ssm: ['ValidationException', 'ThrottlingException', 'InternalServerError', 'SerializationException', 'MissingAuthenticationTokenException', 'IncompleteSignatureException', 'UnrecognizedClientException', 'InvalidSignatureException'],
  states: ['ValidationException', 'ThrottlingException', 'InternalFailure', 'MissingAuthenticationTokenException', 'IncompleteSignatureException', 'UnrecognizedClientException', 'InvalidSignatureException'],
  servicequotas: ['SerializationException', 'MissingAuthenticationTokenException', 'IncompleteSignatureException', 'UnrecognizedClientException', 'InvalidSignatureException'],
  ec2: [...EC2_ERROR_CODES, 'AuthFailure', 'MissingAuthenticationToken', 'IncompleteSignature'],
  sts: ['ValidationError', 'Throttling', 'InternalFailure', 'MalformedInput', 'MissingParameter', 'InvalidAction', 'MissingAuthenticationToken', 'IncompleteSignature', 'InvalidClientTokenId', 'SignatureDoesNotMatch'],
  sns: ['ValidationError', 'Throttling', 'InternalFailure', 'InvalidAction', 'MissingAuthenticationToken', 'IncompleteSignature', 'InvalidClientTokenId', 'SignatureDoesNotMatch'],
  s3: s3DocumentedCodes(),
};

const allowedErrors = (service: Service, operation: string): string[] => {
  const model = loadModel(MODELS[service]);
  return [...(model.operations[operation] ? modelErrorCodes(model, operation) : []), ...COMMON_ERRORS[service]];
};

function findCode(n: XmlNode): string | undefined {
  return n.name === 'Code' ? n.text : n.children.map(findCode).find(Boolean);
}

/** The error code as it travels on the wire, and the document shape it travels in. */
function wireError(a: WireAnswer): { code: string; shape: string } {
  switch (a.service) {
    case 'mgn':
      return { code: a.headers['x-amzn-errortype'], shape: `${a.headers['content-type']} ${Object.keys(JSON.parse(a.body)).join(',')}` };
    case 'ssm':
    case 'states':
    case 'servicequotas': {
      const body = JSON.parse(a.body) as { __type: string };
      return { code: body.__type, shape: `${a.headers['content-type']} __type` };
    }
    default: {
      const doc = parseXml(a.body);
      return { code: findCode(doc) ?? '', shape: `${a.headers['content-type']} <${doc.name}>` };
    }
  }
}

/** The document shape each protocol's errors travel in (S3/EC2/query XML, JSON with __type, restJson1 with x-amzn-errortype). */
const ERROR_SHAPES: Record<Service, RegExp> = {
  mgn: /^application\/json message/,
  ssm: /^application\/x-amz-json-1\.1 __type$/,
  states: /^application\/x-amz-json-1\.0 __type$/,
  servicequotas: /^application\/x-amz-json-1\.1 __type$/,
  ec2: /^text\/xml;charset=UTF-8 <Response>$/,
  sts: /^text\/xml <ErrorResponse>$/,
  sns: /^text\/xml <ErrorResponse>$/,
  s3: /^application\/xml <Error>$/,
};

function checkSuccess(a: WireAnswer): string[] {
  const model = loadModel(MODELS[a.service]);
  const op = model.operations[a.operation];
  const expected = op.http.responseCode ?? 200;
  if (a.status !== expected) return [`status ${a.status}, the model says ${expected}`];
  switch (a.service) {
    case 'mgn':
      return a.status === 204 ? [] : checkJson(model, op.output!.shape, JSON.parse(a.body), '$', 'iso');
    case 'ssm':
    case 'states':
    case 'servicequotas':
      return checkJson(model, op.output!.shape, JSON.parse(a.body), '$', 'epoch');
    case 's3':
      return checkHeaders(model, a.operation, a.headers);
    default:
      return checkXmlOutput(model, a.operation, a.body);
  }
}

const REGION = TARGET;
const made: { destroy(): void }[] = [];
function sdk(url: string, credentials: Credentials = EMULATOR_CREDENTIALS, region = REGION) {
  const common = { endpoint: url, region, credentials, maxAttempts: 1 };
  const set = {
    mgn: new MgnClient(common),
    ssm: new SSMClient(common),
    ec2: new EC2Client(common),
    sts: new STSClient(common),
    s3: new S3Client({ ...common, forcePathStyle: true }),
    sns: new SNSClient(common),
    states: new SFNClient(common),
    servicequotas: new ServiceQuotasClient(common),
  };
  made.push(...Object.values(set));
  return set;
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => e,
  );

describe('the emulator on the wire', () => {
  let em: Emulator;
  const answers: WireAnswer[] = [];
  const wave = manifest('wire', 2);
  /** per "<service>:<Operation>": which kinds of case this file ran */
  const covered = new Map<string, Set<'ok' | 'error' | 'invalid'>>();
  const mark = (a: WireAnswer, kind: 'ok' | 'error' | 'invalid') => {
    const key = `${a.service}:${a.operation}`;
    covered.set(key, new Set([...(covered.get(key) ?? []), kind]));
  };

  beforeAll(async () => {
    em = await startEmulator({ manifests: [wave], buckets: ['wave-bucket'], onResponse: (a) => answers.push(a) });
  });
  afterAll(async () => {
    for (const c of made.splice(0)) c.destroy();
    await em.close();
  });

  const last = () => answers[answers.length - 1];

  async function ok<T>(service: Service, operation: string, call: Promise<T>): Promise<T> {
    const before = answers.length;
    const out = await call;
    const a = last();
    expect(answers.length).toBe(before + 1);
    expect([a.service, a.operation]).toEqual([service, operation]);
    expect(checkSuccess(a)).toEqual([]);
    mark(a, 'ok');
    return out;
  }

  /** A call that must fail with `code`, allowed for the operation, in the protocol's error shape, and seen by the SDK by that name. */
  async function fails(service: Service, operation: string, call: Promise<unknown>, code: string, kind: 'error' | 'invalid' = 'error'): Promise<{ name: string; message: string; $metadata?: { httpStatusCode?: number } }> {
    const err = await errorOf(call);
    expect(err).toBeDefined();
    const a = last();
    expect([a.service, a.operation]).toEqual([service, operation]);
    expect(allowedErrors(service, operation)).toContain(code);
    if (!(a.service === 's3' && a.body === '')) {
      const wire = wireError(a);
      expect(wire.code).toBe(code);
      expect(wire.shape).toMatch(ERROR_SHAPES[service]);
    }
    const model = loadModel(MODELS[service]);
    const shape = Object.entries(model.shapes).find(([name, s]) => s.exception && (s.error?.code ?? name) === code)?.[0];
    // a HEAD answer has no body: the SDK can only name the error by its status
    if (!(a.service === 's3' && a.body === '')) expect(err!.name).toBe(shape ?? code);
    else expect(err!.$metadata?.httpStatusCode).toBe(a.status);
    if ((service === 'mgn' || service === 'ssm' || service === 'states' || service === 'servicequotas') && shape) expect(checkJson(model, shape, JSON.parse(a.body))).toEqual([]);
    mark(a, kind);
    return err!;
  }
  const invalid = (service: Service, operation: string, call: Promise<unknown>, code: string) => fails(service, operation, call, code, 'invalid');

  describe('authentication, in each protocol', () => {
    const unsigned: Record<Service, { path: string; headers: Record<string, string>; body?: string; method?: string; code: string; status: number }> = {
      mgn: { path: '/DescribeSourceServers', headers: { 'content-type': 'application/json' }, body: '{}', code: 'MissingAuthenticationTokenException', status: 403 },
      ssm: { path: '/', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.DescribeInstanceInformation' }, body: '{}', code: 'MissingAuthenticationTokenException', status: 400 },
      states: { path: '/', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.DescribeExecution' }, body: '{}', code: 'MissingAuthenticationTokenException', status: 400 },
      ec2: { path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=DescribeInstances&Version=2016-11-15', code: 'MissingAuthenticationToken', status: 401 },
      sts: { path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=GetCallerIdentity&Version=2011-06-15', code: 'MissingAuthenticationToken', status: 403 },
      sns: { path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=Publish&Version=2010-03-31&Message=x', code: 'MissingAuthenticationToken', status: 403 },
      s3: { path: '/wave-bucket/waves/x.json', method: 'GET', headers: {}, code: 'AccessDenied', status: 403 },
      servicequotas: { path: '/', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'ServiceQuotasV20190624.GetServiceQuota' }, body: '{"ServiceCode":"mgn","QuotaCode":"L-9A599620"}', code: 'MissingAuthenticationTokenException', status: 400 },
    };

    it.each(Object.keys(unsigned) as Service[])('%s: an unsigned request is refused in its own protocol, never in MGN JSON', async (service) => {
      const c = unsigned[service];
      const res = await fetch(`${em.url}${c.path}`, { method: c.method ?? 'POST', headers: c.headers, body: c.body });
      const a = last();
      expect([a.service, res.status]).toEqual([service, c.status]);
      expect(wireError(a)).toEqual({ code: c.code, shape: expect.stringMatching(ERROR_SHAPES[service]) });
      expect(allowedErrors(service, 'x')).toContain(c.code);
    });

    const badSecret: Record<Service, string> = {
      mgn: 'InvalidSignatureException',
      ssm: 'InvalidSignatureException',
      states: 'InvalidSignatureException',
      ec2: 'AuthFailure',
      sts: 'SignatureDoesNotMatch',
      sns: 'SignatureDoesNotMatch',
      s3: 'SignatureDoesNotMatch',
      servicequotas: 'InvalidSignatureException',
    };
    const unknownKey: Record<Service, string> = {
      mgn: 'UnrecognizedClientException',
      ssm: 'UnrecognizedClientException',
      states: 'UnrecognizedClientException',
      ec2: 'AuthFailure',
      sts: 'InvalidClientTokenId',
      sns: 'InvalidClientTokenId',
      s3: 'InvalidAccessKeyId',
      servicequotas: 'UnrecognizedClientException',
    };
    const callOf = (c: ReturnType<typeof sdk>): Record<Service, [string, () => Promise<unknown>]> => ({
      mgn: ['DescribeSourceServers', () => c.mgn.send(new DescribeSourceServersCommand({}))],
      ssm: ['DescribeInstanceInformation', () => c.ssm.send(new DescribeInstanceInformationCommand({}))],
      states: ['DescribeExecution', () => c.states.send(new DescribeExecutionCommand({ executionArn: `arn:aws:states:${REGION}:123456789012:execution:M:e` }))],
      ec2: ['DescribeInstances', () => c.ec2.send(new DescribeInstancesCommand({}))],
      sts: ['GetCallerIdentity', () => c.sts.send(new GetCallerIdentityCommand({}))],
      sns: ['Publish', () => c.sns.send(new PublishCommand({ TopicArn: `arn:aws:sns:${REGION}:123456789012:t`, Message: 'm' }))],
      s3: ['GetObject', () => c.s3.send(new GetObjectCommand({ Bucket: 'wave-bucket', Key: 'waves/x.json' }))],
      servicequotas: ['GetServiceQuota', () => c.servicequotas.send(new GetServiceQuotaCommand({ ServiceCode: 'mgn', QuotaCode: 'L-9A599620' }))],
    });

    it.each(Object.keys(badSecret) as Service[])('%s: a wrong secret is a bad signature, an unknown key an unknown key, both parsed by the SDK', async (service) => {
      const [operation, wrong] = callOf(sdk(em.url, { ...EMULATOR_CREDENTIALS, secretAccessKey: 'not-the-secret' }))[service];
      const err = await errorOf(wrong());
      expect(err?.name).toBe(badSecret[service]);
      expect(wireError(last())).toEqual({ code: badSecret[service], shape: expect.stringMatching(ERROR_SHAPES[service]) });
      expect(allowedErrors(service, operation)).toContain(badSecret[service]);
      const [, unknown] = callOf(sdk(em.url, { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' }))[service];
      expect((await errorOf(unknown()))?.name).toBe(unknownKey[service]);
      expect(wireError(last()).code).toBe(unknownKey[service]);
      // nothing of either reached the operation
      expect(em.trace.entries.slice(-2).map((t) => t.outcome)).toEqual([badSecret[service], unknownKey[service]]);
    });

    it('a body changed after signing does not verify (the payload hash is signed)', async () => {
      const url = `${em.url}/DescribeSourceServers`;
      const headers = signRequest({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body: '{}' }, { region: REGION, service: 'mgn' });
      const signed = await fetch(url, { method: 'POST', headers, body: '{}' });
      expect(signed.status).toBe(200);
      const tampered = await fetch(url, { method: 'POST', headers, body: '{"maxResults":1}' });
      expect([tampered.status, tampered.headers.get('x-amzn-errortype')]).toEqual([403, 'InvalidSignatureException']);
    });

    it('S3: a SigV4 request without x-amz-content-sha256 is InvalidRequest; a malformed Authorization header AuthorizationHeaderMalformed', async () => {
      const url = `${em.url}/wave-bucket/waves/x.json`;
      const { 'x-amz-content-sha256': _sha, ...headers } = signRequest({ method: 'GET', url }, { region: REGION, service: 's3' });
      const res = await fetch(url, { headers });
      expect(res.status).toBe(400);
      expect(wireError(last())).toEqual({ code: 'InvalidRequest', shape: expect.stringMatching(ERROR_SHAPES.s3) });
      expect(await res.text()).toContain('Missing required header for this request: x-amz-content-sha256');
      const malformed = await fetch(url, { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIASIMULATOR0000000/20260105/eu-west-1/s3/aws4_request', 'x-amz-date': '20260105T080000Z' } });
      expect(malformed.status).toBe(400);
      expect(wireError(last()).code).toBe('AuthorizationHeaderMalformed');
    });

    it('temporary credentials from AssumeRole are valid with their session token, and only with it', async () => {
      const role = await sdk(em.url).sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/Installer', RoleSessionName: 'wire' }));
      const c = role.Credentials!;
      const temporary = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
      expect((await sdk(em.url, temporary).sts.send(new GetCallerIdentityCommand({}))).Account).toBe('111122223333');
      expect((await errorOf(sdk(em.url, { ...temporary, sessionToken: undefined }).sts.send(new GetCallerIdentityCommand({}))))?.name).toBe('InvalidClientTokenId');
      expect((await errorOf(sdk(em.url, { ...temporary, sessionToken: 'FwoGZXIvYXdzEother' }).s3.send(new GetObjectCommand({ Bucket: 'wave-bucket', Key: 'k' }))))?.name).toBe('InvalidToken');
    });
  });

  describe('validation does not depend on the data', () => {
    it('an unknown EC2 filter is InvalidParameterValue in a region with no instances, subnets in use or groups asked for', async () => {
      const empty = sdk(em.url, EMULATOR_CREDENTIALS, 'ap-east-1').ec2;
      const filter = [{ Name: 'colour', Values: ['blue'] }];
      const e1 = await invalid('ec2', 'DescribeInstances', empty.send(new DescribeInstancesCommand({ Filters: filter })), 'InvalidParameterValue');
      expect(e1.message).toBe("The filter 'colour' is invalid");
      await invalid('ec2', 'DescribeInstanceStatus', empty.send(new DescribeInstanceStatusCommand({ Filters: filter })), 'InvalidParameterValue');
      await invalid('ec2', 'DescribeSubnets', empty.send(new DescribeSubnetsCommand({ Filters: filter })), 'InvalidParameterValue');
      await invalid('ec2', 'DescribeSecurityGroups', empty.send(new DescribeSecurityGroupsCommand({ Filters: filter })), 'InvalidParameterValue');
      await invalid('ec2', 'DescribeVpcs', empty.send(new DescribeVpcsCommand({ Filters: filter })), 'InvalidParameterValue');
      await invalid('ec2', 'DescribeRouteTables', empty.send(new DescribeRouteTablesCommand({ Filters: filter })), 'InvalidParameterValue');
      await invalid('ec2', 'DescribeVpcEndpoints', empty.send(new DescribeVpcEndpointsCommand({ Filters: filter })), 'InvalidParameterValue');
      // the filters EC2 knows still answer, with nothing in them
      expect((await ok('ec2', 'DescribeInstances', empty.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Wave', Values: ['w'] }] })))).Reservations).toEqual([]);
    });
  });

  describe('launch settings: malformed input is refused before any template or server is looked up', () => {
    it('EC2 launch templates and MGN launch configurations', async () => {
      const { ec2, mgn } = sdk(em.url);
      await invalid('ec2', 'DescribeLaunchTemplateVersions', ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: 'lt-1' })), 'InvalidLaunchTemplateId.Malformed');
      await invalid('ec2', 'CreateLaunchTemplateVersion', ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateData: { InstanceType: 'm5.large' } })), 'MissingParameter');
      await invalid('ec2', 'ModifyLaunchTemplate', ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: 'lt-1', DefaultVersion: '1' })), 'InvalidLaunchTemplateId.Malformed');
      await invalid('mgn', 'UpdateLaunchConfiguration', mgn.send(new UpdateLaunchConfigurationCommand({ sourceServerID: 's-00000000000000000', launchDisposition: 'SOMETIMES' as never })), 'ValidationException');
    });
  });

  describe('S3 objects', () => {
    const Bucket = 'wave-bucket';
    const md5 = (s: string) => createHash('md5').update(s).digest('base64');

    it('PutObject checks Content-MD5: BadDigest when it does not match, InvalidDigest when it is not an MD5', async () => {
      const { s3 } = sdk(em.url);
      await ok('s3', 'PutObject', s3.send(new PutObjectCommand({ Bucket, Key: 'md5/ok', Body: 'abc', ContentMD5: md5('abc') })));
      const bad = await fails('s3', 'PutObject', s3.send(new PutObjectCommand({ Bucket, Key: 'md5/bad', Body: 'abc', ContentMD5: md5('abd') })), 'BadDigest');
      expect(bad.message).toBe('The Content-MD5 you specified did not match what we received.');
      await invalid('s3', 'PutObject', s3.send(new PutObjectCommand({ Bucket, Key: 'md5/bad', Body: 'abc', ContentMD5: 'not-md5' })), 'InvalidDigest');
      expect(em.s3Object(Bucket, 'md5/bad')).toBeUndefined();
    });

    it.each([['CRC32'], ['CRC32C'], ['SHA1'], ['SHA256']] as const)('verifies and echoes a %s checksum on PUT, and returns it on GET with checksum mode (the SDK checks it)', async (algorithm) => {
      const { s3 } = sdk(em.url);
      const Key = `checksum/${algorithm}`;
      const put = await ok('s3', 'PutObject', s3.send(new PutObjectCommand({ Bucket, Key, Body: '{"wave":1}', ChecksumAlgorithm: algorithm })));
      const expected = checksumOf(algorithm, Buffer.from('{"wave":1}'));
      expect(put[`Checksum${algorithm}` as 'ChecksumCRC32']).toBe(expected);
      expect([put.ChecksumType, put.ServerSideEncryption, put.ETag]).toEqual(['FULL_OBJECT', 'AES256', `"${createHash('md5').update('{"wave":1}').digest('hex')}"`]);
      const got = await ok('s3', 'GetObject', s3.send(new GetObjectCommand({ Bucket, Key, ChecksumMode: 'ENABLED' })));
      expect(await got.Body!.transformToString()).toBe('{"wave":1}');
      expect(got[`Checksum${algorithm}` as 'ChecksumCRC32']).toBe(expected);
      const head = await ok('s3', 'HeadObject', s3.send(new HeadObjectCommand({ Bucket, Key })));
      expect([head.ChecksumCRC32, head.ServerSideEncryption]).toEqual([undefined, 'AES256']);
    });

    it('the SDK default: a streamed upload with a CRC32 trailer is decoded, verified and echoed', async () => {
      const { s3 } = sdk(em.url);
      const body = Buffer.from('streamed wave manifest');
      const put = await ok('s3', 'PutObject', s3.send(new PutObjectCommand({ Bucket, Key: 'checksum/streamed', Body: Readable.from([body]), ContentLength: body.length })));
      expect(put.ChecksumCRC32).toBe(checksumOf('CRC32', body));
      expect(em.s3Object(Bucket, 'checksum/streamed')?.body.toString()).toBe('streamed wave manifest');
    });

    it('a checksum that does not match the body is BadDigest, and nothing is stored', async () => {
      const { s3 } = sdk(em.url);
      const err = await fails('s3', 'PutObject', s3.send(new PutObjectCommand({ Bucket, Key: 'checksum/bad', Body: 'abc', ChecksumCRC32: checksumOf('CRC32', Buffer.from('abd')) })), 'BadDigest');
      expect(err.message).toBe('The CRC32 you specified did not match the calculated checksum.');
      await invalid('s3', 'PutObject', s3.send(new PutObjectCommand({ Bucket, Key: 'checksum/bad', Body: 'abc', ChecksumSHA256: 'short' })), 'InvalidRequest');
      expect(em.s3Object(Bucket, 'checksum/bad')).toBeUndefined();
    });

    it('echoes SSE-KMS with its key, refuses an unknown encryption method', async () => {
      const { s3 } = sdk(em.url);
      const kms = await ok('s3', 'PutObject', s3.send(new PutObjectCommand({ Bucket, Key: 'sse/kms', Body: 'x', ServerSideEncryption: 'aws:kms' })));
      expect([kms.ServerSideEncryption, kms.SSEKMSKeyId]).toEqual(['aws:kms', `arn:aws:kms:${REGION}:${ACCOUNT_ID}:alias/aws/s3`]);
      const got = await ok('s3', 'GetObject', s3.send(new GetObjectCommand({ Bucket, Key: 'sse/kms' })));
      expect(got.SSEKMSKeyId).toBe(kms.SSEKMSKeyId);
      await invalid('s3', 'PutObject', s3.send(new PutObjectCommand({ Bucket, Key: 'sse/bad', Body: 'x', ServerSideEncryption: 'DES' as never })), 'InvalidArgument');
    });

    it('conditional writes: If-None-Match: * creates once, then 412; If-Match writes only the version named, 404 when there is none', async () => {
      const { s3 } = sdk(em.url);
      const Key = 'waves/wire/lock.json';
      const created = await ok('s3', 'PutObject', s3.send(new PutObjectCommand({ Bucket, Key, Body: '{"runId":"a"}', IfNoneMatch: '*' })));
      await fails('s3', 'PutObject', s3.send(new PutObjectCommand({ Bucket, Key, Body: '{"runId":"b"}', IfNoneMatch: '*' })), 'PreconditionFailed');
      expect(last().status).toBe(412);
      expect(parseXml(last().body).children.find((c) => c.name === 'Condition')?.text).toBe('If-None-Match');
      await fails('s3', 'PutObject', s3.send(new PutObjectCommand({ Bucket, Key, Body: '{}', IfMatch: '"0123456789abcdef0123456789abcdef"' })), 'PreconditionFailed');
      const replaced = await ok('s3', 'PutObject', s3.send(new PutObjectCommand({ Bucket, Key, Body: '{"runId":"c"}', IfMatch: created.ETag })));
      expect(replaced.ETag).not.toBe(created.ETag);
      await fails('s3', 'PutObject', s3.send(new PutObjectCommand({ Bucket, Key: 'waves/wire/none.json', Body: '{}', IfMatch: created.ETag })), 'NoSuchKey');
      await invalid('s3', 'PutObject', s3.send(new PutObjectCommand({ Bucket, Key, Body: '{}', IfNoneMatch: created.ETag })), 'NotImplemented');
      expect(em.s3Object(Bucket, Key)?.body.toString()).toBe('{"runId":"c"}');
    });

    it('conditional deletes: If-Match deletes only the version named (412 otherwise, 404 when gone); a plain delete is 204 either way', async () => {
      const { s3 } = sdk(em.url);
      const Key = 'waves/wire/delete.json';
      const put = await s3.send(new PutObjectCommand({ Bucket, Key, Body: '{"v":1}' }));
      await fails('s3', 'DeleteObject', s3.send(new DeleteObjectCommand({ Bucket, Key, IfMatch: '"0123456789abcdef0123456789abcdef"' })), 'PreconditionFailed');
      expect(em.s3Object(Bucket, Key)).toBeDefined();
      await ok('s3', 'DeleteObject', s3.send(new DeleteObjectCommand({ Bucket, Key, IfMatch: put.ETag })));
      expect(em.s3Object(Bucket, Key)).toBeUndefined();
      await invalid('s3', 'DeleteObject', s3.send(new DeleteObjectCommand({ Bucket, Key, IfMatch: put.ETag })), 'NoSuchKey');
      await ok('s3', 'DeleteObject', s3.send(new DeleteObjectCommand({ Bucket, Key })));
      await fails('s3', 'DeleteObject', s3.send(new DeleteObjectCommand({ Bucket: 'no-such-bucket', Key })), 'NoSuchBucket');
    });

    it('conditional reads: If-Match on GET/HEAD is 412 for another version', async () => {
      const { s3 } = sdk(em.url);
      await s3.send(new PutObjectCommand({ Bucket, Key: 'read/x', Body: '1' }));
      await invalid('s3', 'GetObject', s3.send(new GetObjectCommand({ Bucket, Key: 'read/x', IfMatch: '"0123456789abcdef0123456789abcdef"' })), 'PreconditionFailed');
      await invalid('s3', 'HeadObject', s3.send(new HeadObjectCommand({ Bucket, Key: 'read/x', IfMatch: '"0123456789abcdef0123456789abcdef"' })), 'PreconditionFailed');
    });
  });

  describe('MGN replication template tags', () => {
    it('are answered as created, by CreateReplicationConfigurationTemplate and DescribeReplicationConfigurationTemplates', async () => {
      const { mgn } = sdk(em.url);
      const net = em.fleet.network(REGION);
      const input = {
        stagingAreaSubnetId: net.subnets[0].subnetId,
        associateDefaultSecurityGroup: false,
        replicationServersSecurityGroupsIDs: [net.securityGroups[1].groupId],
        replicationServerInstanceType: 't3.small',
        useDedicatedReplicationServer: false,
        defaultLargeStagingDiskType: 'GP3' as const,
        ebsEncryption: 'DEFAULT' as const,
        bandwidthThrottling: 0,
        dataPlaneRouting: 'PRIVATE_IP' as const,
        createPublicIP: false,
        stagingAreaTags: { Purpose: 'staging' },
      };
      const created = await ok('mgn', 'CreateReplicationConfigurationTemplate', mgn.send(new CreateReplicationConfigurationTemplateCommand({ ...input, tags: { Owner: 'mgn-orchestrator', Stack: 'wire' } })));
      expect(created.tags).toEqual({ Owner: 'mgn-orchestrator', Stack: 'wire' });
      const described = await ok('mgn', 'DescribeReplicationConfigurationTemplates', mgn.send(new DescribeReplicationConfigurationTemplatesCommand({ replicationConfigurationTemplateIDs: [created.replicationConfigurationTemplateID!] })));
      expect(described.items![0].tags).toEqual({ Owner: 'mgn-orchestrator', Stack: 'wire' });
      await invalid('mgn', 'CreateReplicationConfigurationTemplate', mgn.send(new CreateReplicationConfigurationTemplateCommand({ ...input, tags: { Owner: 'x'.repeat(257) } })), 'ValidationException');
    });
  });

  describe('Step Functions DescribeExecution', () => {
    const arn = `arn:aws:states:${REGION}:123456789012:execution:MgnWave:run-1`;

    it('answers the status of the executions the runner reports, as the model says', async () => {
      const { states } = sdk(em.url);
      em.executions.started({ executionArn: arn, stateMachineArn: `arn:aws:states:${REGION}:123456789012:stateMachine:MgnWave`, name: 'run-1', startDate: em.clock.now(), input: { waveId: 'wire' } });
      const running = await ok('states', 'DescribeExecution', states.send(new DescribeExecutionCommand({ executionArn: arn })));
      expect([running.status, running.name, running.input, running.stopDate]).toEqual(['RUNNING', 'run-1', '{"waveId":"wire"}', undefined]);
      em.executions.stopped(arn, { status: 'ABORTED', stopDate: em.clock.now() + 1000 });
      const aborted = await ok('states', 'DescribeExecution', states.send(new DescribeExecutionCommand({ executionArn: arn, includedData: 'METADATA_ONLY' })));
      expect([aborted.status, aborted.input, aborted.stopDate?.getTime(), aborted.redriveStatus]).toEqual(['ABORTED', undefined, em.clock.now() + 1000, 'REDRIVABLE']);
      await fails('states', 'DescribeExecution', states.send(new DescribeExecutionCommand({ executionArn: arn.replace('run-1', 'run-2') })), 'ExecutionDoesNotExist');
      await invalid('states', 'DescribeExecution', states.send(new DescribeExecutionCommand({ executionArn: 'run-1' })), 'InvalidArn');
      await invalid('states', 'DescribeExecution', states.send(new DescribeExecutionCommand({ executionArn: arn.replace(REGION, 'us-west-2') })), 'InvalidArn');
      await invalid('states', 'DescribeExecution', states.send(new DescribeExecutionCommand({} as never)), 'ValidationException');
    });
  });

  describe('invalid input, for every operation served', () => {
    const sid = 'not-a-source-server-id';
    it('MGN refuses each operation input that breaks the model (ValidationException naming the field)', async () => {
      const { mgn } = sdk(em.url);
      const cases: [string, () => Promise<unknown>][] = [
        ['DescribeSourceServers', () => mgn.send(new DescribeSourceServersCommand({ maxResults: 1001 }))],
        ['DescribeReplicationConfigurationTemplates', () => mgn.send(new DescribeReplicationConfigurationTemplatesCommand({ replicationConfigurationTemplateIDs: ['rct-1'] }))],
        ['UpdateReplicationConfigurationTemplate', () => mgn.send(new UpdateReplicationConfigurationTemplateCommand({ replicationConfigurationTemplateID: 'rct-1' }))],
        ['StartTest', () => mgn.send(new StartTestCommand({ sourceServerIDs: [] }))],
        ['StartCutover', () => mgn.send(new StartCutoverCommand({ sourceServerIDs: [sid] }))],
        ['TerminateTargetInstances', () => mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: [sid] }))],
        ['DescribeJobs', () => mgn.send(new DescribeJobsCommand({ maxResults: 0 }))],
        ['DescribeJobLogItems', () => mgn.send(new DescribeJobLogItemsCommand({ jobID: 'not-a-job' }))],
        ['ChangeServerLifeCycleState', () => mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: sid, lifeCycle: { state: 'READY_FOR_CUTOVER' } }))],
        ['GetLaunchConfiguration', () => mgn.send(new GetLaunchConfigurationCommand({ sourceServerID: sid }))],
        ['GetReplicationConfiguration', () => mgn.send(new GetReplicationConfigurationCommand({ sourceServerID: sid }))],
        ['UpdateReplicationConfiguration', () => mgn.send(new UpdateReplicationConfigurationCommand({ sourceServerID: 's-00000000000000000', replicationServersSecurityGroupsIDs: ['group-1'] }))],
        ['FinalizeCutover', () => mgn.send(new FinalizeCutoverCommand({ sourceServerID: sid }))],
        ['MarkAsArchived', () => mgn.send(new MarkAsArchivedCommand({ sourceServerID: sid }))],
        ['DisconnectFromService', () => mgn.send(new DisconnectFromServiceCommand({ sourceServerID: sid }))],
        ['CreateWave', () => mgn.send(new CreateWaveCommand({ name: 'two  trailing ' }))],
        ['ListWaves', () => mgn.send(new ListWavesCommand({ filters: { waveIDs: ['wave-1'] } }))],
        ['ArchiveWave', () => mgn.send(new ArchiveWaveCommand({ waveID: 'wave-1' }))],
        ['CreateApplication', () => mgn.send(new CreateApplicationCommand({ name: 'app', description: 'nul\u0000' }))],
        ['ListApplications', () => mgn.send(new ListApplicationsCommand({ maxResults: 1001 }))],
        ['ArchiveApplication', () => mgn.send(new ArchiveApplicationCommand({} as never))],
        ['AssociateApplications', () => mgn.send(new AssociateApplicationsCommand({ waveID: 'wave-00000000000000000', applicationIDs: [] }))],
        ['AssociateSourceServers', () => mgn.send(new AssociateSourceServersCommand({ applicationID: 'app-00000000000000000', sourceServerIDs: [sid] }))],
      ];
      for (const [operation, call] of cases) {
        const err = await invalid('mgn', operation, call(), 'ValidationException');
        expect({ operation, fields: JSON.parse(last().body).fieldList ?? [] }).toEqual({ operation, fields: expect.arrayContaining([expect.objectContaining({ name: expect.any(String) })]) });
        expect(err.message.length).toBeGreaterThan(10);
      }
    });

    it('SSM refuses each operation input that breaks the model', async () => {
      const { ssm } = sdk(em.url);
      const cases: [string, () => Promise<unknown>, string][] = [
        ['SendCommand', () => ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: ['mi-00000000000000002'], TimeoutSeconds: 5 })), 'ValidationException'],
        ['ListCommands', () => ssm.send(new ListCommandsCommand({ CommandId: 'short' })), 'ValidationException'],
        ['ListCommandInvocations', () => ssm.send(new ListCommandInvocationsCommand({ MaxResults: 51 })), 'ValidationException'],
        ['GetCommandInvocation', () => ssm.send(new GetCommandInvocationCommand({ CommandId: '00000000-0000-4000-8000-000000000000' } as never)), 'ValidationException'],
        ['DescribeInstanceInformation', () => ssm.send(new DescribeInstanceInformationCommand({ MaxResults: 51 })), 'ValidationException'],
        ['PutParameter', () => ssm.send(new PutParameterCommand({ Name: '/wire/x' } as never)), 'ValidationException'],
        ['GetParameter', () => ssm.send(new GetParameterCommand({ Name: 'x'.repeat(2049) })), 'ValidationException'],
        ['DeleteParameter', () => ssm.send(new DeleteParameterCommand({} as never)), 'ValidationException'],
      ];
      for (const [operation, call, code] of cases) await invalid('ssm', operation, call(), code);
    });

    it('EC2, STS and SNS refuse each operation input that breaks the rules', async () => {
      const { ec2, sts, sns } = sdk(em.url);
      await invalid('ec2', 'DescribeInstances', ec2.send(new DescribeInstancesCommand({ MaxResults: 2 })), 'InvalidParameterValue');
      await invalid('ec2', 'DescribeInstanceStatus', ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: ['i-1'], MaxResults: 5 })), 'InvalidParameterCombination');
      await invalid('ec2', 'DescribeSubnets', ec2.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-x'] })), 'InvalidSubnetID.Malformed');
      await invalid('ec2', 'DescribeSecurityGroups', ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['group-1'] })), 'InvalidGroupId.Malformed');
      await invalid('ec2', 'TerminateInstances', ec2.send(new TerminateInstancesCommand({ InstanceIds: ['instance-1'] })), 'InvalidInstanceID.Malformed');
      await invalid('sts', 'AssumeRole', sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/R', RoleSessionName: 'wire', DurationSeconds: 60 })), 'ValidationError');
      await invalid('sns', 'Publish', sns.send(new PublishCommand({ TopicArn: `arn:aws:sns:${REGION}:123456789012:t`, Message: 'm', Subject: 'two\nlines' })), 'InvalidParameter');
    });

    it('Service Quotas refuses a missing or malformed service or quota code (the model\'s patterns)', async () => {
      const { servicequotas } = sdk(em.url);
      await invalid('servicequotas', 'GetServiceQuota', servicequotas.send(new GetServiceQuotaCommand({ ServiceCode: 'mgn' } as never)), 'IllegalArgumentException');
      await invalid('servicequotas', 'GetServiceQuota', servicequotas.send(new GetServiceQuotaCommand({ ServiceCode: 'm g n', QuotaCode: 'L-9A599620' })), 'IllegalArgumentException');
      await invalid('servicequotas', 'GetServiceQuota', servicequotas.send(new GetServiceQuotaCommand({ ServiceCode: 'mgn', QuotaCode: `L-${'9'.repeat(130)}` })), 'IllegalArgumentException');
    });
  });

  /**
   * Operations whose happy and error cases live in emulator.conformance.test.ts (checked below
   * against that file's text). When an operation is added to the emulator, add its cases there or
   * here and its name to this list or to the cases above; this file's enumeration fails until then.
   */
  const CONFORMANCE_FILE_COVERS: Record<Service, readonly string[]> = {
    mgn: [
      'InitializeService',
      'DescribeSourceServers',
      'DescribeReplicationConfigurationTemplates',
      'CreateReplicationConfigurationTemplate',
      'UpdateReplicationConfigurationTemplate',
      'StartTest',
      'StartCutover',
      'TerminateTargetInstances',
      'DescribeJobs',
      'DescribeJobLogItems',
      'ChangeServerLifeCycleState',
      'GetLaunchConfiguration',
      'UpdateLaunchConfiguration',
      'GetReplicationConfiguration',
      'UpdateReplicationConfiguration',
      'FinalizeCutover',
      'MarkAsArchived',
      'DisconnectFromService',
      'CreateWave',
      'ListWaves',
      'ArchiveWave',
      'CreateApplication',
      'ListApplications',
      'ArchiveApplication',
      'AssociateApplications',
      'AssociateSourceServers',
    ],
    ssm: ['SendCommand', 'ListCommands', 'ListCommandInvocations', 'GetCommandInvocation', 'DescribeInstanceInformation', 'PutParameter', 'GetParameter', 'DeleteParameter'],
    ec2: [
      'DescribeInstances',
      'DescribeInstanceStatus',
      'DescribeSubnets',
      'DescribeSecurityGroups',
      'TerminateInstances',
      'DescribeVpcs',
      'DescribeRouteTables',
      'DescribeVpcEndpoints',
      'DescribeLaunchTemplateVersions',
      'CreateLaunchTemplateVersion',
      'ModifyLaunchTemplate',
    ],
    sts: ['AssumeRole', 'GetCallerIdentity'],
    s3: ['GetObject', 'HeadObject'],
    sns: ['Publish'],
    states: [],
    servicequotas: ['GetServiceQuota'],
  };
  /** Operations that take no input at all: there is no invalid input to send them. */
  const NO_INPUT = ['mgn:InitializeService', 'sts:GetCallerIdentity'];
  /** Operations with no error the project can provoke (the model lists none for them): a happy case suffices. */
  const NO_ERROR = ['mgn:InitializeService', 'sts:GetCallerIdentity'];

  it('every operation the emulator serves has a happy case, an error case and an invalid-input case', () => {
    const conformance = readFileSync(join(__dirname, 'emulator.conformance.test.ts'), 'utf8');
    const inConformance = (service: string, operation: string, kind: 'ok' | 'fails') => new RegExp(`${kind}\\(\\s*'${service}',\\s*'${operation}'`).test(conformance);
    const missing: string[] = [];
    for (const [service, operations] of Object.entries(servedOperations()) as [Service, string[]][]) {
      for (const operation of operations) {
        const key = `${service}:${operation}`;
        const here = covered.get(key) ?? new Set();
        const listed = CONFORMANCE_FILE_COVERS[service].includes(operation);
        const happy = here.has('ok') || (listed && inConformance(service, operation, 'ok'));
        const error = NO_ERROR.includes(key) || here.has('error') || here.has('invalid') || (listed && inConformance(service, operation, 'fails'));
        const invalidInput = NO_INPUT.includes(key) || here.has('invalid');
        if (!happy || !error || !invalidInput) missing.push(`${key}:${happy ? '' : ' no happy case'}${error ? '' : ' no error case'}${invalidInput ? '' : ' no invalid-input case'}`);
      }
    }
    expect(missing).toEqual([]);
    // the list names only operations that exist, and the conformance file really has their cases
    for (const [service, operations] of Object.entries(CONFORMANCE_FILE_COVERS)) for (const op of operations) expect(servedOperations()[service as Service]).toContain(op);
  });
});
