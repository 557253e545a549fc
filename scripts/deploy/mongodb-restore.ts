// Restores a MongoDB backup written by the mongodb chart's backup CronJob
// (s3://<bucket>/<prefix>/<fullname>-<yyyymmddThhmmssZ>.archive.gz): picks the newest archive, the
// newest taken at or before --at, or the one named by --key, then streams it from S3 into
// `mongorestore --drop` run in a mongod pod (kubectl exec), which connects through the replica set
// so the writes reach the primary. --target-database restores into another database (a rehearsal
// that leaves the live one alone). Without --yes it only prints what it would run.
//
// The procedure around it (stop the writers, verify, resume) is docs/DEPLOY.md "Backups".
//
// Usage: node -r @swc-node/register scripts/deploy/mongodb-restore.ts --bucket B [--prefix mongodb]
//   [--release mongodb] [--namespace tokenmeter] [--database tokenmeter] [--target-database D]
//   [--replica-set rs0 --members 3] [--tls] [--at 2026-12-06T03:00:00Z | --key K] [--yes]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export interface RestoreOptions {
  bucket: string;
  prefix: string;
  /** The chart's fullname: archive base name, pod and Service names. */
  release: string;
  namespace: string;
  database: string;
  targetDatabase: string;
  /** Replica set name; empty for a standalone mongod. */
  replicaSet: string;
  members: number;
  tls: boolean;
  clusterDomain: string;
  at?: Date;
  key?: string;
  execute: boolean;
}

export class RestoreError extends Error {}

const archiveStamp = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.archive\.gz$/;

/** The time an archive was taken, from its key, or undefined for a key that is not one of ours. */
export function archiveTime(key: string, prefix: string, release: string): Date | undefined {
  const head = `${prefix}/${release}-`;
  if (!key.startsWith(head)) return undefined;
  const match = archiveStamp.exec(key.slice(head.length));
  if (match === null) return undefined;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = match.slice(1).map(Number);
  const time = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Rejects impossible stamps (month 13, 31 February) that Date.UTC would roll over.
  return time.getUTCMonth() === month - 1 && time.getUTCDate() === day ? time : undefined;
}

/** The archive to restore: --key if given (it must exist), else the newest at or before --at. */
export function chooseArchive(
  keys: readonly string[],
  options: Pick<RestoreOptions, 'prefix' | 'release' | 'at' | 'key'>,
): string {
  if (options.key !== undefined) {
    if (!keys.includes(options.key)) throw new RestoreError(`no object ${options.key} in the bucket`);
    return options.key;
  }
  const at = options.at;
  const candidates = keys
    .map((key) => ({ key, time: archiveTime(key, options.prefix, options.release) }))
    .filter((entry): entry is { key: string; time: Date } => entry.time !== undefined)
    .filter((entry) => at === undefined || entry.time.getTime() <= at.getTime())
    .sort((a, b) => b.time.getTime() - a.time.getTime());
  const [newest] = candidates;
  if (newest === undefined) {
    const when = at === undefined ? '' : ` taken at or before ${at.toISOString()}`;
    throw new RestoreError(`no archive ${options.prefix}/${options.release}-*.archive.gz${when}`);
  }
  return newest.key;
}

function memberHosts(options: RestoreOptions): string {
  const host = (name: string): string => `${name}.${options.namespace}.svc.${options.clusterDomain}:27017`;
  if (options.replicaSet === '') return host(options.release);
  return Array.from({ length: options.members }, (_, i) =>
    host(`${options.release}-${i}.${options.release}-headless`),
  ).join(',');
}

/** Single-quotes a word for the pod's /bin/sh. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The two commands of a restore: the download to stdout, and the kubectl exec that reads it. */
export function restoreCommands(options: RestoreOptions, key: string): { download: string[]; restore: string[] } {
  const uriOptions = [
    'authSource=admin',
    ...(options.replicaSet === '' ? [] : [`replicaSet=${options.replicaSet}`]),
    ...(options.tls ? ['tls=true'] : []),
  ].join('&');
  const mongorestore = [
    'mongorestore',
    `--uri=mongodb://${memberHosts(options)}/?${uriOptions}`,
    ...(options.tls ? ['--tlsCAFile=/etc/mongodb/tls/ca.crt'] : []),
    '--archive',
    '--gzip',
    '--drop',
    `--nsInclude=${options.database}.*`,
    ...(options.targetDatabase === options.database
      ? []
      : [`--nsFrom=${options.database}.*`, `--nsTo=${options.targetDatabase}.*`]),
  ];
  // The root credentials stay in the pod: its environment holds them, they never reach argv here.
  const script = `${mongorestore.map(shellQuote).join(' ')} --username="$MONGO_INITDB_ROOT_USERNAME" --password="$MONGO_INITDB_ROOT_PASSWORD"`;
  return {
    download: ['aws', 's3', 'cp', '--only-show-errors', `s3://${options.bucket}/${key}`, '-'],
    restore: [
      'kubectl',
      '-n',
      options.namespace,
      'exec',
      '-i',
      `${options.release}-0`,
      '-c',
      'mongod',
      '--',
      'sh',
      '-c',
      script,
    ],
  };
}

