import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { formatDuration, renderReportHtml, timelineSegments } from '../../simulator/report/html';
import type { SimulationReport } from '../../simulator/report/types';
import { defaultDeployConfig, networkFromDeployConfig } from '../../simulator/network';

const t = (minutes: number) => new Date(Date.UTC(2026, 0, 5, 8, minutes)).toISOString();

const report: SimulationReport = {
  waveId: 'wave-12',
  runId: 'wave-12-sim-1',
  outcome: 'completed-with-failures',
  startedAt: t(0),
  servers: [
    {
      name: 'web-1',
      sourceServerId: 's-1234567890abcdef0',
      finalLifecycleState: 'CUTOVER',
      result: 'migrated',
      launches: { test: 1, cutover: 1 },
      timeline: [
        { phase: 'install', status: 'started', at: t(0) },
        { phase: 'install', status: 'done', at: t(5) },
        { phase: 'replication', status: 'started', at: t(5) },
        { phase: 'replication', status: 'done', at: t(100) },
        { phase: 'cutover-launch', status: 'started', at: t(110) },
        { phase: 'cutover-launch', status: 'done', at: t(120) },
      ],
    },
    {
      name: 'db-<1>',
      sourceServerId: 's-1234567890abcdef1',
      finalLifecycleState: 'READY_FOR_TEST',
      result: 'failed',
      failure: {
        phase: 'test-launch',
        reason: 'launch job ended with launchStatus FAILED <script>alert(1)</script>',
      },
      launches: { test: 1, cutover: 0 },
      timeline: [
        { phase: 'install', status: 'started', at: t(0) },
        { phase: 'install', status: 'done', at: t(6) },
        { phase: 'test-launch', status: 'started', at: t(101) },
        { phase: 'test-launch', status: 'failed', at: t(104) },
      ],
    },
  ],
  stats: {
    stateTransitions: 412,
    historyEvents: 1730,
    apiCalls: { 'mgn:DescribeSourceServers': 40, 'mgn:StartTest': 1 },
    apiCallsScope: 'wave',
    launchJobs: 2,
    maxServersInActiveJobs: 2,
    simulatedSeconds: 7200,
    wallMs: 2100,
    maxPayloadBytes: 3120,
    executions: 1,
    retries: 3,
    lambdaErrorsInjected: 0,
  },
  executions: [{ name: 'wave-12-sim-1', status: 'SUCCEEDED', stateTransitions: 412, historyEvents: 1730 }],
};

