import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * One GET from inside the VPC, answering the status code only: the smoke check asserts that the
 * service answers as expected, nothing more.
 *
 * - No redirect is followed (a 301 is the answer, as the check's expectStatus can say).
 * - The body is never read: the response is dropped as soon as its status line and headers arrive.
 * - https: the certificate is not verified. The URL's host is the instance's private IP, which no
 *   certificate names, and a migrated server's certificate is often issued by an internal CA the
 *   Lambda runtime does not trust. The probe sends nothing secret and trusts nothing it receives
 *   beyond the status code.
 * - One deadline, timeoutMs, covers connecting and the response headers.
 */
export function httpProbe(url: string, timeoutMs: number): Promise<{ status: number } | { error: string }> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve({ error: `${url} is not a URL` });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    return Promise.resolve({ error: `${url}: only http and https are probed` });
  return new Promise((resolve) => {
    let settled = false;
    const options = { method: 'GET', headers: { 'user-agent': 'mgn-orchestrator-smoke-check', connection: 'close' }, agent: false as const };
    const onResponse = (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      res.destroy();
      finish({ status });
    };
    const req =
      target.protocol === 'https:'
        ? httpsRequest(target, { ...options, rejectUnauthorized: false }, onResponse)
        : httpRequest(target, options, onResponse);
    const timer = setTimeout(() => finish({ error: `no HTTP answer from ${target.host} within ${timeoutMs} ms` }), timeoutMs);
    function finish(answer: { status: number } | { error: string }): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(answer);
    }
    req.once('error', (e: NodeJS.ErrnoException) => finish({ error: `${target.host}: ${e.code ?? e.message}` }));
    req.end();
  });
}
