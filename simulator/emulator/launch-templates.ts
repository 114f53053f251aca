/**
 * EC2 launch templates as MGN uses them: one template per source server, versions numbered from 1,
 * a default version that launches use. Data is kept under the model's member names
 * (RequestLaunchTemplateData); the wire's query names (`NetworkInterface.1.SecurityGroupId.1`) are
 * read here and the answer's element names (`networkInterfaceSet`, `groupSet/groupId`) written here.
 *
 * A new version copies its source version and overlays the members the request gives: a member given
 * replaces the source's whole member (NetworkInterfaces in the request replace the source's list), as
 * EC2 does ("If you specify additional launch parameters for the new version, they overwrite any
 * corresponding launch parameters inherited from the source version", CreateLaunchTemplateVersion).
 */
import { ApiError } from './errors';
import { XmlList, type XmlValue } from './protocols';
import { asObject, iso } from './validate';

type Obj = Record<string, unknown>;

export interface NetworkInterfaceSpec {
  readonly DeviceIndex?: number;
  readonly SubnetId?: string;
  readonly Groups?: readonly string[];
  readonly PrivateIpAddress?: string;
  readonly AssociatePublicIpAddress?: boolean;
  readonly DeleteOnTermination?: boolean;
  readonly Description?: string;
  readonly NetworkInterfaceId?: string;
  readonly SecondaryPrivateIpAddressCount?: number;
  readonly PrivateIpAddresses?: readonly { readonly PrivateIpAddress?: string; readonly Primary?: boolean }[];
}

export interface EbsSpec {
  readonly VolumeSize?: number;
  readonly VolumeType?: string;
  readonly DeleteOnTermination?: boolean;
  readonly Encrypted?: boolean;
  readonly Iops?: number;
  readonly Throughput?: number;
  readonly KmsKeyId?: string;
  readonly SnapshotId?: string;
}

export interface LaunchTemplateData {
  readonly InstanceType?: string;
  readonly ImageId?: string;
  readonly KeyName?: string;
  readonly EbsOptimized?: boolean;
  readonly DisableApiTermination?: boolean;
  readonly DisableApiStop?: boolean;
  readonly InstanceInitiatedShutdownBehavior?: string;
  readonly UserData?: string;
  readonly IamInstanceProfile?: { readonly Arn?: string; readonly Name?: string };
  readonly NetworkInterfaces?: readonly NetworkInterfaceSpec[];
  readonly SecurityGroupIds?: readonly string[];
  readonly SecurityGroups?: readonly string[];
  readonly BlockDeviceMappings?: readonly { readonly DeviceName?: string; readonly NoDevice?: string; readonly VirtualName?: string; readonly Ebs?: EbsSpec }[];
  readonly TagSpecifications?: readonly { readonly ResourceType?: string; readonly Tags?: readonly { readonly Key?: string; readonly Value?: string }[] }[];
  readonly Placement?: { readonly AvailabilityZone?: string; readonly Tenancy?: string; readonly GroupName?: string };
  readonly Monitoring?: { readonly Enabled?: boolean };
  readonly MetadataOptions?: { readonly HttpTokens?: string; readonly HttpEndpoint?: string; readonly HttpPutResponseHopLimit?: number; readonly InstanceMetadataTags?: string };
  readonly CreditSpecification?: { readonly CpuCredits?: string };
}

export interface LaunchTemplateVersion {
  readonly versionNumber: number;
  readonly description?: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly data: LaunchTemplateData;
}

export interface LaunchTemplate {
  readonly launchTemplateId: string;
  readonly launchTemplateName: string;
  readonly region: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly tags: Readonly<Record<string, string>>;
  defaultVersion: number;
  readonly versions: LaunchTemplateVersion[];
  /** ClientToken -> the version number it created (EC2 idempotency: a retried call returns the same version). */
  readonly tokens: Map<string, { version: number; request: string }>;
}

export const latestVersion = (t: LaunchTemplate): number => t.versions.length;

/** The account's IAM user that MGN creates templates as (the service-linked role's session). */
export const MGN_CREATOR = 'arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForApplicationMigrationService/mgn';

// ------------------------------------------------------------------ wire -> model

