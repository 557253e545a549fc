import { ConfigValidationError, readEnv } from '@tokenmeter/telemetry';
import { thrownBy } from '@tokenmeter/telemetry/testing';
import type { Collection, Document } from 'mongodb';
import {
  chooseDialect,
  describeServer,
  dialectFor,
  POINT_READ_CONCURRENCY,
  STORAGE_DIALECTS,
  type StorageDialect,
} from './storage-dialect';
import { storageEnv, storageSettings } from './storage-settings';

const FERRETDB_BUILD_INFO = { version: '7.0.77', ferretdbVersion: 'v1.24.0' };
const MONGODB_BUILD_INFO = { version: '8.0.4' };

type Doc = Document & { _id: string };

/**
 * A collection of the given documents that answers `find({_id: {$in}})` and `findOne({_id})` as a
 * server would, and records the filters it was asked and the most reads it had open at once.
 */
function recordingCollection(docs: Doc[]) {
  const byId = new Map(docs.map((d) => [d._id, d]));
  const filters: Document[] = [];
  let open = 0;
  let mostOpen = 0;
  const project = (doc: Doc, options?: { projection?: Document }): Doc =>
    options?.projection === undefined
      ? doc
      : (Object.fromEntries(
          Object.entries(doc).filter(([k]) => k === '_id' || k in (options.projection ?? {})),
        ) as Doc);
  const collection = {
    find(filter: { _id: { $in: string[] } }, options?: { projection?: Document }) {
      filters.push(filter);
      return {
        toArray: () =>
          Promise.resolve(
            filter._id.$in.flatMap((id) => (byId.has(id) ? [project(byId.get(id) as Doc, options)] : [])),
          ),
      };
    },
    async findOne(filter: { _id: string }, options?: { projection?: Document }) {
      filters.push(filter);
      open += 1;
      mostOpen = Math.max(mostOpen, open);
      await new Promise((resolve) => setImmediate(resolve));
      open -= 1;
      const doc = byId.get(filter._id);
      return doc === undefined ? null : project(doc, options);
    },
  };
  return { collection: collection as unknown as Collection<Doc>, filters, mostOpen: () => mostOpen };
}

describe('choosing the dialect', () => {
  it('takes the dialect of the server that answers buildInfo', () => {
    expect(dialectFor(FERRETDB_BUILD_INFO).name).toBe('ferretdb');
    expect(dialectFor(MONGODB_BUILD_INFO).name).toBe('mongodb');
    expect(chooseDialect('auto', FERRETDB_BUILD_INFO)).toBe(STORAGE_DIALECTS.ferretdb);
    expect(chooseDialect('auto', MONGODB_BUILD_INFO)).toBe(STORAGE_DIALECTS.mongodb);
  });

  it('lets STORAGE_DIALECT force either dialect on either server', () => {
    expect(chooseDialect('mongodb', FERRETDB_BUILD_INFO)).toBe(STORAGE_DIALECTS.mongodb);
    expect(chooseDialect('ferretdb', MONGODB_BUILD_INFO)).toBe(STORAGE_DIALECTS.ferretdb);
  });

  it('names the server and its version', () => {
    expect(describeServer(FERRETDB_BUILD_INFO)).toBe('FerretDB v1.24.0');
    expect(describeServer(MONGODB_BUILD_INFO)).toBe('MongoDB 8.0.4');
  });
});

describe('STORAGE_DIALECT', () => {
  const read = (extra: Record<string, string>) => readEnv(storageEnv, { MONGO_URL: 'mongodb://db:27017/tm', ...extra });

  it('defaults to auto and passes a forced dialect on with the Mongo settings', () => {
    expect(storageSettings(read({})).dialect).toBe('auto');
    expect(storageSettings(read({ STORAGE_DIALECT: 'mongodb' }))).toMatchObject({ dbName: 'tm', dialect: 'mongodb' });
    expect(storageSettings(read({ STORAGE_DIALECT: 'ferretdb' })).dialect).toBe('ferretdb');
  });

  it('is validated at boot with the other variables', () => {
    const error = thrownBy(ConfigValidationError, () =>
      read({ STORAGE_DIALECT: 'postgres', MONGO_SERVER_SELECTION_TIMEOUT_MS: '1' }),
    );
    expect(error.problems).toEqual([
      expect.stringMatching(/^MONGO_SERVER_SELECTION_TIMEOUT_MS /),
      expect.stringMatching(/^STORAGE_DIALECT must be one of auto, mongodb, ferretdb/),
    ]);
  });
});

describe('the dialects', () => {
  it('lists by index range on MongoDB and by the time directory on FerretDB', () => {
    expect(STORAGE_DIALECTS.mongodb.rawListing).toBe('index-range');
    expect(STORAGE_DIALECTS.ferretdb.rawListing).toBe('time-directory');
  });

  it('reads rollups by range and writes them compare-and-set, in large commands, on MongoDB only', () => {
    expect(STORAGE_DIALECTS.mongodb).toMatchObject({
      rollupReads: 'range',
      compareAndSetWrites: true,
      updatesPerCommand: 500,
    });
    expect(STORAGE_DIALECTS.ferretdb).toMatchObject({ rollupReads: 'point', compareAndSetWrites: false });
  });

  it('keeps three processors on one FerretDB below the ~100 update statements that deadlock it', () => {
    const { updatesPerCommand, updateCommandsAtOnce } = STORAGE_DIALECTS.ferretdb;
    expect(3 * updatesPerCommand * updateCommandsAtOnce).toBeLessThan(100);
    expect(STORAGE_DIALECTS.mongodb.updateCommandsAtOnce).toBe(Number.POSITIVE_INFINITY);
  });

  const docs: Doc[] = Array.from({ length: 40 }, (_, i) => ({ _id: `d${i}`, v: i, s: 'slots' }));
  const wanted = ['d3', 'd1', 'missing', 'd3', ...Array.from({ length: 30 }, (_, i) => `d${i + 5}`)];

  it.each(Object.values(STORAGE_DIALECTS).map((d): [string, StorageDialect] => [d.name, d]))(
    'finds documents by ids (%s): each once, missing ones left out, projected',
    async (_name, dialect) => {
      const { collection } = recordingCollection(docs);
      const found = await dialect.findByIds(collection, wanted, { v: 1 });
      expect(found.map((d) => d._id).sort()).toEqual([...new Set(wanted)].filter((id) => id !== 'missing').sort());
      expect(found.every((d) => d.s === undefined && typeof d.v === 'number')).toBe(true);
      expect(await dialect.findByIds(collection, [])).toEqual([]);
    },
  );

  it('asks MongoDB one $in query and FerretDB only {_id} filters, a bounded window at a time', async () => {
    const mongo = recordingCollection(docs);
    await STORAGE_DIALECTS.mongodb.findByIds(mongo.collection, wanted);
    expect(mongo.filters).toEqual([{ _id: { $in: [...new Set(wanted)] } }]);

    const ferret = recordingCollection(docs);
    await STORAGE_DIALECTS.ferretdb.findByIds(ferret.collection, wanted);
    expect(ferret.filters).toHaveLength(new Set(wanted).size);
    expect(ferret.filters.every((f) => typeof f._id === 'string')).toBe(true);
    expect(ferret.mostOpen()).toBe(POINT_READ_CONCURRENCY);
  });
});
