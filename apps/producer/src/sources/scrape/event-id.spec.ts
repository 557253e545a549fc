import { EVENT_ID_PATTERN, MAX_EVENT_ID_LENGTH } from '@tokenmeter/contracts';

import { scrapedEventId } from './event-id';

const T = Date.UTC(2026, 0, 15, 9, 30, 0);

describe('scrapedEventId', () => {
  it('is deterministic and tagged with the source host', () => {
    const id = scrapedEventId('http://gpu-node-01:9400/metrics', ['gpu-node-01', 0], T);
    expect(scrapedEventId('http://gpu-node-01:9400/metrics', ['gpu-node-01', 0], T)).toBe(id);
    expect(id).toMatch(/^gpu-node-01-[0-9a-f]{40}$/);
  });

  it('changes with the source, every series element and the time', () => {
    const ids = [
      scrapedEventId('http://a:9400/metrics', ['n', 0], T),
      scrapedEventId('http://a:9401/metrics', ['n', 0], T),
      scrapedEventId('http://a:9400/metrics', ['n', 1], T),
      scrapedEventId('http://a:9400/metrics', ['n', '0'], T),
      scrapedEventId('http://a:9400/metrics', ['m', 0], T),
      scrapedEventId('http://a:9400/metrics', ['n', 0], T + 1),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each([
    'nvidia-smi',
    'http://[::1]:8000/metrics',
    'unix:///var/run/vllm.sock',
    '',
    '%%%',
    `https://${'very-long-host-name.'.repeat(20)}example:8000/metrics`,
    'ünïcödé source\n',
  ])('stays within the contract for the source %j', (source) => {
    const id = scrapedEventId(source, ['node', 'model/with spaces'], T);
    expect(id).toMatch(new RegExp(EVENT_ID_PATTERN));
    expect(id.length).toBeGreaterThan(0);
    expect(id.length).toBeLessThanOrEqual(MAX_EVENT_ID_LENGTH);
  });
});