const wrong = (path: string, value: unknown, expecting: string) =>
  new ApiError('InvalidParameterValue', `Value (${String(value)}) for parameter ${path} is invalid. ${expecting}`);

const bool = (v: unknown, path: string): boolean | undefined => {
  if (v === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw wrong(path, v, 'Expecting true or false.');
};

const int = (v: unknown, path: string, min = 0, max = 2 ** 31 - 1): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !/^-?[0-9]+$/.test(v) || n < min || n > max) throw wrong(path, v, `Expecting an integer between ${min} and ${max}.`);
  return n;
};

const str = (v: unknown, path: string): string | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw wrong(path, JSON.stringify(v), 'Expecting a string.');
  return v;
};

const strings = (v: unknown, path: string): string[] | undefined => {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw wrong(path, JSON.stringify(v), 'Expecting a list of strings.');
  return v as string[];
};

const list = (v: unknown, path: string): Obj[] | undefined => {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw wrong(path, JSON.stringify(v), 'Expecting a list.');
  return v.map((x) => asObject(x));
};

/** Only the members named may appear; anything else is a parameter EC2 does not know (or the emulator does not model). */
function only(o: Obj, path: string, known: readonly string[]): void {
  for (const k of Object.keys(o))
    if (!known.includes(k))
      throw new ApiError('UnknownParameter', `The parameter ${path}.${k} is not recognized (the emulator models ${known.join(', ')}).`);
}

const compact = <T extends Obj>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const DATA_MEMBERS = [
  'InstanceType',
  'ImageId',
  'KeyName',
  'EbsOptimized',
  'DisableApiTermination',
  'DisableApiStop',
  'InstanceInitiatedShutdownBehavior',
  'UserData',
  'IamInstanceProfile',
  'NetworkInterface',
  'SecurityGroupId',
  'SecurityGroup',
  'BlockDeviceMapping',
  'TagSpecification',
  'Placement',
  'Monitoring',
  'MetadataOptions',
  'CreditSpecification',
] as const;

