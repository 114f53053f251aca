/**
 * MGN waves and applications: the manifest's `application` rules, the default grouping, and the
 * grouping pass against a fake MGN that answers as the emulator does (names case-insensitive,
 * Conflict for a server in another application, ≤ 50 ids per associate call).
 */
import { readCsvManifest } from '../../functions/lib/csv-manifest';
import { TryLaterError } from '../../functions/lib/errors';
import { applicationNamesOf, findManifestProblems, parseManifest, type WaveManifest } from '../../functions/lib/manifest';
import { archiveWaveInMgn, groupWaveInMgn } from '../../functions/lib/mgn-grouping';
import type { MgnGroupView, MgnPort, SourceServerView } from '../../functions/lib/ports';
import { newRunState } from '../../functions/lib/run-state';

const MGN = 'vpce-0a1b2c3d4e5f60718-abcd1234.mgn.ap-south-1.vpce.amazonaws.com';
const S3 = 'vpce-0a1b2c3d4e5f60718-abcd1234.s3.ap-south-1.vpce.amazonaws.com';

const server = (i: number, application?: string) => ({
  name: `srv-${i}`,
  os: 'linux',
  source: { type: 'ec2', instanceId: `i-${i.toString(16).padStart(17, '0')}`, region: 'ap-southeast-1' },
  ...(application ? { application } : {}),
});
const waveOf = (servers: unknown[]) => ({ waveId: 'wave-7', targetRegion: 'ap-south-1', endpoints: { mgn: MGN, s3: S3 }, servers });

describe('manifest: servers[].application', () => {
  it('accepts MGN application names and refuses what MGN refuses, naming the field', () => {
    expect(findManifestProblems(waveOf([server(1, 'Payments DB'), server(2)])).map((p) => p.line)).toEqual([]);
    expect(findManifestProblems(waveOf([server(1, ' padded')])).map((p) => p.line)).toEqual([
      expect.stringMatching(/^servers\[0\]\.application: .*MGN application name/),
    ]);
    expect(findManifestProblems(waveOf([server(1, 'x'.repeat(257))])).map((p) => p.line)).toEqual([expect.stringMatching(/^servers\[0\]\.application: /)]);
  });

  it('one spelling per name, since MGN compares names case-insensitively', () => {
    expect(findManifestProblems(waveOf([server(1, 'web'), server(2, 'WEB')])).map((p) => p.line)).toEqual([
      'servers[1].application: "WEB" differs from "web" (servers[0]) only by case; MGN application names are case-insensitive, so spell it one way',
    ]);
  });

  it('at most 200 servers in a named application; the default one spills over to <waveId>-2', () => {
    const named = Array.from({ length: 201 }, (_, i) => server(i + 1, 'big'));
    expect(findManifestProblems(waveOf(named)).map((p) => p.line)).toEqual([
      expect.stringMatching(/^servers\[200\]\.application: application "big" would hold 201 servers; an MGN application holds at most 200/),
    ]);
    const unnamed = Array.from({ length: 401 }, (_, i) => server(i + 1));
    expect(findManifestProblems(waveOf(unnamed)).map((p) => p.line)).toEqual([]);
    const names = applicationNamesOf('wave-7', unnamed);
    expect([names[0], names[199], names[200], names[399], names[400]]).toEqual(['wave-7', 'wave-7', 'wave-7-2', 'wave-7-2', 'wave-7-3']);
  });
});

describe('CSV column application', () => {
  const wave = { waveId: 'wave-7', targetRegion: 'ap-south-1', endpoints: { mgn: MGN, s3: S3 } };
  it('sets servers[].application; an empty cell leaves the default', () => {
    const csvText = 'name,os,sourceType,instanceId,sourceRegion,application\nweb-1,linux,ec2,i-0123456789abcdef0,ap-southeast-1,Payments DB\nweb-2,linux,ec2,i-0123456789abcdef1,ap-southeast-1,\n';
    const { manifest, problems } = readCsvManifest({ csvText, wave });
    expect(problems).toEqual([]);
    expect(manifest!.servers.map((s) => s.application)).toEqual(['Payments DB', undefined]);
  });
  it('names the row and column of a bad application name', () => {
    const csvText = `name,os,sourceType,instanceId,sourceRegion,application\nweb-1,linux,ec2,i-0123456789abcdef0,ap-southeast-1,"a\tb"\n`;
    expect(readCsvManifest({ csvText, wave }).problems).toEqual([expect.stringMatching(/^servers\[0\]\.application \(row 2, column application\): /)]);
  });
});

