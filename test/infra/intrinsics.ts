/**
 * A small evaluator of the CloudFormation intrinsic functions the stack uses (Ref, Fn::GetAtt,
 * Fn::Join, Fn::Split, Fn::Select, Fn::Sub without a variable map), so a test can see the value a
 * Lambda or an operator really gets after deployment, given sample values for what only
 * CloudFormation knows (pseudo parameters, resource ids, attributes such as DnsEntries).
 */
export interface DeployTimeValues {
  /** Value of `{"Ref": name}` (pseudo parameters and resources). */
  readonly ref: (name: string) => unknown;
  /** Value of `{"Fn::GetAtt": [resource, attribute]}`. */
  readonly getAtt: (resource: string, attribute: string) => unknown;
}

export function evaluate(node: unknown, values: DeployTimeValues): unknown {
  if (node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) return node.map((item) => evaluate(item, values));
  const entries = Object.entries(node as Record<string, unknown>);
  if (entries.length !== 1 || !(entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::')))
    return Object.fromEntries(entries.map(([key, value]) => [key, evaluate(value, values)]));
  const [fn, arg] = entries[0];
  switch (fn) {
    case 'Ref':
      return values.ref(arg as string);
    case 'Fn::GetAtt': {
      const [resource, attribute] = arg as [string, string];
      return values.getAtt(resource, attribute);
    }
    case 'Fn::Join': {
      const [delimiter, items] = arg as [string, unknown];
      const list = evaluate(items, values);
      if (!Array.isArray(list)) throw new Error(`Fn::Join over ${JSON.stringify(list)}`);
      return list.map((item) => asString(item, 'Fn::Join')).join(delimiter);
    }
    case 'Fn::Split': {
      const [delimiter, source] = arg as [string, unknown];
      return asString(evaluate(source, values), 'Fn::Split').split(delimiter);
    }
    case 'Fn::Select': {
      const [index, list] = arg as [unknown, unknown];
      const items = evaluate(list, values);
      const i = Number(evaluate(index, values));
      if (!Array.isArray(items) || i < 0 || i >= items.length) throw new Error(`Fn::Select ${i} out of ${JSON.stringify(items)} (fails the deployment)`);
      return items[i];
    }
    case 'Fn::Sub': {
      if (typeof arg !== 'string') throw new Error('Fn::Sub with a variable map is not used by the stack');
      return arg.replace(/\$\{([^}]+)\}/g, (_m, name: string) =>
        asString(name.includes('.') ? values.getAtt(name.split('.')[0], name.split('.').slice(1).join('.')) : values.ref(name), 'Fn::Sub'),
      );
    }
    default:
      throw new Error(`intrinsic ${fn} is not evaluated by this test helper`);
  }
}

const asString = (value: unknown, where: string): string => {
  if (typeof value !== 'string') throw new Error(`${where}: expected a string, got ${JSON.stringify(value)}`);
  return value;
};

/** A DNS host name as resolvers accept it: letters, digits and hyphens in non-empty labels of at most 63, no `*`. */
export function hostNameProblem(host: string): string | undefined {
  if (host.length === 0 || host.length > 253) return `${JSON.stringify(host)} is not 1..253 characters`;
  for (const label of host.split('.')) {
    if (label.length === 0) return `${JSON.stringify(host)} has an empty label`;
    if (label.length > 63) return `${JSON.stringify(host)} has a label over 63 characters`;
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/.test(label)) return `${JSON.stringify(host)} has the label ${JSON.stringify(label)}`;
  }
  return undefined;
}

/** An https URL whose host is a valid DNS name (the URL parser alone accepts `*` in a host). */
export function httpsUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${JSON.stringify(text)} is not a URL`;
  }
  if (url.protocol !== 'https:') return `${JSON.stringify(text)} is not https`;
  if (text.includes('*')) return `${JSON.stringify(text)} holds a "*"`;
  return hostNameProblem(url.hostname);
}

/**
 * What CloudFormation returns for an interface endpoint's DnsEntries (`<hosted zone>:<name>`), regional
 * entry first: for S3 every name is a wildcard (`*.vpce-….s3.<region>.vpce.amazonaws.com`), for other
 * services the names are plain (Amazon VPC user guide, "Access an AWS service using an interface VPC
 * endpoint"; Amazon S3 user guide, "AWS PrivateLink for Amazon S3").
 */
export function sampleDnsEntries(serviceName: string, region: string): string[] {
  const service = serviceName.split('.').slice(3).join('.');
  const id = 'vpce-01abc23456de78f9g-12abc34d';
  const zoned = (name: string) => `Z7HUB22UULQXV:${name}`;
  const wildcard = service === 's3' ? '*.' : '';
  return [
    zoned(`${wildcard}${id}.${service}.${region}.vpce.amazonaws.com`),
    zoned(`${wildcard}${id}-${region}a.${service}.${region}.vpce.amazonaws.com`),
    zoned(`${wildcard}${id}-${region}b.${service}.${region}.vpce.amazonaws.com`),
  ];
}