const usage =
  'usage: mongodb-restore.ts --bucket B [--prefix P] [--release R] [--namespace N] [--database D] [--target-database T] [--replica-set S --members M] [--tls] [--at ISO-8601 | --key K] [--yes]';

export function parseOptions(argv: readonly string[]): RestoreOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const valued = new Set([
    '--bucket',
    '--prefix',
    '--release',
    '--namespace',
    '--database',
    '--target-database',
    '--replica-set',
    '--members',
    '--at',
    '--key',
    '--cluster-domain',
  ]);
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--tls' || arg === '--yes') {
      flags.add(arg);
    } else if (valued.has(arg)) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new RestoreError(`${arg} needs a value\n${usage}`);
      values.set(arg, value);
      i += 1;
    } else {
      throw new RestoreError(`unknown argument ${arg}\n${usage}`);
    }
  }
  const bucket = values.get('--bucket');
  if (bucket === undefined) throw new RestoreError(`--bucket is required\n${usage}`);
  if (values.has('--at') && values.has('--key')) throw new RestoreError('--at and --key exclude each other');
  const atText = values.get('--at');
  const at = atText === undefined ? undefined : new Date(atText);
  if (at !== undefined && Number.isNaN(at.getTime())) throw new RestoreError(`--at ${atText} is not an ISO-8601 time`);
  const members = Number(values.get('--members') ?? '3');
  if (!Number.isInteger(members) || members < 1) throw new RestoreError('--members must be a positive integer');
  const database = values.get('--database') ?? 'tokenmeter';
  const name = /^[A-Za-z0-9_-]+$/;
  const targetDatabase = values.get('--target-database') ?? database;
  if (!name.test(database) || !name.test(targetDatabase))
    throw new RestoreError('database names are letters, digits, _ and -');
  return {
    bucket,
    prefix: (values.get('--prefix') ?? 'mongodb').replace(/\/+$/, ''),
    release: values.get('--release') ?? 'mongodb',
    namespace: values.get('--namespace') ?? 'tokenmeter',
    database,
    targetDatabase,
    replicaSet: values.get('--replica-set') ?? '',
    members,
    tls: flags.has('--tls'),
    clusterDomain: values.get('--cluster-domain') ?? 'cluster.local',
    at,
    key: values.get('--key'),
    execute: flags.has('--yes'),
  };
}

function listKeys(options: RestoreOptions): string[] {
  const listed = spawnSync(
    'aws',
    [
      's3api',
      'list-objects-v2',
      '--bucket',
      options.bucket,
      '--prefix',
      `${options.prefix}/`,
      '--query',
      'Contents[].Key',
      '--output',
      'json',
    ],
    { encoding: 'utf8' },
  );
  if (listed.status !== 0) throw new RestoreError(`aws s3api list-objects-v2 failed: ${listed.stderr}`);
  const keys = JSON.parse(listed.stdout) as string[] | null;
  return keys ?? [];
}

async function main(argv: readonly string[]): Promise<void> {
  const options = parseOptions(argv);
  const key = chooseArchive(listKeys(options), options);
  const { download, restore } = restoreCommands(options, key);
  process.stdout.write(
    `archive: s3://${options.bucket}/${key}\n${download.join(' ')} | ${restore.map(shellQuote).join(' ')}\n`,
  );
  if (!options.execute) {
    process.stdout.write('dry run: add --yes to restore\n');
    return;
  }
  const [downloadCommand = 'aws', ...downloadArgs] = download;
  const [restoreCommand = 'kubectl', ...restoreArgs] = restore;
  const source: ChildProcess = spawn(downloadCommand, downloadArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
  const sink: ChildProcess = spawn(restoreCommand, restoreArgs, { stdio: ['pipe', 'inherit', 'inherit'] });
  if (source.stdout === null || sink.stdin === null)
    throw new RestoreError('could not connect the download to mongorestore');
  source.stdout.pipe(sink.stdin);
  const exited = (child: ChildProcess): Promise<number | null> =>
    new Promise((resolve) => {
      child.on('close', (code: number | null) => resolve(code));
    });
  const [downloaded, restored] = await Promise.all([exited(source), exited(sink)]);
  if (downloaded !== 0 || restored !== 0) {
    throw new RestoreError(`restore failed (download exit ${downloaded}, mongorestore exit ${restored})`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
