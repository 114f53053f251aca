import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53resolver from 'aws-cdk-lib/aws-route53resolver';
import { Construct } from 'constructs';

export interface ResolverInboundEndpointProps {
  readonly vpc: ec2.IVpc;
  /** Subnets for the resolver's addresses; with one subnet both addresses go into it. */
  readonly subnets: ec2.ISubnet[];
  /** The data centre's DNS forwarders (TCP and UDP 53 allowed from them). */
  readonly clientCidrs: readonly string[];
}

/**
 * Route 53 Resolver inbound endpoint for the on-premises scenario: the data centre forwards
 * `*.amazonaws.com` queries here so the endpoints' private DNS names resolve from the sources.
 */
export class ResolverInboundEndpoint extends Construct {
  public readonly endpoint: route53resolver.CfnResolverEndpoint;
  public readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: ResolverInboundEndpointProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Route 53 Resolver inbound endpoint: DNS from the data centre forwarders',
      allowAllOutbound: false,
    });
    for (const cidr of props.clientCidrs) {
      this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.udp(53), `DNS from ${cidr}`);
      this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(53), `DNS from ${cidr}`);
    }
    // The resolver needs at least two addresses; spread them over the subnets given.
    const subnets = props.subnets.length >= 2 ? props.subnets : [props.subnets[0], props.subnets[0]];
    this.endpoint = new route53resolver.CfnResolverEndpoint(this, 'Endpoint', {
      direction: 'INBOUND',
      securityGroupIds: [this.securityGroup.securityGroupId],
      ipAddresses: subnets.map((s) => ({ subnetId: s.subnetId })),
    });
  }
}
