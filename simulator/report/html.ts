/**
 * report.html: one self-contained page (inline CSS and JS, no network) that opens offline. It shows
 * the wave's outcome and stats, and per server a timeline through the phases and where its test and
 * cutover instances landed (subnet, private IP, type, groups) with what verification found; failed
 * servers are highlighted in red with the phase and reason.
 */
import { PHASES } from '../scenario';
import type { ServerReport, SimulationReport, TimelineEntry, WaveReport } from './types';

/**
 * What the page shows: the simulator's report, or a deployed run's report.json (`mgnctl report`),
 * which has no simulator stats, executions or network, but says when it was generated and what stopped the wave.
 */
export type ReportPage = WaveReport &
  Partial<Pick<SimulationReport, 'stats' | 'executions' | 'error' | 'startedAt' | 'network'>> & {
    readonly generatedAt?: string;
    readonly stoppedBy?: { readonly error: string; readonly cause: string };
  };

const escapeHtml = (value: unknown): string =>
  String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** 3725 -> "1h 02m 05s" */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m ${String(rest).padStart(2, '0')}s`;
  if (m > 0) return `${m}m ${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}

/** A launched instance as report.json lists it (functions/lib/flow/report.ts ReportInstance). */
export interface ReportInstanceView {
  readonly instanceId: string;
  readonly subnetId?: string | null;
  readonly privateIpAddress?: string | null;
  readonly instanceType?: string | null;
  readonly securityGroupIds?: readonly string[];
}

/** What verification found for one instance (functions/lib/run-state.ts VerificationSummary). */
export interface VerificationView {
  readonly ec2StatusChecks?: string;
  readonly ssm?: string;
  readonly checks?: readonly { readonly type: string; readonly target: string; readonly result: string }[];
}

/** A server of report.json with the launched instances the report step adds. */
type ServerWithInstances = ServerReport & {
  readonly instances?: Partial<Record<'test' | 'cutover', ReportInstanceView>>;
  readonly verification?: Partial<Record<'test' | 'cutover', VerificationView>>;
};

/** One line per launched instance: kind, id, private IP, subnet, type, groups; what verification ran in its title. */
export function instancesCell(server: ServerWithInstances): string {
  return (['test', 'cutover'] as const)
    .map((kind) => {
      const i = server.instances?.[kind];
      if (!i) return '';
      const v = server.verification?.[kind];
      const ran = v
        ? [`EC2 status checks: ${v.ec2StatusChecks ?? '?'}`, `SSM: ${v.ssm ?? '?'}`, ...(v.checks ?? []).map((c) => `${c.type} ${c.target}: ${c.result}`)].join('\n')
        : '';
      const groups = (i.securityGroupIds ?? []).map((g) => `<code>${escapeHtml(g)}</code>`).join(' ');
      return (
        `<div class="instance" data-kind="${kind}"${ran ? ` title="${escapeHtml(ran)}"` : ''}><b>${kind}</b> <code>${escapeHtml(i.instanceId)}</code> ` +
        `${escapeHtml(i.privateIpAddress ?? '')} in <code>${escapeHtml(i.subnetId ?? '?')}</code>, ${escapeHtml(i.instanceType ?? '?')}${groups ? `, ${groups}` : ''}` +
        `${v?.ssm && v.ssm !== 'online' ? ` <span class="no-ssm">SSM ${escapeHtml(v.ssm)}</span>` : ''}</div>`
      );
    })
    .join('');
}

const PHASE_COLORS = [
  '#4e79a7', '#59a14f', '#9c755f', '#f28e2b', '#76b7b2', '#edc948', '#b07aa1',
  '#ff9da7', '#bab0ac', '#8cd17d', '#86bcb6', '#a0cbe8', '#d4a6c8',
];
const phaseColor = (phase: string): string => {
  const i = (PHASES as readonly string[]).indexOf(phase);
  return i >= 0 ? PHASE_COLORS[i % PHASE_COLORS.length] : '#999999';
};

interface Segment {
  readonly phase: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly status: TimelineEntry['status'] | 'running';
}

/** Pairs each phase's "started" with its "done"/"failed"/"skipped" entry. */
export function timelineSegments(timeline: readonly TimelineEntry[], endMs: number): Segment[] {
  const open = new Map<string, number>();
  const segments: Segment[] = [];
  for (const entry of timeline) {
    const at = Date.parse(entry.at);
    if (Number.isNaN(at)) continue;
    if (entry.status === 'started') {
      open.set(entry.phase, at);
      continue;
    }
    const start = open.get(entry.phase) ?? at;
    open.delete(entry.phase);
    segments.push({ phase: entry.phase, startMs: start, endMs: at, status: entry.status });
  }
  for (const [phase, start] of open) segments.push({ phase, startMs: start, endMs: Math.max(start, endMs), status: 'running' });
  return segments;
}