/** A fake MGN with the emulator's grouping rules, recording every mutating call. */
function fakeMgn(existing: MgnGroupView[] = []) {
  const groups = new Map(existing.map((g) => [g.id, { ...g, servers: new Set<string>() }]));
  const calls: { op: string; ids: string[] }[] = [];
  const serverApp = new Map<string, string>();
  let n = 0;
  const create = (kind: 'wave' | 'app', name: string): MgnGroupView => {
    if ([...groups.values()].some((g) => g.id.startsWith(kind) && g.name.toLowerCase() === name.toLowerCase())) throw new TryLaterError('exists', 'ConflictException');
    const id = `${kind}-${String((n += 1)).padStart(17, '0')}`;
    groups.set(id, { id, arn: `arn:aws:mgn:ap-south-1:111122223333:${kind}/${id}`, name, isArchived: false, servers: new Set() });
    calls.push({ op: `Create:${kind}`, ids: [id] });
    return { id, arn: groups.get(id)!.arn, name, isArchived: false };
  };
  const port = {
    listMgnWaves: async () => [...groups.values()].filter((g) => g.id.startsWith('wave')),
    listMgnApplications: async () => [...groups.values()].filter((g) => g.id.startsWith('app')),
    createMgnWave: async (name: string) => create('wave', name),
    createMgnApplication: async (name: string) => create('app', name),
    associateMgnApplications: async (waveId: string, ids: readonly string[]) => {
      for (const id of ids) Object.assign(groups.get(id)!, { waveId });
      calls.push({ op: 'AssociateApplications', ids: [...ids] });
    },
    associateMgnSourceServers: async (appId: string, ids: readonly string[]) => {
      if (ids.length > 50) throw new Error('more than 50 ids');
      for (const id of ids) if (serverApp.has(id) && serverApp.get(id) !== appId) throw new TryLaterError(`${id} elsewhere`, 'ConflictException');
      for (const id of ids) serverApp.set(id, appId);
      calls.push({ op: 'AssociateSourceServers', ids: [...ids] });
    },
    describeSourceServers: async (ids: readonly string[]) => {
      calls.push({ op: 'DescribeSourceServers', ids: [...ids] });
      return ids.map((id) => ({ sourceServerId: id, isArchived: archived.has(id) }) as SourceServerView);
    },
    archiveMgnApplication: async (id: string) => {
      groups.get(id)!.isArchived = true;
      calls.push({ op: 'ArchiveApplication', ids: [id] });
    },
    archiveMgnWave: async (id: string) => {
      groups.get(id)!.isArchived = true;
      calls.push({ op: 'ArchiveWave', ids: [id] });
    },
  };
  const archived = new Set<string>();
  return { mgn: port as unknown as MgnPort, calls, serverApp, archived };
}

const viewsOf = (manifest: WaveManifest, appOf: (id: string) => string | undefined) =>
  new Map(manifest.servers.map((s, i) => {
    const id = `s-${String(i).padStart(17, '0')}`;
    const app = appOf(id);
    return [s.name, { sourceServerId: id, isArchived: false, ...(app ? { applicationId: app } : {}) } as SourceServerView];
  }));