/** `LaunchTemplateData.*` query parameters -> the model's RequestLaunchTemplateData. */
export function parseLaunchTemplateData(raw: unknown): LaunchTemplateData {
  const o = asObject(raw);
  const p = 'LaunchTemplateData';
  only(o, p, DATA_MEMBERS);
  const profile = o.IamInstanceProfile === undefined ? undefined : asObject(o.IamInstanceProfile);
  if (profile) only(profile, `${p}.IamInstanceProfile`, ['Arn', 'Name']);
  const nis = list(o.NetworkInterface, `${p}.NetworkInterface`)?.map((ni, i) => {
    const q = `${p}.NetworkInterface.${i + 1}`;
    only(ni, q, ['DeviceIndex', 'SubnetId', 'SecurityGroupId', 'PrivateIpAddress', 'AssociatePublicIpAddress', 'DeleteOnTermination', 'Description', 'NetworkInterfaceId', 'SecondaryPrivateIpAddressCount', 'PrivateIpAddresses']);
    return compact({
      DeviceIndex: int(ni.DeviceIndex, `${q}.DeviceIndex`, 0, 31),
      SubnetId: str(ni.SubnetId, `${q}.SubnetId`),
      Groups: strings(ni.SecurityGroupId, `${q}.SecurityGroupId`),
      PrivateIpAddress: str(ni.PrivateIpAddress, `${q}.PrivateIpAddress`),
      AssociatePublicIpAddress: bool(ni.AssociatePublicIpAddress, `${q}.AssociatePublicIpAddress`),
      DeleteOnTermination: bool(ni.DeleteOnTermination, `${q}.DeleteOnTermination`),
      Description: str(ni.Description, `${q}.Description`),
      NetworkInterfaceId: str(ni.NetworkInterfaceId, `${q}.NetworkInterfaceId`),
      SecondaryPrivateIpAddressCount: int(ni.SecondaryPrivateIpAddressCount, `${q}.SecondaryPrivateIpAddressCount`, 0, 49),
      PrivateIpAddresses: list(ni.PrivateIpAddresses, `${q}.PrivateIpAddresses`)?.map((a, j) => {
        only(a, `${q}.PrivateIpAddresses.${j + 1}`, ['PrivateIpAddress', 'Primary']);
        return compact({ PrivateIpAddress: str(a.PrivateIpAddress, `${q}.PrivateIpAddresses.${j + 1}.PrivateIpAddress`), Primary: bool(a.Primary, `${q}.PrivateIpAddresses.${j + 1}.Primary`) });
      }),
    }) as NetworkInterfaceSpec;
  });
  const devices = list(o.BlockDeviceMapping, `${p}.BlockDeviceMapping`)?.map((d, i) => {
    const q = `${p}.BlockDeviceMapping.${i + 1}`;
    only(d, q, ['DeviceName', 'NoDevice', 'VirtualName', 'Ebs']);
    const ebs = d.Ebs === undefined ? undefined : asObject(d.Ebs);
    if (ebs) only(ebs, `${q}.Ebs`, ['VolumeSize', 'VolumeType', 'DeleteOnTermination', 'Encrypted', 'Iops', 'Throughput', 'KmsKeyId', 'SnapshotId']);
    const volumeType = str(ebs?.VolumeType, `${q}.Ebs.VolumeType`);
    if (volumeType !== undefined && !['standard', 'io1', 'io2', 'gp2', 'sc1', 'st1', 'gp3'].includes(volumeType))
      throw wrong(`${q}.Ebs.VolumeType`, volumeType, 'Expecting one of standard, io1, io2, gp2, sc1, st1, gp3.');
    return compact({
      DeviceName: str(d.DeviceName, `${q}.DeviceName`),
      NoDevice: str(d.NoDevice, `${q}.NoDevice`),
      VirtualName: str(d.VirtualName, `${q}.VirtualName`),
      Ebs: ebs
        ? compact({
            VolumeSize: int(ebs.VolumeSize, `${q}.Ebs.VolumeSize`, 1, 65536),
            VolumeType: volumeType,
            DeleteOnTermination: bool(ebs.DeleteOnTermination, `${q}.Ebs.DeleteOnTermination`),
            Encrypted: bool(ebs.Encrypted, `${q}.Ebs.Encrypted`),
            Iops: int(ebs.Iops, `${q}.Ebs.Iops`),
            Throughput: int(ebs.Throughput, `${q}.Ebs.Throughput`),
            KmsKeyId: str(ebs.KmsKeyId, `${q}.Ebs.KmsKeyId`),
            SnapshotId: str(ebs.SnapshotId, `${q}.Ebs.SnapshotId`),
          })
        : undefined,
    });
  });
  const tagSpecs = list(o.TagSpecification, `${p}.TagSpecification`)?.map((t, i) => {
    const q = `${p}.TagSpecification.${i + 1}`;
    only(t, q, ['ResourceType', 'Tag']);
    const resourceType = str(t.ResourceType, `${q}.ResourceType`);
    // the resource types a launch template may tag (EC2 API reference, LaunchTemplateTagSpecificationRequest)
    if (resourceType !== undefined && !['instance', 'volume', 'network-interface', 'spot-instances-request'].includes(resourceType))
      throw wrong(`${q}.ResourceType`, resourceType, 'Expecting instance, volume, network-interface or spot-instances-request.');
    return compact({
      ResourceType: resourceType,
      Tags: list(t.Tag, `${q}.Tag`)?.map((tag, j) => {
        only(tag, `${q}.Tag.${j + 1}`, ['Key', 'Value']);
        const key = str(tag.Key, `${q}.Tag.${j + 1}.Key`);
        if (key !== undefined && (key.length === 0 || key.length > 128 || key.toLowerCase().startsWith('aws:')))
          throw new ApiError('InvalidParameterValue', `Tag key ${JSON.stringify(key)} is invalid: keys are 1-128 characters and may not start with aws:.`);
        return compact({ Key: key, Value: str(tag.Value, `${q}.Tag.${j + 1}.Value`) });
      }),
    });
  });
  const shutdown = str(o.InstanceInitiatedShutdownBehavior, `${p}.InstanceInitiatedShutdownBehavior`);
  if (shutdown !== undefined && shutdown !== 'stop' && shutdown !== 'terminate') throw wrong(`${p}.InstanceInitiatedShutdownBehavior`, shutdown, 'Expecting stop or terminate.');
  const placement = o.Placement === undefined ? undefined : asObject(o.Placement);
  if (placement) only(placement, `${p}.Placement`, ['AvailabilityZone', 'Tenancy', 'GroupName']);
  const monitoring = o.Monitoring === undefined ? undefined : asObject(o.Monitoring);
  if (monitoring) only(monitoring, `${p}.Monitoring`, ['Enabled']);
  const metadata = o.MetadataOptions === undefined ? undefined : asObject(o.MetadataOptions);
  if (metadata) only(metadata, `${p}.MetadataOptions`, ['HttpTokens', 'HttpEndpoint', 'HttpPutResponseHopLimit', 'InstanceMetadataTags']);
  const credit = o.CreditSpecification === undefined ? undefined : asObject(o.CreditSpecification);
  if (credit) only(credit, `${p}.CreditSpecification`, ['CpuCredits']);
  return compact({
    InstanceType: str(o.InstanceType, `${p}.InstanceType`),
    ImageId: str(o.ImageId, `${p}.ImageId`),
    KeyName: str(o.KeyName, `${p}.KeyName`),
    EbsOptimized: bool(o.EbsOptimized, `${p}.EbsOptimized`),
    DisableApiTermination: bool(o.DisableApiTermination, `${p}.DisableApiTermination`),
    DisableApiStop: bool(o.DisableApiStop, `${p}.DisableApiStop`),
    InstanceInitiatedShutdownBehavior: shutdown,
    UserData: str(o.UserData, `${p}.UserData`),
    IamInstanceProfile: profile ? compact({ Arn: str(profile.Arn, `${p}.IamInstanceProfile.Arn`), Name: str(profile.Name, `${p}.IamInstanceProfile.Name`) }) : undefined,
    NetworkInterfaces: nis,
    SecurityGroupIds: strings(o.SecurityGroupId, `${p}.SecurityGroupId`),
    SecurityGroups: strings(o.SecurityGroup, `${p}.SecurityGroup`),
    BlockDeviceMappings: devices,
    TagSpecifications: tagSpecs,
    Placement: placement ? compact({ AvailabilityZone: str(placement.AvailabilityZone, `${p}.Placement.AvailabilityZone`), Tenancy: str(placement.Tenancy, `${p}.Placement.Tenancy`), GroupName: str(placement.GroupName, `${p}.Placement.GroupName`) }) : undefined,
    Monitoring: monitoring ? compact({ Enabled: bool(monitoring.Enabled, `${p}.Monitoring.Enabled`) }) : undefined,
    MetadataOptions: metadata
      ? compact({
          HttpTokens: str(metadata.HttpTokens, `${p}.MetadataOptions.HttpTokens`),
          HttpEndpoint: str(metadata.HttpEndpoint, `${p}.MetadataOptions.HttpEndpoint`),
          HttpPutResponseHopLimit: int(metadata.HttpPutResponseHopLimit, `${p}.MetadataOptions.HttpPutResponseHopLimit`, 1, 64),
          InstanceMetadataTags: str(metadata.InstanceMetadataTags, `${p}.MetadataOptions.InstanceMetadataTags`),
        })
      : undefined,
    CreditSpecification: credit ? compact({ CpuCredits: str(credit.CpuCredits, `${p}.CreditSpecification.CpuCredits`) }) : undefined,
  }) as LaunchTemplateData;
}

