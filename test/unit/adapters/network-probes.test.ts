/**
 * The real NetworkPort (TCP and HTTP probes from the verify step) against servers on 127.0.0.1, and
 * the seam the in-process simulator uses to answer probes from its fleet model instead.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpProbe } from '../../../functions/lib/adapters/http-probe';
import { socketNetwork, tcpProbe } from '../../../functions/lib/adapters/tcp-probe';
import { flowDeps, resetFlowConfig, useNetwork } from '../../../functions/lib/flow-runtime';
import type { NetworkPort } from '../../../functions/lib/ports';

let server: Server;
let base: string;
let port: number;
const paths: string[] = [];
const open: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    paths.push(req.url ?? '');
    if (req.url === '/health') res.writeHead(200).end('ok');
    else if (req.url === '/old') res.writeHead(301, { location: '/health' }).end();
    else if (req.url === '/stream') {
      // headers, then a body that never ends: the probe must not wait for it
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(64 * 1024));
      open.push(res);
    } else if (req.url === '/hang') open.push(res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  for (const res of open) res.destroy();
  await new Promise((resolve) => server.close(resolve));
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const p = (s.address() as AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return p;
}

describe('HTTP probe', () => {
  it('answers the status code of one GET', async () => {
    expect(await httpProbe(`${base}/health`, 2000)).toEqual({ status: 200 });
    expect(await httpProbe(`${base}/nothing-here`, 2000)).toEqual({ status: 404 });
  });

  it('does not follow a redirect: the redirect is the answer', async () => {
    paths.length = 0;
    expect(await httpProbe(`${base}/old`, 2000)).toEqual({ status: 301 });
    expect(paths).toEqual(['/old']);
  });

  it('does not read the body: a response whose body never ends still answers at once', async () => {
    const started = Date.now();
    expect(await httpProbe(`${base}/stream`, 2000)).toEqual({ status: 200 });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('says why there was no answer: refused, timed out, not an http(s) URL', async () => {
    const closed = await closedPort();
    expect(await httpProbe(`http://127.0.0.1:${closed}/health`, 2000)).toEqual({ error: `127.0.0.1:${closed}: ECONNREFUSED` });
    expect(await httpProbe(`${base}/hang`, 200)).toEqual({ error: `no HTTP answer from 127.0.0.1:${port} within 200 ms` });
    expect(await httpProbe('ftp://127.0.0.1/x', 200)).toEqual({ error: 'ftp://127.0.0.1/x: only http and https are probed' });
    expect(await httpProbe('not a url', 200)).toEqual({ error: 'not a url is not a URL' });
  });
});

describe('TCP probe', () => {
  it('opens and closes a connection, or says why it could not', async () => {
    expect(await tcpProbe('127.0.0.1', port, 2000)).toBeUndefined();
    const closed = await closedPort();
    expect(await tcpProbe('127.0.0.1', closed, 2000)).toBe(`127.0.0.1:${closed}: ECONNREFUSED`);
  });
});

describe('useNetwork', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    process.env.WAVE_BUCKET = 'waves-bucket';
    resetFlowConfig();
  });
  afterAll(() => {
    process.env = saved;
    useNetwork(undefined);
    resetFlowConfig();
  });

  it('lets the in-process simulator answer the probes, and undefined goes back to the real network', () => {
    const fleet: NetworkPort = { tcpProbe: async () => undefined, httpProbe: async () => ({ status: 204 }) };
    expect(flowDeps('eu-west-1', new Logger()).network).toBe(socketNetwork);
    useNetwork(fleet);
    expect(flowDeps('eu-west-1', new Logger()).network).toBe(fleet);
    useNetwork(undefined);
    expect(flowDeps('eu-west-1', new Logger()).network).toBe(socketNetwork);
  });
});
