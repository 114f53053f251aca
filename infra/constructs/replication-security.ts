import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

export interface ReplicationSecurityProps {
  readonly vpc: ec2.IVpc;
  /** CIDRs of the source servers: they send replicated data to the staging area on TCP 1500. */
  readonly sourceCidrs: readonly string[];
  /** Security group of the interface endpoints (replication servers reach mgn, ec2 and s3 on 443). */
  readonly endpointSecurityGroup: ec2.ISecurityGroup;
  /**
   * The S3 managed prefix list of the region (pl-…): when given, egress to S3 is limited to it;
   * when not, replication servers may open TCP 443 to any address, which in this VPC only reaches
   * the S3 gateway endpoint (there is no internet gateway and no NAT).
   * @default no prefix list
   */
  readonly s3PrefixListId?: string;
}

/**
 * Security group for MGN replication (and conversion) servers in the staging subnet: TCP 1500 in
 * from the source CIDRs; TCP 443 out to the endpoints and S3. The wave's preflight step puts it in
 * the replication template (REPLICATION_SECURITY_GROUP_ID).
 */
export class ReplicationSecurity extends Construct {
  public readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: ReplicationSecurityProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'MGN replication servers: TCP 1500 from the source servers',
      allowAllOutbound: false,
    });
    for (const cidr of props.sourceCidrs)
      this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(1500), `replication data from sources ${cidr}`);
    this.securityGroup.connections.allowTo(props.endpointSecurityGroup, ec2.Port.tcp(443), 'MGN, EC2 and S3 interface endpoints');
    if (props.s3PrefixListId)
      this.securityGroup.addEgressRule(ec2.Peer.prefixList(props.s3PrefixListId), ec2.Port.tcp(443), 'S3 gateway endpoint (MGN and AL2023 buckets)');
    else this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'S3 gateway endpoint; no other route leaves the VPC');
  }
}
