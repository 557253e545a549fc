import { buildTokenUsageInterval, expectInvalid, expectValid } from './testing';
import { validateTokenUsageInterval } from './token-usage-interval';

const NOW_MS = Date.parse('2026-03-01T12:00:00.000Z');
const OPTS = { nowMs: NOW_MS };

describe('tokens-interval.v1', () => {
  it('accepts a vLLM scrape interval and fills in the default tenant', () => {
    const { tenant: _tenant, ...input } = buildTokenUsageInterval({}, { nowMs: NOW_MS });
    expect(expectValid(validateTokenUsageInterval(input, OPTS))).toEqual({ ...input, tenant: 'default' });
  });

  it('accepts an interval without histograms or errors', () => {
    const { ttftMs: _t, durationMs: _d, errors: _e, ...input } = buildTokenUsageInterval({}, { nowMs: NOW_MS });
    expect(expectValid(validateTokenUsageInterval(input, OPTS)).requests).toBe(12);
  });

  it('rejects more errors than requests', () => {
    const input = buildTokenUsageInterval({ requests: 2, errors: 3 }, { nowMs: NOW_MS });
    expect(expectInvalid(validateTokenUsageInterval(input, OPTS))).toEqual([
      { path: '$.errors', message: 'must be <= requests (3 > 2)' },
    ]);
  });

  it('rejects histogram bounds that do not ascend and counts of the wrong length', () => {
    const input = buildTokenUsageInterval(
      { ttftMs: { boundsMs: [50, 50, 250], counts: [1, 2, 3], sumMs: 10 } },
      { nowMs: NOW_MS },
    );
    expect(expectInvalid(validateTokenUsageInterval(input, OPTS))).toEqual([
      { path: '$.ttftMs.boundsMs[1]', message: 'bounds must be strictly ascending' },
      { path: '$.ttftMs.counts', message: 'must have one more entry than boundsMs (4), has 3' },
    ]);
  });

  it('names every element-level problem with its index', () => {
    const input = buildTokenUsageInterval(
      { durationMs: { boundsMs: [100, -1], counts: [1, 0.5, 2], sumMs: 5 } },
      { nowMs: NOW_MS },
    );
    const paths = expectInvalid(validateTokenUsageInterval(input, OPTS)).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['$.durationMs.boundsMs[1]', '$.durationMs.counts[1]']));
  });

  it('rejects an interval of zero length, an unknown field and a non-array histogram', () => {
    const input = {
      ...buildTokenUsageInterval({ intervalMs: 0 }, { nowMs: NOW_MS }),
      ttftMs: { boundsMs: 'x', counts: [1], sumMs: 0 },
      extra: 1,
    };
    const paths = expectInvalid(validateTokenUsageInterval(input, OPTS)).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['$.intervalMs', '$.ttftMs.boundsMs', '$.extra']));
  });
});
