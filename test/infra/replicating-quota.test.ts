/**
 * The replicating-servers quota (Service Quotas mgn/L-9A599620) reaches the steps that read it:
 * a `servicequotas` interface endpoint with private DNS, preflight probes its host, and only the
 * steps that call GetServiceQuota may, on that one quota's ARN (Service Authorization Reference:
 * resource type `quota`, arn:${Partition}:servicequotas:${Region}:${Account}:${ServiceCode}/${QuotaCode}).
 */
import { STEPS } from '../../functions/lib/steps';
import { evaluate, sampleDnsEntries } from './intrinsics';
import { logicalId, synthExample, type Synthesised } from './synth';

type Statement = { Action: string | string[]; Resource: unknown };

describe.each(['cross-region', 'on-premises'] as const)('the replicating-servers quota in the template (%s config)', (name) => {
  let s: Synthesised;
  beforeAll(() => {
    s = synthExample(name);
  });
  const deployed = (value: unknown) =>
    evaluate(value, {
      ref: (n) => ({ 'AWS::Partition': 'aws', 'AWS::AccountId': '123456789012', 'AWS::Region': s.config.region, 'AWS::URLSuffix': 'amazonaws.com' })[n] ?? n,
      getAtt: (resource, attribute) =>
        attribute === 'DnsEntries' ? sampleDnsEntries(String(s.json.Resources[resource].Properties!.ServiceName), s.config.region) : `${resource}.${attribute}`,
    });

  it('creates a servicequotas interface endpoint with private DNS', () => {
    const endpoints = Object.values(s.json.Resources).filter(
      (r) => r.Type === 'AWS::EC2::VPCEndpoint' && deployed(r.Properties!.ServiceName) === `com.amazonaws.${s.config.region}.servicequotas`,
    );
    expect(endpoints).toHaveLength(1);
    expect(endpoints[0].Properties!.PrivateDnsEnabled).toBe(true);
    expect(endpoints[0].Properties!.VpcEndpointType).toBe('Interface');
  });

  it('preflight probes the Service Quotas endpoint host', () => {
    const fn = s.json.Resources[logicalId(s.stack, s.stack.functions.functions.preflight)];
    const env = deployed((fn.Properties!.Environment as { Variables: unknown }).Variables) as Record<string, string>;
    expect(env.PREFLIGHT_ENDPOINTS.split(',')).toContain(`servicequotas.${s.config.region}.amazonaws.com`);
  });

  it('grants servicequotas:GetServiceQuota on mgn/L-9A599620 only, to the steps that read the quota', () => {
    const granted: string[] = [];
    for (const r of Object.values(s.json.Resources)) {
      if (r.Type !== 'AWS::IAM::Policy') continue;
      const statements = (r.Properties!.PolicyDocument as { Statement: Statement[] }).Statement;
      for (const st of statements) {
        const actions = Array.isArray(st.Action) ? st.Action : [st.Action];
        if (!actions.some((a) => a.startsWith('servicequotas:'))) continue;
        expect(actions.filter((a) => a.startsWith('servicequotas:'))).toEqual(['servicequotas:GetServiceQuota']);
        const resources = [deployed(st.Resource)].flat();
        expect(resources).toHaveLength(1);
        expect(resources[0]).toMatch(new RegExp(`^arn:aws:servicequotas:${s.config.region}:\\d{12}:mgn/L-9A599620$`));
        granted.push(String(r.Properties!.PolicyName ?? ''));
      }
    }
    const callers = STEPS.filter((step) => step.actions.includes('servicequotas:GetServiceQuota')).map((step) => step.name);
    expect(callers.sort()).toEqual(['install-agents', 'preflight']);
    expect(granted).toHaveLength(callers.length);
  });
});
