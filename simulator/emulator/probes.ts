/**
 * TCP and HTTP probes from the verify step, answered by the fleet (the shape of functions/lib/ports.ts
 * NetworkPort, so the in-process simulator can stand in for the real TCP/HTTP adapter).
 *
 * A probe leaves a verify step's Lambda: an ENI in the stack's first orchestrator subnet with the
 * orchestrator and probe security groups (the probe group may open any TCP port to the test and
 * cutover subnets, and the target group admits it). It reaches an instance's private IP only in the same VPC, only when
 * the groups let TCP to that port out of the Lambda and into the instance (groups drop silently: a
 * timeout), and only once the instance is running with its OS up. Then the instance answers on the
 * ports of its server's smoke checks (tcp ports, and the ports of http check URLs) and refuses every
 * other port; HTTP answers each http check's expectStatus for that path (404 for another path). A
 * test instance of a `test-check-fails` server (the cutover instance of a `cutover-check-fails` one)
 * fails its first check: its port refuses, or its URL answers a status other than the expected one.
 */
import type { SmokeCheck } from '../../functions/lib/manifest';
import { cidrRange, numberToIp, tcpAllowed } from '../network';
import { failsItsChecks, type Ec2Instance, type Fleet } from './fleet';

/** functions/lib/ports.ts NetworkPort, as the contract of issue 10 shapes it. */
export interface NetworkProbe {
  /** undefined: a TCP connection opened within timeoutMs; else why not */
  tcpProbe(host: string, port: number, timeoutMs: number): Promise<string | undefined>;
  httpProbe(url: string, timeoutMs: number): Promise<{ status: number } | { error: string }>;
}

const defaultPort = (protocol: string) => (protocol === 'https:' ? 443 : 80);

function checkPort(check: SmokeCheck): number | undefined {
  if (check.type === 'tcp') return check.port;
  if (check.type === 'http') {
    const u = new URL(check.url);
    return u.port ? Number(u.port) : defaultPort(u.protocol);
  }
  return undefined;
}

const sameCheck = (a: SmokeCheck | undefined, b: SmokeCheck) => a !== undefined && JSON.stringify(a) === JSON.stringify(b);

export function fleetProbes(fleet: Fleet): NetworkProbe {
  /** What stands between the verify Lambda and host:port: undefined when a connection opens, else the failure. */
  const connect = (host: string, port: number, timeoutMs: number): { instance: Ec2Instance } | { failure: 'timeout' | 'refused'; reason: string } => {
    const timeout = { failure: 'timeout' as const, reason: `no TCP connection to ${host}:${port} within ${timeoutMs} ms` };
    const refused = { failure: 'refused' as const, reason: `${host}:${port}: ECONNREFUSED` };
    const net = fleet.targetNetwork;
    const stack = net.stack;
    const lambdaSubnet = stack && net.subnets.find((s) => s.subnetId === stack.subnetIds.orchestrator[0]);
    if (!stack || !lambdaSubnet) return timeout;
    const instance = [...fleet.instances.values()].find((i) => i.region === net.region && i.privateIp === host && i.vpcId === stack.vpcId && i.state !== 'terminated');
    if (!instance || instance.state !== 'running' || !instance.statusOk) return timeout;
    const from = { ip: numberToIp(cidrRange(lambdaSubnet.cidrBlock).first + 4), groupIds: [stack.securityGroupIds.orchestrator, stack.securityGroupIds.probe] };
    if (!tcpAllowed(net, from, { ip: instance.privateIp, groupIds: instance.securityGroupIds }, port)) return timeout;
    const checks = instance.record?.spec.checks ?? [];
    if (!checks.some((c) => checkPort(c) === port)) return refused;
    const failing = failsItsChecks(instance) ? checks[0] : undefined;
    if (failing?.type === 'tcp' && failing.port === port) return refused;
    return { instance };
  };

  return {
    tcpProbe: async (host, port, timeoutMs) => {
      const got = connect(host, port, timeoutMs);
      return 'failure' in got ? got.reason : undefined;
    },
    httpProbe: async (url, timeoutMs) => {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        return { error: `${url} is not a URL` };
      }
      const port = u.port ? Number(u.port) : defaultPort(u.protocol);
      const got = connect(u.hostname, port, timeoutMs);
      if ('failure' in got) return { error: got.reason };
      const checks = got.instance.record?.spec.checks ?? [];
      const path = `${u.pathname}${u.search}`;
      const check = checks.find((c): c is Extract<SmokeCheck, { type: 'http' }> => {
        if (c.type !== 'http') return false;
        const cu = new URL(c.url);
        return checkPort(c) === port && `${cu.pathname}${cu.search}` === path;
      });
      if (!check) return { status: 404 };
      const failing = failsItsChecks(got.instance) && sameCheck(checks[0], check);
      if (failing) return { status: check.expectStatus === 500 ? 503 : 500 };
      return { status: check.expectStatus };
    },
  };
}