/** A new version's data: the source version's members, each member the request gives replacing the source's. */
export const overlay = (source: LaunchTemplateData, given: LaunchTemplateData): LaunchTemplateData => ({ ...source, ...given });

/** The tags the template's data puts on a resource type (TagSpecifications). */
export function templateTags(data: LaunchTemplateData, resourceType: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of data.TagSpecifications ?? [])
    if (spec.ResourceType === resourceType) for (const t of spec.Tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

// ------------------------------------------------------------------ model -> XML

export function renderLaunchTemplateData(d: LaunchTemplateData): XmlValue {
  return {
    ebsOptimized: d.EbsOptimized,
    iamInstanceProfile: d.IamInstanceProfile ? { arn: d.IamInstanceProfile.Arn, name: d.IamInstanceProfile.Name } : undefined,
    blockDeviceMappingSet: d.BlockDeviceMappings?.map((b) => ({
      deviceName: b.DeviceName,
      virtualName: b.VirtualName,
      ebs: b.Ebs
        ? {
            encrypted: b.Ebs.Encrypted,
            deleteOnTermination: b.Ebs.DeleteOnTermination,
            iops: b.Ebs.Iops,
            kmsKeyId: b.Ebs.KmsKeyId,
            snapshotId: b.Ebs.SnapshotId,
            volumeSize: b.Ebs.VolumeSize,
            volumeType: b.Ebs.VolumeType,
            throughput: b.Ebs.Throughput,
          }
        : undefined,
      noDevice: b.NoDevice,
    })),
    networkInterfaceSet: d.NetworkInterfaces?.map((n) => ({
      associatePublicIpAddress: n.AssociatePublicIpAddress,
      deleteOnTermination: n.DeleteOnTermination,
      description: n.Description,
      deviceIndex: n.DeviceIndex,
      groupSet: n.Groups ? new XmlList('groupId', [...n.Groups]) : undefined,
      networkInterfaceId: n.NetworkInterfaceId,
      privateIpAddress: n.PrivateIpAddress,
      privateIpAddressesSet: n.PrivateIpAddresses?.map((a) => ({ primary: a.Primary, privateIpAddress: a.PrivateIpAddress })),
      secondaryPrivateIpAddressCount: n.SecondaryPrivateIpAddressCount,
      subnetId: n.SubnetId,
    })),
    imageId: d.ImageId,
    instanceType: d.InstanceType,
    keyName: d.KeyName,
    monitoring: d.Monitoring ? { enabled: d.Monitoring.Enabled } : undefined,
    placement: d.Placement ? { availabilityZone: d.Placement.AvailabilityZone, groupName: d.Placement.GroupName, tenancy: d.Placement.Tenancy } : undefined,
    disableApiTermination: d.DisableApiTermination,
    instanceInitiatedShutdownBehavior: d.InstanceInitiatedShutdownBehavior,
    userData: d.UserData,
    tagSpecificationSet: d.TagSpecifications?.map((t) => ({ resourceType: t.ResourceType, tagSet: (t.Tags ?? []).map((x) => ({ key: x.Key, value: x.Value })) })),
    securityGroupIdSet: d.SecurityGroupIds ? [...d.SecurityGroupIds] : undefined,
    securityGroupSet: d.SecurityGroups ? [...d.SecurityGroups] : undefined,
    creditSpecification: d.CreditSpecification ? { cpuCredits: d.CreditSpecification.CpuCredits } : undefined,
    metadataOptions: d.MetadataOptions
      ? {
          httpTokens: d.MetadataOptions.HttpTokens,
          httpPutResponseHopLimit: d.MetadataOptions.HttpPutResponseHopLimit,
          httpEndpoint: d.MetadataOptions.HttpEndpoint,
          instanceMetadataTags: d.MetadataOptions.InstanceMetadataTags,
        }
      : undefined,
    disableApiStop: d.DisableApiStop,
  };
}

export function renderTemplateVersion(t: LaunchTemplate, v: LaunchTemplateVersion): XmlValue {
  return {
    launchTemplateId: t.launchTemplateId,
    launchTemplateName: t.launchTemplateName,
    versionNumber: v.versionNumber,
    versionDescription: v.description,
    createTime: iso(v.createdAt),
    createdBy: v.createdBy,
    defaultVersion: t.defaultVersion === v.versionNumber,
    launchTemplateData: renderLaunchTemplateData(v.data),
  };
}

export function renderTemplate(t: LaunchTemplate): XmlValue {
  return {
    launchTemplateId: t.launchTemplateId,
    launchTemplateName: t.launchTemplateName,
    createTime: iso(t.createdAt),
    createdBy: t.createdBy,
    defaultVersionNumber: t.defaultVersion,
    latestVersionNumber: latestVersion(t),
    tagSet: Object.entries(t.tags).map(([key, value]) => ({ key, value })),
  };
}
