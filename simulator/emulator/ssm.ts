/**
 * SSM (awsJson1_1): `X-Amz-Target: AmazonSSM.<Operation>`. Run Command against the fleet's managed
 * instances, instance information, and a small Parameter Store (for installer credentials).
 */
import { ApiError } from './errors';
import { ACCOUNT_ID, type Command, type Fleet, type Invocation, type ManagedInstance } from './fleet';
import type { Context, JsonOperation } from './mgn';
import { asObject, asStringList, decodeToken, encodeToken, isoDuration, Validator } from './validate';

type Obj = Record<string, unknown>;

const INSTANCE_ID = /^(i-(\w{8}|\w{17}))$|^(mi-\w{17})$/;
const COMMAND_ID_LEN = 36;
const epoch = (ms: number) => ms / 1000;

function page<T>(items: T[], input: Obj, salt: string, defaultMax: number): { page: T[]; NextToken?: string } {
  const offset = decodeToken(input.NextToken as string | undefined, salt);
  if (offset === undefined) throw new ApiError('InvalidNextToken', 'The specified token is not valid.');
  const max = (input.MaxResults as number | undefined) ?? defaultMax;
  const slice = items.slice(offset, offset + max);
  return { page: slice, ...(offset + max < items.length ? { NextToken: encodeToken(offset + max, salt) } : {}) };
}

function renderCommand(c: Command, fleet: Fleet): Obj {
  const statuses = [...c.invocations.values()].map((i) => fleet.invocationStatus(i));
  const status = fleet.commandStatus(c);
  return {
    CommandId: c.commandId,
    DocumentName: c.documentName,
    DocumentVersion: '$DEFAULT',
    ...(c.comment ? { Comment: c.comment } : {}),
    ExpiresAfter: epoch(c.requestedAt + (c.timeoutSeconds + 3600) * 1000),
    Parameters: c.parameters,
    InstanceIds: c.instanceIds,
    Targets: [],
    RequestedDateTime: epoch(c.requestedAt),
    Status: status,
    StatusDetails: status,
    MaxConcurrency: '50',
    MaxErrors: '0',
    TargetCount: c.instanceIds.length,
    CompletedCount: statuses.filter((s) => s === 'Success' || s === 'Failed').length,
    ErrorCount: statuses.filter((s) => s === 'Failed').length,
    DeliveryTimedOutCount: 0,
    TimeoutSeconds: c.timeoutSeconds,
  };
}

function renderInvocation(c: Command, inv: Invocation, fleet: Fleet, details: boolean): Obj {
  const status = fleet.invocationStatus(inv);
  const done = status === 'Success' || status === 'Failed';
  const out: Obj = {
    CommandId: c.commandId,
    InstanceId: inv.instanceId,
    ...(c.comment ? { Comment: c.comment } : {}),
    DocumentName: c.documentName,
    DocumentVersion: '$DEFAULT',
    RequestedDateTime: epoch(c.requestedAt),
    Status: status,
    StatusDetails: status,
    StandardOutputUrl: '',
    StandardErrorUrl: '',
    CommandPlugins: [],
  };
  if (done) out.TraceOutput = '';
  if (details) {
    out.CommandPlugins = [
      {
        Name: inv.pluginName,
        Status: status,
        StatusDetails: status,
        ResponseCode: done ? inv.responseCode : -1,
        ...(fleet.now() >= inv.startAt ? { ResponseStartDateTime: epoch(inv.startAt) } : {}),
        ...(done ? { ResponseFinishDateTime: epoch(inv.endAt) } : {}),
        Output: done ? truncate(inv.stdout + (inv.stderr ? `\n----------ERROR-------\n${inv.stderr}` : ''), 2500) : '',
        StandardOutputUrl: '',
        StandardErrorUrl: '',
      },
    ];
  }
  return out;
}

const truncate = (s: string, max: number) => (s.length > max ? s.slice(s.length - max) : s);