function timelineRange(report: ReportPage): { from: number; to: number } {
  const times = report.servers.flatMap((s) => s.timeline.map((t) => Date.parse(t.at))).filter((t) => !Number.isNaN(t));
  const start = Date.parse(report.startedAt ?? '');
  const from = Math.min(...times, Number.isNaN(start) ? Infinity : start);
  const end = Number.isNaN(start) || !report.stats ? -Infinity : start + report.stats.simulatedSeconds * 1000;
  const to = Math.max(...times, end);
  if (!Number.isFinite(from) || !Number.isFinite(to)) return { from: 0, to: 1 };
  return { from, to: to > from ? to : from + 1 };
}

function serverRow(server: ServerWithInstances, range: { from: number; to: number }): string {
  const span = range.to - range.from;
  const bars = timelineSegments(server.timeline, range.to)
    .map((seg) => {
      const left = ((seg.startMs - range.from) / span) * 100;
      const width = Math.max(0.4, ((seg.endMs - seg.startMs) / span) * 100);
      const cls = seg.status === 'failed' ? 'seg seg-failed' : seg.status === 'skipped' ? 'seg seg-skipped' : 'seg';
      const title = `${seg.phase}: ${seg.status}, ${new Date(seg.startMs).toISOString()} → ${new Date(seg.endMs).toISOString()} (${formatDuration((seg.endMs - seg.startMs) / 1000)})`;
      return `<span class="${cls}" data-phase="${escapeHtml(seg.phase)}" title="${escapeHtml(title)}" style="left:${left.toFixed(3)}%;width:${width.toFixed(3)}%;background:${seg.status === 'failed' ? '#d62728' : phaseColor(seg.phase)}"></span>`;
    })
    .join('');
  // A reason may end with a host's output tail (after "--- output tail ---"): shown folded, on request.
  const [why, tail] = server.failure ? server.failure.reason.split('\n--- output tail ---\n') : [];
  const failure = server.failure
    ? `<span class="failure"><b>${escapeHtml(server.failure.phase)}</b>: ${escapeHtml(why)}</span>` +
      (tail ? `<details class="output"><summary>output tail</summary><pre>${escapeHtml(tail)}</pre></details>` : '')
    : '';
  return `<tr class="server result-${escapeHtml(server.result)}" data-server="${escapeHtml(server.name)}">
<td class="name">${escapeHtml(server.name)}</td>
<td><code>${escapeHtml(server.sourceServerId ?? '')}</code></td>
<td>${escapeHtml(server.finalLifecycleState ?? '')}</td>
<td class="result">${escapeHtml(server.result)}</td>
<td class="num">${server.launches.test} / ${server.launches.cutover}</td>
<td class="instances">${instancesCell(server)}</td>
<td class="timeline"><div class="track">${bars}</div>${failure}</td>
</tr>`;
}

/** MGN's own wave and applications the run grouped the servers in, and what MGN refused (report.mgn). */
function mgnGroupingSection(mgn: ReportPage['mgn']): string {
  if (!mgn) return '';
  const row = (kind: string, g: { name: string; id: string; created: boolean; archived: boolean }, servers: string) =>
    `<tr><td>${kind}</td><td>${escapeHtml(g.name)}</td><td><code>${escapeHtml(g.id)}</code></td><td class="num">${servers}</td><td>${
      g.created ? 'created by this run' : 'found by name'
    }</td><td>${g.archived ? 'archived' : 'active'}</td></tr>`;
  const rows = [...(mgn.wave ? [row('wave', mgn.wave, String(mgn.applications.length) + ' application' + (mgn.applications.length === 1 ? '' : 's'))] : []), ...mgn.applications.map((a) => row('application', a, String(a.servers)))];
  const problems = mgn.problems.length
    ? `<ul class="problems" id="mgn-problems">${mgn.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>`
    : '';
  return `<h2>MGN grouping</h2>
${rows.length ? `<table id="mgn-grouping"><thead><tr><th>Kind</th><th>Name</th><th>Id</th><th>Holds</th><th>Origin</th><th>State</th></tr></thead><tbody>${rows.join('')}</tbody></table>` : '<p>No MGN wave or application was created or found.</p>'}
${problems}`;
}