describe('report.html', () => {
  it('lists the simulated stack\'s network when the report has one', () => {
    expect(renderReportHtml(report)).not.toContain('id="network"');
    const network = networkFromDeployConfig(defaultDeployConfig()).stack!;
    const html = renderReportHtml({ ...report, network });
    expect(html).toContain('<h2>Network (simulated stack, no default VPC)</h2>');
    expect(html).toContain(`<tr><th>Test subnets</th><td><code>${network.subnetIds.test.join(', ')}</code></td></tr>`);
    expect(html).toContain(`<tr><th>Target security group</th><td><code>${network.securityGroupIds.target}</code></td></tr>`);
  });

  it("shows MGN's wave and applications, and what MGN refused, escaped", () => {
    expect(renderReportHtml(report)).not.toContain('MGN grouping');
    const html = renderReportHtml({
      ...report,
      mgn: {
        wave: { id: 'wave-0123456789abcdef0', arn: 'arn:aws:mgn:eu-west-1:111122223333:wave/wave-0123456789abcdef0', name: 'wave-12', created: true, archived: true },
        applications: [
          { id: 'app-0123456789abcdef0', arn: 'arn:aws:mgn:eu-west-1:111122223333:application/app-0123456789abcdef0', name: 'Payments <DB>', created: false, archived: false, servers: 3 },
        ],
        problems: ['db-1 (s-1234567890abcdef1) is in another MGN application (app-99999999999999999); it is left there'],
      },
    });
    expect(html).toContain('<h2>MGN grouping</h2>');
    expect(html).toContain('<tr><td>wave</td><td>wave-12</td><td><code>wave-0123456789abcdef0</code></td><td class="num">1 application</td><td>created by this run</td><td>archived</td></tr>');
    expect(html).toContain('<tr><td>application</td><td>Payments &lt;DB&gt;</td><td><code>app-0123456789abcdef0</code></td><td class="num">3</td><td>found by name</td><td>active</td></tr>');
    expect(html).toMatch(/<ul class="problems" id="mgn-problems"><li>db-1 \(s-1234567890abcdef1\) is in another MGN application/);
  });

  it('says which servers await finalize and how to finalize them', () => {
    expect(renderReportHtml(report)).not.toContain('id="awaiting-finalize"');
    const html = renderReportHtml({ ...report, awaitingFinalize: { servers: ['web-1', 'db-<1>'], resume: 'mgnctl start wave-12 --resume' } });
    expect(html).toContain(
      '<div class="await-box" id="awaiting-finalize"><b>Awaiting finalize</b> 2 servers cut over and not finalized (<code>web-1</code>, <code>db-&lt;1&gt;</code>). To finalize later: <code>mgnctl start wave-12 --resume</code></div>',
    );
  });

  it('is self-contained: no external scripts, styles, images or fonts', () => {
    const html = renderReportHtml(report);
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).not.toMatch(/url\(\s*['"]?https?:/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain('<style>');
  });

  it('escapes server names and failure reasons', () => {
    const html = renderReportHtml(report);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('db-&lt;1&gt;');
  });

  it('pairs started/done entries into phase segments and keeps an unfinished phase running to the end', () => {
    const segs = timelineSegments(
      [
        { phase: 'install', status: 'started', at: t(0) },
        { phase: 'install', status: 'done', at: t(5) },
        { phase: 'replication', status: 'started', at: t(5) },
      ],
      Date.parse(t(60)),
    );
    expect(segs).toEqual([
      { phase: 'install', startMs: Date.parse(t(0)), endMs: Date.parse(t(5)), status: 'done' },
      { phase: 'replication', startMs: Date.parse(t(5)), endMs: Date.parse(t(60)), status: 'running' },
    ]);
    expect(formatDuration(3725)).toBe('1h 02m 05s');
  });
});

/** The page's window, typed here because the project compiles without the DOM library. */
type PageWindow = { getComputedStyle(el: unknown): Record<string, string> };
const styleOf = (loc: ReturnType<Awaited<ReturnType<BrowserContext['newPage']>>['locator']>, prop: string) =>
  loc.evaluate((el, p) => (globalThis as unknown as PageWindow).getComputedStyle(el)[p], prop);

/** Debian's chromium, installed by .ci/run; CHROMIUM_PATH overrides. */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// A fresh developer machine may not have Chromium: the screenshot suite is then reported as skipped
// (by name). CI installs Chromium in .ci/run and sets CI=true, where a missing browser is a failure.
const browserAvailable = existsSync(chromiumPath) || process.env.CI === 'true';
const describeInBrowser = browserAvailable ? describe : describe.skip;

describeInBrowser(
  `report.html in headless Chromium${browserAvailable ? '' : ` (skipped: no Chromium at ${chromiumPath}; .ci/run installs it)`}`,
  () => {
    let context: BrowserContext;
    let profile: string;
    let page: Awaited<ReturnType<BrowserContext['newPage']>>;
    const outDir = join(__dirname, '..', '..', 'test-output');

    beforeAll(async () => {
      if (!existsSync(chromiumPath))
        throw new Error(
          `Chromium not found at ${chromiumPath}: run .ci/run (installs Debian's chromium) or set CHROMIUM_PATH`,
        );
      profile = mkdtempSync(join(tmpdir(), 'report-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: chromiumPath,
        headless: true,
        offline: true,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
        viewport: { width: 1280, height: 800 },
      });
      page = await context.newPage();
      mkdirSync(outDir, { recursive: true });
      const file = join(outDir, 'report.html');
      writeFileSync(file, renderReportHtml(report));
      await page.goto(`file://${file}`);
    });

    afterAll(async () => {
      await context?.close();
      if (profile) rmSync(profile, { recursive: true, force: true });
    });

    it('renders the failed server row in red with its phase and reason, and the migrated one not', async () => {
      const failedRow = page.locator('tr[data-server="db-<1>"]');
      await expect(failedRow.isVisible()).resolves.toBe(true);
      expect(await styleOf(failedRow, 'backgroundColor')).toBe('rgb(253, 226, 226)');
      expect(await styleOf(failedRow.locator('td.result'), 'color')).toBe('rgb(183, 28, 28)');
      expect(await failedRow.locator('.failure').innerText()).toContain(
        'test-launch: launch job ended with launchStatus FAILED',
      );
      const okRow = page.locator('tr[data-server="web-1"]');
      expect(await styleOf(okRow, 'backgroundColor')).not.toBe('rgb(253, 226, 226)');
      expect(await page.locator('#outcome').innerText()).toBe('completed-with-failures');
      expect(await page.locator('#count-failed').innerText()).toBe('1');
    });

    it('draws timeline segments with width, the failed one in red', async () => {
      const segs = page.locator('tr[data-server="web-1"] .seg');
      expect(await segs.count()).toBe(3);
      const box = await segs.nth(1).boundingBox();
      expect(box!.width).toBeGreaterThan(100); // replication: 95 of 120 minutes
      const failedSeg = page.locator('tr[data-server="db-<1>"] .seg-failed');
      expect(await styleOf(failedSeg, 'backgroundColor')).toBe('rgb(214, 39, 40)');
    });

    it('filters to failed servers with the checkbox, and saves a screenshot', async () => {
      await page.locator('#only-failed').check();
      expect(await page.locator('tr[data-server="web-1"]').isVisible()).toBe(false);
      expect(await page.locator('tr[data-server="db-<1>"]').isVisible()).toBe(true);
      await page.locator('#only-failed').uncheck();
      const png = join(outDir, 'report-html.png');
      await page.screenshot({ path: png, fullPage: true });
      expect(statSync(png).size).toBeGreaterThan(10_000);
    });
  },
);
