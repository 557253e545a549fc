import { activeGroups, dayLine, parseRollupsArgs, rollupsConfig, USAGE, withoutSourceWarning } from './rollups-cli';

describe('parseRollupsArgs', () => {
  it('reads the range, the kind and the flags', () => {
    expect(
      parseRollupsArgs([
        'rebuild',
        '--from',
        '2026-12-01T10:15:00Z',
        '--to',
        '2026-12-02T00:00:00+01:00',
        '--kind',
        'gpu',
        '--dry-run',
      ]),
    ).toEqual({
      command: 'rebuild',
      range: { fromMs: Date.parse('2026-12-01T10:15:00Z'), toMs: Date.parse('2026-12-01T23:00:00Z') },
      kinds: ['gpu'],
      dryRun: true,
      force: false,
    });
  });

  it('takes both kinds by default and for --kind all, and UTC dates as midnight', () => {
    const args = parseRollupsArgs(['rebuild', '--from', '2026-12-01', '--to', '2026-12-03', '--force']);
    expect(args.kinds).toEqual(['tokens', 'gpu']);
    expect(args.range).toEqual({
      fromMs: Date.parse('2026-12-01T00:00:00Z'),
      toMs: Date.parse('2026-12-03T00:00:00Z'),
    });
    expect(args.force).toBe(true);
    expect(parseRollupsArgs(['rebuild', '--from', '2026-12-01', '--to', '2026-12-03', '--kind', 'all']).kinds).toEqual([
      'tokens',
      'gpu',
    ]);
  });

  it('refuses bad commands, options and values with the usage', () => {
    const range = ['--from', '2026-12-01T00:00:00Z', '--to', '2026-12-02T00:00:00Z'];
    expect(() => parseRollupsArgs([])).toThrow(/usage: npm run rollups/);
    expect(() => parseRollupsArgs(['repair', ...range])).toThrow(/usage: npm run rollups/);
    expect(() => parseRollupsArgs(['rebuild', ...range, '--frobnicate'])).toThrow(/unknown option --frobnicate/);
    expect(() => parseRollupsArgs(['rebuild', ...range, '--kind', 'cpu'])).toThrow(/--kind must be tokens, gpu or all/);
    expect(() => parseRollupsArgs(['rebuild', ...range, '--kind'])).toThrow(/--kind needs a value/);
    expect(() => parseRollupsArgs(['rebuild', '--from', '2026-12-01T00:00:00Z'])).toThrow(
      /--from and --to are required/,
    );
  });

  it('refuses unparsable times, an empty or reversed range and more than 400 days', () => {
    expect(() => parseRollupsArgs(['rebuild', '--from', 'yesterday', '--to', '2026-12-02'])).toThrow(
      /--from yesterday is not an RFC 3339 date-time/,
    );
    expect(() => parseRollupsArgs(['rebuild', '--from', '2026-12-01', '--to', '2026-13-45T00:00:00Z'])).toThrow(
      /--to 2026-13-45T00:00:00Z is not an RFC 3339/,
    );
    expect(() => parseRollupsArgs(['rebuild', '--from', '2026-12-01T00:00:00', '--to', '2026-12-02'])).toThrow(
      /not an RFC 3339/,
    );
    expect(() => parseRollupsArgs(['rebuild', '--from', '2026-12-02', '--to', '2026-12-02'])).toThrow(
      /--from must be before --to/,
    );
    expect(() => parseRollupsArgs(['rebuild', '--from', '2026-12-03', '--to', '2026-12-02'])).toThrow(
      /--from must be before --to/,
    );
    // 400 aligned days pass; a minute more widens the range to 401.
    expect(() => parseRollupsArgs(['rebuild', '--from', '2025-01-01', '--to', '2026-02-05'])).not.toThrow();
    expect(() => parseRollupsArgs(['rebuild', '--from', '2025-01-01', '--to', '2026-02-05T00:01:00Z'])).toThrow(
      /spans 401 UTC days; rebuild at most 400/,
    );
  });
});

describe('rollupsConfig', () => {
  const base = { MONGO_URL: 'mongodb://db:27017/tm' };

  it('reads the storage variables and, without KAFKA_BROKERS, no group check', () => {
    const config = rollupsConfig({ ...base, STORAGE_DIALECT: 'ferretdb' });
    expect(config.mongo).toMatchObject({ url: 'mongodb://db:27017/tm', dbName: 'tm', dialect: 'ferretdb' });
    expect(config.processorGroups).toBeUndefined();
  });

  it("checks the processor's consumer groups, <PROCESSOR_GROUP_PREFIX>.<topic>", () => {
    const config = rollupsConfig({ ...base, KAFKA_BROKERS: 'k:9092', PROCESSOR_GROUP_PREFIX: 'tm-proc' });
    expect(config.processorGroups?.groupIds).toEqual(['tm-proc.telemetry.tokens.v1', 'tm-proc.telemetry.gpu.v1']);
    // Whose committed offsets the uncommitted-batch check reads: token events and intervals share the tokens topic.
    expect(config.processorGroups?.groups).toEqual({
      tokens: { topic: 'telemetry.tokens.v1', groupId: 'tm-proc.telemetry.tokens.v1' },
      gpu: { topic: 'telemetry.gpu.v1', groupId: 'tm-proc.telemetry.gpu.v1' },
    });
  });

  it('names a bad variable', () => {
    expect(() => rollupsConfig({ ...base, STORAGE_DIALECT: 'postgres' })).toThrow(/STORAGE_DIALECT/);
  });
});

describe('output', () => {
  it('lists only groups with members', () => {
    expect(
      activeGroups([
        { groupId: 'p.tokens', members: [{}, {}] },
        { groupId: 'p.gpu', members: [] },
      ]),
    ).toEqual(['p.tokens (2 members)']);
  });

  it('prints one progress line per day and kind', () => {
    const line = dayLine(
      {
        dayMs: Date.parse('2026-12-01T00:00:00Z'),
        kind: 'tokens',
        events: 12_345,
        documents: 345,
        unchanged: 2,
        withoutSource: 0,
        durationMs: 500,
      },
      false,
    );
    expect(line).toBe('2026-12-01 tokens: 12,345 events → 345 documents (2 unchanged; 24,690 events/s)');
  });

  it('warns with the count of raw events that have no src, and only then', () => {
    const summary = { range: { fromMs: 0, toMs: 1 }, events: 9, documents: 1, unchanged: 0, durationMs: 1 };
    expect(withoutSourceWarning({ ...summary, withoutSource: 0 }, true)).toBeUndefined();
    expect(withoutSourceWarning({ ...summary, withoutSource: 1_234 }, true)).toBe(
      'warning: 1,234 raw events have no src (partition/offset): they could not be checked against the ' +
        'committed offsets, and raise no watermark',
    );
    expect(withoutSourceWarning({ ...summary, withoutSource: 2 }, false)).toMatch(/^warning: 2 raw events have no src/);
  });

  it('says in the usage that --force does not override the uncommitted-batch check', () => {
    expect(USAGE).toMatch(/never overrides the uncommitted-batch check/);
  });
});