export function renderReportHtml(report: ReportPage): string {
  const range = timelineRange(report);
  const counts = { migrated: 0, failed: 0, skipped: 0 } as Record<string, number>;
  for (const s of report.servers) counts[s.result] = (counts[s.result] ?? 0) + 1;
  const stats = report.stats;
  const statRows: Array<[string, string]> = !stats ? [] : [
    ['Simulated time', formatDuration(stats.simulatedSeconds)],
    ['Wall time', `${(stats.wallMs / 1000).toFixed(1)} s`],
    ['State transitions', String(stats.stateTransitions)],
    ['History events', String(stats.historyEvents)],
    ['Executions', String(stats.executions)],
    ['Launch jobs', String(stats.launchJobs)],
    ['Max servers in active jobs', String(stats.maxServersInActiveJobs)],
    ['Largest state payload', `${stats.maxPayloadBytes} bytes`],
    ['Task retries', String(stats.retries)],
  ];
  const apiRows = Object.entries(stats?.apiCalls ?? {})
    .map(([op, n]) => `<tr><td><code>${escapeHtml(op)}</code></td><td class="num">${n}</td></tr>`)
    .join('');
  const executionRows = (report.executions ?? [])
    .map(
      (e) =>
        `<tr class="exec-${escapeHtml(e.status.toLowerCase())}"><td><code>${escapeHtml(e.name)}</code></td><td>${escapeHtml(e.status)}</td><td>${escapeHtml(
          e.interruptedAfterPhase ? `interrupted after ${e.interruptedAfterPhase}` : e.error ? `${e.error}: ${e.cause ?? ''}` : '',
        )}</td><td class="num">${e.stateTransitions}</td><td class="num">${e.historyEvents}</td></tr>`,
    )
    .join('');
  const net = report.network;
  const networkRows: Array<[string, string]> = net
    ? [
        ['VPC', `${net.vpcId} (${net.vpcCidr}), ${net.region}`],
        ['Test subnets', net.subnetIds.test.join(', ') || '(none)'],
        ['Cutover subnets', net.subnetIds.cutover.join(', ') || '(none)'],
        ['Staging subnet', net.stagingSubnetId],
        ['Orchestrator subnets', net.subnetIds.orchestrator.join(', ')],
        ['Endpoint subnets', net.subnetIds.endpoint.join(', ')],
        ['Target security group', net.securityGroupIds.target],
        ['Replication security group', net.securityGroupIds.replication],
        ['Launched-instance profile', net.launchedInstanceProfileName],
      ]
    : [];
  const networkTable = net
    ? `<h2>Network (simulated stack, no default VPC)</h2>
<table id="network"><tbody>
${networkRows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td><code>${escapeHtml(v)}</code></td></tr>`).join('\n')}
</tbody></table>
`
    : '';
  const legend = PHASES.map((p) => `<span class="key"><span class="swatch" style="background:${phaseColor(p)}"></span>${p}</span>`).join('');
  const stop = report.error ?? report.stoppedBy;
  const errorBox = stop
    ? `<div class="error-box"><b>${report.error ? 'Orchestrator error' : 'Stopped by'}</b> ${escapeHtml(stop.error)}: ${escapeHtml(stop.cause)}</div>`
    : '';
  // the finalize gate said no: the servers run on their cutover instances, not finalized
  const waiting = report.awaitingFinalize;
  const awaitingBox = waiting
    ? `<div class="await-box" id="awaiting-finalize"><b>Awaiting finalize</b> ${waiting.servers.length} server${waiting.servers.length === 1 ? '' : 's'} cut over and not finalized (${waiting.servers
        .map((n) => `<code>${escapeHtml(n)}</code>`)
        .join(', ')}). To finalize later: <code>${escapeHtml(waiting.resume)}</code></div>`
    : '';
  const mgnSection = mgnGroupingSection(report.mgn);
  const meta = stats
    ? `run <code>${escapeHtml(report.runId)}</code>, started ${escapeHtml(report.startedAt ?? '')} (simulated)`
    : `run <code>${escapeHtml(report.runId)}</code>${report.generatedAt ? `, report generated ${escapeHtml(report.generatedAt)}` : ''}`;
  const statsSections = stats
    ? `<div class="cols">
