import { parseManifest } from '../../functions/lib/manifest';
import { InvalidInputError } from '../../functions/lib/validation';

const wave = {
  waveId: 'wave-1',
  targetRegion: 'eu-west-1',
  endpoints: {
    mgn: '*.vpce-0a1b2c3d4e5f60718-abcd1234.mgn.eu-west-1.vpce.amazonaws.com',
    s3: 'vpce-0a1b2c3d4e5f60718-abcd1234.s3.eu-west-1.vpce.amazonaws.com',
  },
  servers: [{ name: 'web-1', os: 'linux', source: { type: 'ec2', instanceId: 'i-0123456789abcdef0', region: 'ap-southeast-1' } }],
};

describe('parseManifest', () => {
  it('fills defaults and drops the console-style "*." endpoint prefix', () => {
    const m = parseManifest(wave);
    expect(m.endpoints.mgn).toBe('vpce-0a1b2c3d4e5f60718-abcd1234.mgn.eu-west-1.vpce.amazonaws.com');
    expect(m.options).toEqual({
      approval: 'required',
      pollIntervalSeconds: 300,
      replicationTimeoutHours: 72,
      // credentials left out: chosen per server (credentialsModeOf)
      phases: { install: true, test: true, cutover: true, finalize: true, archive: true },
      quiesce: false,
      finalizeApproval: 'required',
      soakHours: 0,
    });
  });

  it('reports shape and cross-field mistakes together, one line each', () => {
    const bad = {
      ...wave,
      colour: 'blue',
      endpoints: { ...wave.endpoints, s3: 'vpce-0a1b2c3d4e5f60718-abcd1234.s3.us-east-1.vpce.amazonaws.com' },
      servers: [
        { ...wave.servers[0], source: { type: 'ec2', instanceId: 'i-12', region: 'ap-southeast-1' } },
        { ...wave.servers[0] },
      ],
    };
    let problems: string[] = [];
    try {
      parseManifest(bad);
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidInputError);
      problems = (e as InvalidInputError).problems;
    }
    expect(problems).toEqual(
      expect.arrayContaining([
        'servers[0].source.instanceId: "i-12" is not an EC2 instance id (i- followed by 8 or 17 hex digits)',
        'colour: unknown field; remove it or fix its spelling',
        expect.stringMatching(/^endpoints\.s3: endpoint is in us-east-1 but targetRegion is eu-west-1/),
        expect.stringMatching(/^servers\[1\]\.name: "web-1" is already used by servers\[0\]/),
      ]),
    );
    expect(problems).toHaveLength(4);
  });
});
