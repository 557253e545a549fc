// The scrape fixtures are well-formed expositions, so the scraper specs test the scrapers and not
// the parser's error recovery; only the edge-case file breaks a line, on purpose.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parsePrometheusText } from '@tokenmeter/telemetry';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

describe('scrape fixtures', () => {
  it('parses every fixture; only the edge-case file has a (deliberately) malformed line', () => {
    for (const name of ['dcgm-legacy.prom', 'dcgm-current.prom', 'vllm-1.prom', 'vllm-2.prom', 'vllm-3-reset.prom']) {
      expect({ name, errors: parsePrometheusText(fixture(name)).errors }).toEqual({ name, errors: [] });
    }
    const edge = parsePrometheusText(fixture('dcgm-edge-cases.prom'));
    expect(edge.errors).toEqual([{ line: 14, message: 'expected "," or "}" at column 53' }]);
    expect(edge.samples.find((sample) => sample.labels['gpu'] === '4')?.labels).toMatchObject({
      modelName: 'NVIDIA A100 "SXM4" 80GB \\ rev B',
      pod: 'trainer-{a,b}',
      note: 'first\nsecond',
    });
  });
});