function instanceInformation(m: ManagedInstance, fleet: Fleet): Obj {
  const onprem = m.resourceType === 'ManagedInstance';
  return {
    InstanceId: m.instanceId,
    PingStatus: m.pingStatus,
    LastPingDateTime: epoch(m.pingStatus === 'Online' ? fleet.now() : (m.lastPingAt ?? m.registeredAt)),
    AgentVersion: '3.3.1142.0',
    IsLatestVersion: true,
    PlatformType: m.platform,
    PlatformName: m.platform === 'Windows' ? 'Microsoft Windows Server 2019 Datacenter' : 'Amazon Linux',
    PlatformVersion: m.platform === 'Windows' ? '10.0.17763' : '2023',
    ResourceType: m.resourceType,
    IPAddress: m.ipAddress,
    ComputerName: m.computerName,
    ...(onprem ? { RegistrationDate: epoch(m.registeredAt), IamRole: 'SSMServiceRole', Name: m.source?.spec.name ?? m.instanceId } : {}),
    SourceId: m.instanceId,
    SourceType: onprem ? 'AWS::SSM::ManagedInstance' : 'AWS::EC2::Instance',
  };
}

const INFO_FILTER_KEYS = ['InstanceIds', 'AgentVersion', 'PingStatus', 'PlatformTypes', 'ActivationIds', 'IamRole', 'ResourceType', 'AssociationStatus'];

function matchesInfoFilter(m: ManagedInstance, key: string, values: string[]): boolean {
  switch (key) {
    case 'InstanceIds':
      return values.includes(m.instanceId);
    case 'PingStatus':
      return values.includes(m.pingStatus);
    case 'PlatformTypes':
      return values.includes(m.platform);
    case 'ResourceType':
      return values.includes(m.resourceType);
    case 'AgentVersion':
      return values.includes('3.3.1142.0');
    default:
      return true;
  }
}

function getInvocation(input: Obj, ctx: Context): { command: Command; invocation: Invocation } {
  const command = ctx.fleet.commands.get(input.CommandId as string);
  const invocation = command && command.region === ctx.region ? command.invocations.get(input.InstanceId as string) : undefined;
  if (!command || !invocation) throw new ApiError('InvocationDoesNotExist', 'The command ID and instance ID you specified did not match any invocations.');
  return { command, invocation };
}

function commandFilters(v: Validator): Validator {
  return v.list('Filters', { min: 1, max: 5 });
}

function applyCommandFilters<T extends { command: Command }>(items: T[], filters: unknown, fleet: Fleet, statusOf: (t: T) => string): T[] {
  let out = items;
  for (const f of Array.isArray(filters) ? filters : []) {
    const { key, value } = asObject(f) as { key?: string; value?: string };
    if (!key || !['InvokedAfter', 'InvokedBefore', 'Status', 'ExecutionStage', 'DocumentName'].includes(key))
      throw new ApiError('InvalidFilterKey', `The filter key ${String(key)} is not valid.`);
    const v = String(value ?? '');
    if (key === 'DocumentName') out = out.filter((t) => t.command.documentName === v);
    if (key === 'Status') out = out.filter((t) => statusOf(t) === v);
    if (key === 'InvokedAfter') out = out.filter((t) => t.command.requestedAt >= Date.parse(v));
    if (key === 'InvokedBefore') out = out.filter((t) => t.command.requestedAt <= Date.parse(v));
    if (key === 'ExecutionStage') out = out.filter((t) => (v === 'Executing' ? ['Pending', 'InProgress'].includes(statusOf(t)) : !['Pending', 'InProgress'].includes(statusOf(t))));
  }
  void fleet;
  return out;
}

