/**
 * Every endpoint URL and host name the stack hands to the Lambdas (environment) and to the operator
 * (outputs), evaluated as CloudFormation will evaluate it after deployment, with the DnsEntries an
 * interface endpoint really has: for S3 the regional entry is `*.vpce-….s3.<region>.vpce.amazonaws.com`.
 * Each must be a valid URL or DNS name (no `*`, no empty label): `https://bucket.*.vpce-…` would make
 * every S3 call of every step fail.
 */
import { STEPS } from '../../functions/lib/steps';
import { evaluate, hostNameProblem, httpsUrlProblem, sampleDnsEntries } from './intrinsics';
import { logicalId, synthExample, type Synthesised } from './synth';

const ENDPOINT_ID = 'vpce-01abc23456de78f9g-12abc34d';

describe.each(['cross-region', 'on-premises'] as const)('endpoint URLs and host names (%s config)', (name) => {
  let s: Synthesised;
  beforeAll(() => {
    s = synthExample(name);
  });

  /** A value as deployed: DnsEntries from the endpoint's service, other ids as DNS-safe samples. */
  const deployed = (value: unknown) =>
    evaluate(value, {
      ref: (n) =>
        ({ 'AWS::Partition': 'aws', 'AWS::AccountId': '123456789012', 'AWS::Region': s.config.region, 'AWS::URLSuffix': 'amazonaws.com' })[n] ??
        n.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 30),
      getAtt: (resource, attribute) =>
        attribute === 'DnsEntries'
          ? sampleDnsEntries(String(s.json.Resources[resource].Properties!.ServiceName), s.config.region)
          : `${resource.toLowerCase()}-${attribute.toLowerCase()}`,
    });
  const environmentOf = (step: string) =>
    deployed((s.json.Resources[logicalId(s.stack, s.stack.functions.functions[step])].Properties!.Environment as { Variables: unknown }).Variables) as Record<
      string,
      string
    >;
  const outputs = () => deployed((s.json as unknown as { Outputs: Record<string, { Value: unknown }> }).Outputs) as Record<string, { Value: string }>;

  it('AWS_ENDPOINT_URL_S3 is https://bucket.<S3 endpoint name>, the `*` replaced by bucket', () => {
    for (const step of STEPS)
      expect({ step: step.name, url: environmentOf(step.name).AWS_ENDPOINT_URL_S3 }).toEqual({
        step: step.name,
        url: `https://bucket.${ENDPOINT_ID}.s3.${s.config.region}.vpce.amazonaws.com`,
      });
  });

  it('PREFLIGHT_ENDPOINTS and the S3EndpointDns / MgnEndpointDns outputs are host names without `*.`', () => {
    const hosts = environmentOf('preflight').PREFLIGHT_ENDPOINTS.split(',');
    expect(hosts).toContain(`${ENDPOINT_ID}.s3.${s.config.region}.vpce.amazonaws.com`);
    expect(hosts).toContain(`mgn.${s.config.region}.amazonaws.com`);
    expect(outputs().S3EndpointDns.Value).toBe(`${ENDPOINT_ID}.s3.${s.config.region}.vpce.amazonaws.com`);
    expect(outputs().MgnEndpointDns.Value).toBe(`${ENDPOINT_ID}.mgn.${s.config.region}.vpce.amazonaws.com`);
  });

  it('every URL or host name in any step environment or any output is valid', () => {
    const found: { where: string; name: string; value: string; problem?: string }[] = [];
    const check = (where: string, name: string, value: string) => {
      const tokens = value.trim().startsWith('{') ? Object.values(JSON.parse(value) as Record<string, string>) : value.split(',');
      for (const token of tokens) {
        if (token.startsWith('https://') || token.startsWith('http://')) found.push({ where, name, value: token, problem: httpsUrlProblem(token) });
        else if (/\.amazonaws\.com$|\*/.test(token)) found.push({ where, name, value: token, problem: hostNameProblem(token) });
      }
    };
    for (const step of STEPS) for (const [variable, value] of Object.entries(environmentOf(step.name))) check(step.name, variable, value);
    for (const [output, { Value }] of Object.entries(outputs())) check('output', output, String(Value));
    // the env vars and outputs that carry names are all seen, so none escapes the check
    const names = [...new Set(found.map((f) => f.name))];
    for (const expected of ['AWS_ENDPOINT_URL_S3', 'PREFLIGHT_ENDPOINTS', 'S3EndpointDns', 'MgnEndpointDns']) expect(names).toContain(expected);
    if (s.config.sourceRegions.length > 0) expect(names).toContain('SSM_ENDPOINTS_BY_REGION');
    if (s.config.api.enabled) expect(names).toContain('ApiUrl');
    expect(found.filter((f) => f.problem !== undefined)).toEqual([]);
  });
});
