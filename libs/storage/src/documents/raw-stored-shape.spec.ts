import { buildGpuSample, buildTokenUsageEvent } from '@tokenmeter/contracts/testing/factories';
import { Binary, BSON } from 'mongodb';
import { gpuSampleToDocument, RAW_INDEXES, tokenEventToDocument } from './raw-documents';
import { rawIndexesFor, readRawDocument, storedRawDocument } from './raw-stored-shape';

const ingestedAt = new Date('2026-12-07T01:00:00.500Z');
const storedAt = new Date('2026-12-07T01:00:01.250Z');

describe('raw document layouts', () => {
  const event = buildTokenUsageEvent({
    eventId: 'e-1',
    cachedInputTokens: 12,
    attributes: { region: 'eu-west-1', route: 'chat' },
  });
  const doc = tokenEventToDocument(event, { ingestedAt, storedAt, src: { p: 3, o: 1_234_567 } });

  it('stores every field as a field where raw events are listed by index range', () => {
    expect(storedRawDocument(doc, 'index-range')).toBe(doc);
    expect(rawIndexesFor('tokens', 'index-range')).toBe(RAW_INDEXES.tokens);
  });

  it('keeps _id, time and src as fields and packs the rest into `b` where the time directory lists', () => {
    const stored = storedRawDocument(doc, 'time-directory');
    expect(Object.keys(stored).sort()).toEqual(['_id', 'b', 'src', 'time']);
    expect(stored).toMatchObject({ _id: 'e-1', time: doc.time, src: { p: 3, o: 1_234_567 } });
    expect((stored as { b: unknown }).b).toBeInstanceOf(Binary);
    expect(rawIndexesFor('tokens', 'time-directory')).toEqual([]);
    expect(rawIndexesFor('gpu', 'time-directory')).toEqual([]);
  });

  it('reads a packed document back to exactly the document, dates and nested fields included', () => {
    const read = readRawDocument(storedRawDocument(doc, 'time-directory'));
    expect(read).toStrictEqual(doc);
    expect(read.ingestedAt).toBeInstanceOf(Date);
    expect(read.storedAt.toISOString()).toBe(storedAt.toISOString());
  });

  it('leaves absent optional fields absent, and never stores an undefined one', () => {
    const { ttftMs: _t, finishReason: _f, ...bare } = buildTokenUsageEvent({ eventId: 'e-2' });
    const minimal = tokenEventToDocument(bare, { storedAt });
    const packed = storedRawDocument({ ...minimal, ttftMs: undefined }, 'time-directory');
    expect(Object.keys(packed).sort()).toEqual(['_id', 'b', 'time']);
    const inside = BSON.deserialize((packed as { b: Binary }).b.buffer);
    expect(Object.keys(inside)).not.toContain('ttftMs');
    expect(readRawDocument(packed)).toStrictEqual(minimal);
  });

  it('reads a document stored with every field a field unchanged (written before packing, or by MongoDB)', () => {
    const sample = gpuSampleToDocument(buildGpuSample({ eventId: 'g-1' }), { storedAt });
    expect(readRawDocument(sample)).toBe(sample);
  });

  it('keeps the numbers of a packed document exact, large counters included', () => {
    const big = tokenEventToDocument(
      buildTokenUsageEvent({ eventId: 'e-3', inputTokens: 2 ** 40 + 7, outputTokens: 0, durationMs: 0.125 }),
      { storedAt },
    );
    expect(readRawDocument(storedRawDocument(big, 'time-directory'))).toStrictEqual(big);
  });
});
