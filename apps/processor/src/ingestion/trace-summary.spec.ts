import { summarizeTraces } from './trace-summary';

describe('summarizeTraces', () => {
  it('groups messages by trace in order of first appearance with their offset span and outcomes', () => {
    expect(
      summarizeTraces([
        { traceparent: 'b', offset: 7, outcome: 'stored' },
        { traceparent: 'a', offset: 5, outcome: 'duplicate' },
        { traceparent: 'b', offset: 9, outcome: 'dead_lettered' },
        { traceparent: 'b', offset: 8, outcome: 'stored' },
      ]),
    ).toEqual([
      { traceparent: 'b', fromOffset: 7, toOffset: 9, stored: 2, duplicates: 0, deadLettered: 1 },
      { traceparent: 'a', fromOffset: 5, toOffset: 5, stored: 0, duplicates: 1, deadLettered: 0 },
    ]);
  });

  it('has no lines for a batch without traced messages', () => {
    expect(summarizeTraces([])).toEqual([]);
  });
});