describe('grouping the wave in MGN', () => {
  it('creates the wave and applications once, associates in calls of ≤ 50, and a second pass does nothing', async () => {
    const manifest = parseManifest(waveOf([...Array.from({ length: 120 }, (_, i) => server(i + 1)), server(500, 'db')]));
    const state = newRunState(manifest, 'run-1');
    const fake = fakeMgn();
    await groupWaveInMgn(fake.mgn, manifest, state, viewsOf(manifest, (id) => fake.serverApp.get(id)));
    expect(fake.calls.filter((c) => c.op.startsWith('Create')).map((c) => c.op)).toEqual(['Create:wave', 'Create:app', 'Create:app']);
    expect(fake.calls.filter((c) => c.op === 'AssociateSourceServers').map((c) => c.ids.length)).toEqual([50, 50, 20, 1]);
    const before = fake.calls.length;
    // a re-run (new run state) finds everything by name and MGN's applicationID says nothing is missing
    const again = newRunState(manifest, 'run-2');
    await groupWaveInMgn(fake.mgn, manifest, again, viewsOf(manifest, (id) => fake.serverApp.get(id)));
    expect(fake.calls.slice(before)).toEqual([]);
    expect(again.mgn!.wave).toMatchObject({ name: 'wave-7', created: false });
    expect(again.mgn!.applications.map((a) => [a.name, a.sourceServerIds.length, a.created])).toEqual([
      ['wave-7', 120, false],
      ['db', 1, false],
    ]);
  });

  it('leaves a server that is in another application where it is and says so; no server is set aside', async () => {
    const manifest = parseManifest(waveOf([server(1), server(2)]));
    const state = newRunState(manifest, 'run-1');
    const fake = fakeMgn();
    await groupWaveInMgn(fake.mgn, manifest, state, viewsOf(manifest, (id) => (id.endsWith('1') ? 'app-99999999999999999' : undefined)));
    expect(state.mgn!.problems).toEqual([expect.stringMatching(/^srv-2 \(s-0+1\) is in another MGN application \(app-99999999999999999\)/)]);
    expect(state.servers.every((s) => s.status === 'active')).toBe(true);
  });

  it('archives an application only when none of its servers was set aside, and the wave only when all its applications are', async () => {
    const manifest = parseManifest(waveOf([server(1, 'web'), server(2, 'db')]));
    const state = newRunState(manifest, 'run-1');
    const fake = fakeMgn();
    await groupWaveInMgn(fake.mgn, manifest, state, viewsOf(manifest, (id) => fake.serverApp.get(id)));
    for (const id of fake.serverApp.keys()) fake.archived.add(id);
    state.servers[1].status = 'failed';
    await archiveWaveInMgn(fake.mgn, manifest, state);
    expect(fake.calls.filter((c) => c.op.startsWith('Archive')).map((c) => c.op)).toEqual(['ArchiveApplication']);
    expect(state.mgn!.applications.map((a) => [a.name, a.archived])).toEqual([
      ['web', true],
      ['db', false],
    ]);
    expect(state.mgn!.problems).toEqual([
      'MGN application db is not archived: 1 of its servers were set aside',
      'MGN wave wave-7 is not archived: some of its applications are not',
    ]);
  });

  it("uses the poll's knowledge of its servers and describes only the ids it does not know", async () => {
    const manifest = parseManifest(waveOf([server(1, 'web'), server(2, 'web'), server(3, 'db')]));
    const state = newRunState(manifest, 'run-1');
    const fake = fakeMgn();
    await groupWaveInMgn(fake.mgn, manifest, state, viewsOf(manifest, (id) => fake.serverApp.get(id)));
    const [a, b, c] = [...fake.serverApp.keys()];
    for (const id of [a, b, c]) fake.archived.add(id);
    // the poll knows a and b as archived and c not (stale): db must stay open, web is archived
    const before = fake.calls.length;
    await archiveWaveInMgn(fake.mgn, manifest, state, new Map([[a, true], [b, true], [c, false]]));
    expect(fake.calls.slice(before).map((x) => x.op)).toEqual(['ArchiveApplication']);
    expect(state.mgn!.applications.map((x) => [x.name, x.archived])).toEqual([
      ['web', true],
      ['db', false],
    ]);
    // a poll that does not know c reads it (and only it) from MGN
    const again = fake.calls.length;
    await archiveWaveInMgn(fake.mgn, manifest, state, new Map([[a, true], [b, true]]));
    expect(fake.calls.slice(again)).toEqual([
      { op: 'DescribeSourceServers', ids: [c] },
      { op: 'ArchiveApplication', ids: [expect.any(String)] },
      { op: 'ArchiveWave', ids: [expect.any(String)] },
    ]);
  });
});
