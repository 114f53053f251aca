import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

export interface ReplicationSecurityProps {
  readonly vpc: ec2.IVpc;
  /** CIDRs of the source servers: they send replicated data to the staging area on TCP 1500. */
  readonly sourceCidrs: readonly string[];
  /** Security groups of the interface endpoints replication servers reach on 443 (mgn, s3; ec2). */
  readonly endpointSecurityGroups: readonly ec2.ISecurityGroup[];
  /**
   * The S3 managed prefix list of the region (pl-…, required by the deploy config): egress to S3 is
   * limited to it. There is deliberately no "any address" fallback: a replication server must not
   * reach whatever else the VPC routes to (peered networks, a Transit Gateway) on TCP 443.
   */
  readonly s3PrefixListId: string;
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
    for (const group of props.endpointSecurityGroups)
      this.securityGroup.connections.allowTo(group, ec2.Port.tcp(443), 'MGN, EC2 and S3 interface endpoints');
    this.securityGroup.addEgressRule(ec2.Peer.prefixList(props.s3PrefixListId), ec2.Port.tcp(443), 'S3 gateway endpoint (MGN and AL2023 buckets)');
  }
}