<div>
<h2>Stats</h2>
<table id="stats"><tbody>
${statRows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td class="num">${escapeHtml(v)}</td></tr>`).join('\n')}
</tbody></table>
</div>
<div>
<h2>API calls${stats.apiCallsScope === 'session' ? ' (whole simulation)' : ''}</h2>
<table id="api-calls"><thead><tr><th>Operation</th><th>Calls</th></tr></thead><tbody>${apiRows}</tbody></table>
</div>
</div>
`
    : '';
  const executionsSection = report.executions
    ? `<h2>Executions</h2>
<table id="executions"><thead><tr><th>Name</th><th>Status</th><th>Detail</th><th>Transitions</th><th>History events</th></tr></thead><tbody>${executionRows}</tbody></table>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Wave ${escapeHtml(report.waveId)}: ${escapeHtml(report.outcome)}</title>
<style>
  body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #1d2330; background: #fff; }
  h1 { font-size: 22px; margin: 0 0 4px; }
  h2 { font-size: 16px; margin: 24px 0 8px; }
  .meta { color: #5b6475; }
  .badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; color: #fff; }
  .outcome-completed { background: #2e7d32; }
  .outcome-completed-with-failures { background: #ed6c02; }
  .outcome-rejected { background: #6d4c41; }
  .outcome-reverted { background: #5e35b1; }
  .outcome-failed { background: #c62828; }
  .cards { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 12px; }
  .card { border: 1px solid #d7dce5; border-radius: 6px; padding: 8px 12px; min-width: 140px; }
  .card .v { font-size: 18px; font-weight: 600; }
  table { border-collapse: collapse; width: 100%; }
  th, td { border-bottom: 1px solid #e3e7ee; padding: 4px 8px; text-align: left; vertical-align: middle; }
  th { background: #f4f6f9; font-weight: 600; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.result-failed { background-color: rgb(253, 226, 226); }
  tr.result-failed td.result { color: rgb(183, 28, 28); font-weight: 700; }
  tr.result-skipped { background-color: rgb(245, 245, 245); color: #666; }
  tr.result-reverted { background-color: rgb(237, 231, 246); }
  tr.result-migrated td.result { color: #2e7d32; font-weight: 600; }
  td.timeline { width: 40%; min-width: 320px; }
  td.instances { font-size: 12px; }
  .instance { white-space: nowrap; }
  .no-ssm { color: #8a5a00; }
  details.output pre { white-space: pre-wrap; font-size: 11px; max-height: 16em; overflow: auto; margin: 4px 0 0; }
  .track { position: relative; height: 14px; background: #eef1f5; border-radius: 3px; }
  .seg { position: absolute; top: 0; height: 14px; border-radius: 2px; }
  .seg-failed { outline: 2px solid #7f0000; }
  .seg-skipped { opacity: 0.35; }
  .failure { display: block; color: rgb(183, 28, 28); margin-top: 2px; }
  .legend { margin: 8px 0; color: #5b6475; }
  .key { margin-right: 10px; white-space: nowrap; }
  .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; vertical-align: middle; }
  .error-box { border: 1px solid #c62828; background: #fde2e2; padding: 8px 12px; margin-top: 12px; border-radius: 6px; }
  .await-box { border: 1px solid #5e35b1; background: #ede7f6; padding: 8px 12px; margin-top: 12px; border-radius: 6px; }
  ul.problems { color: #8a5a00; margin: 6px 0; }
  .cols { display: flex; gap: 24px; flex-wrap: wrap; }
  .cols > div { flex: 1 1 320px; }
</style>
</head>
<body>
<h1>Wave <span id="wave-id">${escapeHtml(report.waveId)}</span> <span class="badge outcome-${escapeHtml(report.outcome)}" id="outcome">${escapeHtml(report.outcome)}</span></h1>
<div class="meta">${meta}</div>
${errorBox}
${awaitingBox}
<div class="cards">
  <div class="card"><div>Servers</div><div class="v">${report.servers.length}</div></div>
  <div class="card"><div>Migrated</div><div class="v" id="count-migrated">${counts.migrated ?? 0}</div></div>
  <div class="card"><div>Failed</div><div class="v" id="count-failed">${counts.failed ?? 0}</div></div>
  <div class="card"><div>Skipped</div><div class="v">${counts.skipped ?? 0}</div></div>
  ${counts.reverted ? `<div class="card"><div>Reverted</div><div class="v" id="count-reverted">${counts.reverted}</div></div>` : ''}
${stats ? `  <div class="card"><div>Simulated time</div><div class="v">${escapeHtml(formatDuration(stats.simulatedSeconds))}</div></div>` : ''}
</div>

<h2>Servers</h2>
<label><input type="checkbox" id="only-failed"> show failed servers only</label>
<div class="legend">${legend}</div>
<table id="servers">
<thead><tr><th>Server</th><th>Source server</th><th>Lifecycle</th><th>Result</th><th>Launches test / cutover</th><th>Instances (as launched)</th><th>Timeline (${escapeHtml(new Date(range.from).toISOString())} → ${escapeHtml(new Date(range.to).toISOString())})</th></tr></thead>
<tbody>
${report.servers.map((s) => serverRow(s, range)).join('\n')}
</tbody>
</table>

${mgnSection}
${statsSections}
${networkTable}
${executionsSection}

<script>
  (function () {
    var box = document.getElementById('only-failed');
    box.addEventListener('change', function () {
      var rows = document.querySelectorAll('#servers tr.server');
      for (var i = 0; i < rows.length; i++) {
        rows[i].style.display = box.checked && !rows[i].classList.contains('result-failed') ? 'none' : '';
      }
    });
  })();
</script>
</body>
</html>
`;
}
