import { Socket } from 'node:net';
import type { NetworkPort } from '../ports';
import { httpProbe } from './http-probe';

/** Opens (and at once closes) a TCP connection: proves DNS, routing and security groups, nothing more. */
export const tcpProbe = (host: string, port: number, timeoutMs: number): Promise<string | undefined> =>
  new Promise((resolve) => {
    const socket = new Socket();
    const finish = (reason: string | undefined) => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs);
    socket.once('connect', () => finish(undefined));
    socket.once('timeout', () => finish(`no TCP connection to ${host}:${port} within ${timeoutMs} ms`));
    socket.once('error', (e: NodeJS.ErrnoException) => finish(`${host}:${port}: ${e.code ?? e.message}`));
    socket.connect(port, host);
  });

/** The real network, as seen from where the step runs (in a Lambda: the orchestrator subnets). */
export const socketNetwork: NetworkPort = { tcpProbe, httpProbe };
