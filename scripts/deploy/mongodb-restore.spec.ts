import { archiveTime, chooseArchive, parseOptions, restoreCommands, RestoreError, shellQuote } from './mongodb-restore';

const key = (stamp: string, release = 'mongodb', prefix = 'mongodb'): string =>
  `${prefix}/${release}-${stamp}.archive.gz`;
const options = (overrides: string[] = []) => parseOptions(['--bucket', 'tm-backups', ...overrides]);

describe('archiveTime', () => {
  it('reads the UTC stamp the backup CronJob writes', () => {
    expect(archiveTime(key('20261206T031700Z'), 'mongodb', 'mongodb')).toEqual(new Date('2026-12-06T03:17:00Z'));
  });

  it.each([
    ['another release', key('20261206T031700Z', 'mongodb-old')],
    ['another prefix', key('20261206T031700Z', 'mongodb', 'other')],
    ['a malformed stamp', key('2026-12-06')],
    ['an impossible date', key('20260231T000000Z')],
    ['a partial upload suffix', `${key('20261206T031700Z')}.tmp`],
  ])('ignores %s', (_what, objectKey) => {
    expect(archiveTime(objectKey, 'mongodb', 'mongodb')).toBeUndefined();
  });
});

describe('chooseArchive', () => {
  const keys = [key('20261204T031700Z'), key('20261206T031700Z'), key('20261205T031700Z'), 'mongodb/notes.txt'];

  it('takes the newest archive by its stamp, not by listing order', () => {
    expect(chooseArchive(keys, options())).toBe(key('20261206T031700Z'));
  });

  it('takes the newest taken at or before --at', () => {
    expect(chooseArchive(keys, options(['--at', '2026-12-05T12:00:00Z']))).toBe(key('20261205T031700Z'));
    expect(chooseArchive(keys, options(['--at', '2026-12-05T03:17:00Z']))).toBe(key('20261205T031700Z'));
  });

  it('fails when nothing is old enough or nothing is there', () => {
    expect(() => chooseArchive(keys, options(['--at', '2026-01-01T00:00:00Z']))).toThrow(
      /taken at or before 2026-01-01/,
    );
    expect(() => chooseArchive([], options())).toThrow(RestoreError);
  });

  it('takes an explicit --key only if it exists', () => {
    expect(chooseArchive(keys, options(['--key', key('20261204T031700Z')]))).toBe(key('20261204T031700Z'));
    expect(() => chooseArchive(keys, options(['--key', key('20261201T031700Z')]))).toThrow(/no object/);
  });
});

describe('restoreCommands', () => {
  it('streams the archive into mongorestore --drop of the app database through the replica set', () => {
    const { download, restore } = restoreCommands(options(['--replica-set', 'rs0']), key('20261206T031700Z'));
    expect(download).toEqual([
      'aws',
      's3',
      'cp',
      '--only-show-errors',
      's3://tm-backups/mongodb/mongodb-20261206T031700Z.archive.gz',
      '-',
    ]);
    expect(restore.slice(0, 10)).toEqual([
      'kubectl',
      '-n',
      'tokenmeter',
      'exec',
      '-i',
      'mongodb-0',
      '-c',
      'mongod',
      '--',
      'sh',
    ]);
    const script = restore[11];
    expect(script).toContain(
      `'--uri=mongodb://mongodb-0.mongodb-headless.tokenmeter.svc.cluster.local:27017,mongodb-1.mongodb-headless.tokenmeter.svc.cluster.local:27017,mongodb-2.mongodb-headless.tokenmeter.svc.cluster.local:27017/?authSource=admin&replicaSet=rs0'`,
    );
    expect(script).toContain(`'--archive' '--gzip' '--drop' '--nsInclude=tokenmeter.*'`);
    expect(script).not.toContain('--nsFrom');
    expect(script).toContain('--password="$MONGO_INITDB_ROOT_PASSWORD"');
  });

  it('connects to the client Service of a standalone, with TLS when asked', () => {
    const { restore } = restoreCommands(options(['--tls']), key('20261206T031700Z'));
    expect(restore[11]).toContain(
      `'--uri=mongodb://mongodb.tokenmeter.svc.cluster.local:27017/?authSource=admin&tls=true'`,
    );
    expect(restore[11]).toContain(`'--tlsCAFile=/etc/mongodb/tls/ca.crt'`);
  });

  it('renames the namespaces for a rehearsal into another database', () => {
    const { restore } = restoreCommands(options(['--target-database', 'tokenmeter_restore']), key('20261206T031700Z'));
    expect(restore[11]).toContain(`'--nsFrom=tokenmeter.*' '--nsTo=tokenmeter_restore.*'`);
  });
});

describe('parseOptions', () => {
  it('defaults to the chart defaults and a dry run', () => {
    expect(options()).toMatchObject({
      prefix: 'mongodb',
      release: 'mongodb',
      namespace: 'tokenmeter',
      database: 'tokenmeter',
      execute: false,
    });
    expect(options(['--yes', '--prefix', 'backups/mongodb/']).prefix).toBe('backups/mongodb');
  });

  it.each([
    [[], /--bucket is required/],
    [['--bucket'], /--bucket needs a value/],
    [['--bucket', 'b', '--at', 'yesterday'], /not an ISO-8601 time/],
    [['--bucket', 'b', '--at', '2026-12-06T00:00:00Z', '--key', 'k'], /exclude each other/],
    [['--bucket', 'b', '--members', '0'], /positive integer/],
    [['--bucket', 'b', '--target-database', 'x; rm'], /database names/],
    [['--bucket', 'b', '--force'], /unknown argument --force/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseOptions(argv)).toThrow(message);
  });
});

describe('shellQuote', () => {
  it('keeps a single quote inside a word', () => {
    expect(shellQuote(`a'b`)).toBe(`'a'\\''b'`);
  });
});