export const SSM_OPERATIONS: Record<string, JsonOperation> = {
  SendCommand: {
    mutating: true,
    run(input, ctx) {
      const v = new Validator(input)
        .required('DocumentName')
        .list('InstanceIds', { max: 50, item: { pattern: INSTANCE_ID } })
        .string('DocumentName', { pattern: /^[a-zA-Z0-9_\-.:/]{3,128}$/ })
        .integer('TimeoutSeconds', { min: 30, max: 2592000 })
        .string('Comment', { max: 100 })
        .map('Parameters');
      v.throwJson();
      if (input.Targets !== undefined) throw new ApiError('InvalidParameters', 'The emulator supports InstanceIds, not Targets.');
      const ids = asStringList(input.InstanceIds);
      if (ids.length === 0) throw new ApiError('ValidationException', "1 validation error detected: Value null at 'instanceIds' failed to satisfy constraint: Member must not be null (InstanceIds or Targets is required)");
      const params: Record<string, string[]> = {};
      for (const [k, val] of Object.entries(asObject(input.Parameters))) params[k] = asStringList(val);
      const command = ctx.fleet.sendCommand(ctx.region, {
        documentName: input.DocumentName as string,
        instanceIds: ids,
        parameters: params,
        comment: input.Comment as string | undefined,
        timeoutSeconds: input.TimeoutSeconds as number | undefined,
      });
      return { Command: renderCommand(command, ctx.fleet) };
    },
  },

  ListCommands: {
    run(input, ctx) {
      commandFilters(
        new Validator(input)
          .string('CommandId', { min: COMMAND_ID_LEN, max: COMMAND_ID_LEN })
          .string('InstanceId', { pattern: INSTANCE_ID })
          .integer('MaxResults', { min: 1, max: 50 }),
      ).throwJson();
      if (input.CommandId !== undefined && !ctx.fleet.commands.has(input.CommandId as string)) throw new ApiError('InvalidCommandId', 'The command ID is not valid.');
      let items = [...ctx.fleet.commands.values()]
        .filter((c) => c.region === ctx.region)
        .filter((c) => input.CommandId === undefined || c.commandId === input.CommandId)
        .filter((c) => input.InstanceId === undefined || c.instanceIds.includes(input.InstanceId as string))
        .map((command) => ({ command }));
      items = applyCommandFilters(items, input.Filters, ctx.fleet, (t) => ctx.fleet.commandStatus(t.command));
      items.sort((a, b) => b.command.requestedAt - a.command.requestedAt);
      const { page: slice, NextToken } = page(items, input, 'commands', 50);
      return { Commands: slice.map((t) => renderCommand(t.command, ctx.fleet)), ...(NextToken ? { NextToken } : {}) };
    },
  },

  ListCommandInvocations: {
    run(input, ctx) {
      commandFilters(
        new Validator(input)
          .string('CommandId', { min: COMMAND_ID_LEN, max: COMMAND_ID_LEN })
          .string('InstanceId', { pattern: INSTANCE_ID })
          .integer('MaxResults', { min: 1, max: 50 })
          .boolean('Details'),
      ).throwJson();
      if (input.CommandId !== undefined && !ctx.fleet.commands.has(input.CommandId as string)) throw new ApiError('InvalidCommandId', 'The command ID is not valid.');
      let items = [...ctx.fleet.commands.values()]
        .filter((c) => c.region === ctx.region)
        .filter((c) => input.CommandId === undefined || c.commandId === input.CommandId)
        .flatMap((command) => [...command.invocations.values()].map((invocation) => ({ command, invocation })))
        .filter((t) => input.InstanceId === undefined || t.invocation.instanceId === input.InstanceId);
      items = applyCommandFilters(items, input.Filters, ctx.fleet, (t) => ctx.fleet.invocationStatus(t.invocation));
      const { page: slice, NextToken } = page(items, input, `invocations:${String(input.CommandId)}`, 50);
      return {
        CommandInvocations: slice.map((t) => renderInvocation(t.command, t.invocation, ctx.fleet, input.Details === true)),
        ...(NextToken ? { NextToken } : {}),
      };
    },
  },

  GetCommandInvocation: {
    run(input, ctx) {
      new Validator(input)
        .required('CommandId', 'InstanceId')
        .string('CommandId', { min: COMMAND_ID_LEN, max: COMMAND_ID_LEN })
        .string('InstanceId', { pattern: INSTANCE_ID })
        .string('PluginName', { min: 4 })
        .throwJson();
      const { command, invocation } = getInvocation(input, ctx);
      if (input.PluginName !== undefined && input.PluginName !== invocation.pluginName)
        throw new ApiError('InvalidPluginName', `The plugin name ${String(input.PluginName)} is not valid for this document.`);
      const fleet = ctx.fleet;
      const status = fleet.invocationStatus(invocation);
      const done = status === 'Success' || status === 'Failed';
      const started = fleet.now() >= invocation.startAt;
      return {
        CommandId: command.commandId,
        InstanceId: invocation.instanceId,
        ...(command.comment ? { Comment: command.comment } : {}),
        DocumentName: command.documentName,
        DocumentVersion: '$DEFAULT',
        PluginName: invocation.pluginName,
        ResponseCode: done ? invocation.responseCode : -1,
        ...(started ? { ExecutionStartDateTime: new Date(invocation.startAt).toISOString(), ExecutionElapsedTime: isoDuration(((done ? invocation.endAt : fleet.now()) - invocation.startAt) / 1000) } : {}),
        ...(done ? { ExecutionEndDateTime: new Date(invocation.endAt).toISOString() } : {}),
        Status: status,
        StatusDetails: status,
        StandardOutputContent: done ? truncate(invocation.stdout, 24000) : '',
        StandardOutputUrl: '',
        StandardErrorContent: done ? truncate(invocation.stderr, 8000) : '',
        StandardErrorUrl: '',
        CloudWatchOutputConfig: { CloudWatchLogGroupName: `/aws/ssm/${command.documentName}`, CloudWatchOutputEnabled: false },
      };
    },
  },

  DescribeInstanceInformation: {
    run(input, ctx) {
      new Validator(input).list('InstanceInformationFilterList').list('Filters').integer('MaxResults', { min: 5, max: 50 }).throwJson();
      if (input.InstanceInformationFilterList !== undefined && input.Filters !== undefined)
        throw new ApiError('InvalidFilterKey', 'Use either InstanceInformationFilterList or Filters, not both.');
      const filters: { key: string; values: string[] }[] = [];
      for (const f of Array.isArray(input.InstanceInformationFilterList) ? input.InstanceInformationFilterList : []) {
        const o = asObject(f);
        filters.push({ key: String(o.key), values: asStringList(o.valueSet) });
      }
      for (const f of Array.isArray(input.Filters) ? input.Filters : []) {
        const o = asObject(f);
        filters.push({ key: String(o.Key), values: asStringList(o.Values) });
      }
      for (const f of filters) {
        if (!INFO_FILTER_KEYS.includes(f.key)) throw new ApiError('InvalidFilterKey', `The filter key ${f.key} is not valid; use one of ${INFO_FILTER_KEYS.join(', ')}.`);
        if (f.values.length === 0 || f.values.length > 100) throw new ApiError('InvalidInstanceInformationFilterValue', `Filter ${f.key} needs 1 to 100 values.`);
        if (f.key === 'InstanceIds')
          for (const id of f.values) if (!INSTANCE_ID.test(id)) throw new ApiError('InvalidInstanceInformationFilterValue', `The filter value ${id} is not a valid instance id.`);
      }
      const items = ctx.fleet.managedInstances(ctx.region).filter((m) => filters.every((f) => matchesInfoFilter(m, f.key, f.values)));
      const { page: slice, NextToken } = page(items, input, 'instances', 50);
      return { InstanceInformationList: slice.map((m) => instanceInformation(m, ctx.fleet)), ...(NextToken ? { NextToken } : {}) };
    },
  },

  PutParameter: {
    mutating: true,
    run(input, ctx) {
      new Validator(input)
        .required('Name', 'Value')
        .string('Name', { min: 1, max: 2048 })
        .string('Value', { max: 8192 })
        .string('Type', { enum: ['String', 'StringList', 'SecureString'] })
        .boolean('Overwrite')
        .string('Tier', { enum: ['Standard', 'Advanced', 'Intelligent-Tiering'] })
        .string('KeyId', { min: 1, max: 256, pattern: /^([a-zA-Z0-9:/_-]+)$/ })
        .throwJson();
      const name = input.Name as string;
      const key = `${ctx.region}/${name}`;
      const existing = ctx.fleet.parameters.get(key);
      if (existing && input.Overwrite !== true) throw new ApiError('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
      const tier = input.Tier === 'Advanced' ? 'Advanced' : 'Standard';
      if ((input.Value as string).length > (tier === 'Advanced' ? 8192 : 4096))
        throw new ApiError('ValidationException', `1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to 4096`);
      const type = (input.Type as 'String' | 'StringList' | 'SecureString' | undefined) ?? existing?.type ?? 'String';
      const keyId = input.KeyId as string | undefined;
      // The key must exist in this region (a key is regional): SSM answers InvalidKeyId (SSM API reference, PutParameter errors).
      if (keyId !== undefined && type === 'SecureString' && !ctx.fleet.kmsKeyExists(ctx.region, keyId))
        throw new ApiError('InvalidKeyId', `Invalid KeyId ${keyId}: no such KMS key in ${ctx.region}.`);
      if (keyId !== undefined && type !== 'SecureString')
        throw new ApiError('ValidationException', `KeyId is only used with the SecureString type, not ${type}.`);
      const version = (existing?.version ?? 0) + 1;
      ctx.fleet.parameters.set(key, { name, type, value: input.Value as string, version, lastModified: ctx.fleet.now(), ...(type === 'SecureString' && keyId ? { keyId } : {}) });
      return { Version: version, Tier: tier };
    },
  },

  GetParameter: {
    run(input, ctx) {
      new Validator(input).required('Name').string('Name', { min: 1, max: 2048 }).boolean('WithDecryption').throwJson();
      const name = input.Name as string;
      const p = ctx.fleet.parameters.get(`${ctx.region}/${name}`);
      if (!p) throw new ApiError('ParameterNotFound', `Parameter ${name} not found.`);
      // The emulator's API callers are the orchestrator's roles and operators, never a host: the stack
      // key's policy lets only host credentials decrypt (infra/constructs/installer-credentials-key.ts).
      if (p.type === 'SecureString' && input.WithDecryption === true && ctx.fleet.isInstallerCredentialsKey(ctx.region, p.keyId))
        throw new ApiError(
          'AccessDeniedException',
          `The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access. (KMS key ${p.keyId}: the key policy allows kms:Decrypt only to host credentials)`,
        );
      const value = p.type === 'SecureString' && input.WithDecryption !== true ? `AQICAH${Buffer.from(p.value).toString('base64').split('').reverse().join('')}` : p.value;
      return {
        Parameter: {
          Name: p.name,
          Type: p.type,
          Value: value,
          Version: p.version,
          LastModifiedDate: epoch(p.lastModified),
          ARN: `arn:aws:ssm:${ctx.region}:${ACCOUNT_ID}:parameter${name.startsWith('/') ? '' : '/'}${name}`,
          DataType: 'text',
        },
      };
    },
  },

  ListTagsForResource: {
    run(input, ctx) {
      new Validator(input)
        .required('ResourceType', 'ResourceId')
        .string('ResourceType', { enum: ['Document', 'ManagedInstance', 'MaintenanceWindow', 'Parameter', 'PatchBaseline', 'OpsItem', 'OpsMetadata', 'Automation', 'Association'] })
        .string('ResourceId', { min: 1, max: 1011 })
        .throwJson();
      if (input.ResourceType !== 'ManagedInstance') throw new ApiError('InvalidResourceType', `The emulator keeps tags of ManagedInstance resources only, not ${String(input.ResourceType)}.`);
      const id = input.ResourceId as string;
      // ManagedInstance tags are read by mi- id: an EC2 instance's tags are EC2's (SSM API reference, AddTagsToResource)
      const m = /^mi-\w{17}$/.test(id) ? ctx.fleet.managedInstance(ctx.region, id) : undefined;
      if (!m) throw new ApiError('InvalidResourceId', `The resource ID ${id} isn't valid. Verify that you entered the correct ID and try again.`);
      return { TagList: Object.entries(m.tags).map(([Key, Value]) => ({ Key, Value })) };
    },
  },

  DeleteParameter: {
    mutating: true,
    run(input, ctx) {
      new Validator(input).required('Name').string('Name', { min: 1, max: 2048 }).throwJson();
      const name = input.Name as string;
      if (!ctx.fleet.parameters.delete(`${ctx.region}/${name}`)) throw new ApiError('ParameterNotFound', `Parameter ${name} not found.`);
      return {};
    },
  },
};

/** Keeps secrets out of the trace: parameter values never leave the emulator's memory. */
export function redactSsmParams(operation: string, input: Obj): Obj {
  if (operation === 'PutParameter' && 'Value' in input) return { ...input, Value: '***' };
  return input;
}
