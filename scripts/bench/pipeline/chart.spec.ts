import { escapeXml, niceTicks, renderChart } from './chart';
import { type MachineInfo, type PipelineBenchResults } from './results';

function sampleMachine(overrides: Partial<MachineInfo> = {}): MachineInfo {
  return {
    cpu: 'AMD EPYC 7763 64-Core Processor',
    cores: 8,
    memoryGiB: 32,
    os: 'Linux 6.8.0',
    node: 'v24.4.1',
    java: '21.0.7',
    kafka: '3.9.0',
    database: 'MongoDB 8.0.11',
    ...overrides,
  };
}

/** One run with round, recognisable numbers; the ratios follow from the rates as the bench computes them. */
function sampleResults(overrides: Partial<PipelineBenchResults> = {}): PipelineBenchResults {
  const ceilings = { kafkaProducerPerSec: 250_000, kafkaConsumerPerSec: 612_345, dbBulkInsertPerSec: 95_000 };
  const tokenmeter = { ingestPerSec: 142_345, storedPerSec: 81_234, sustainedPerSec: 74_321 };
  return {
    takenAt: '2026-05-04T09:30:00.000Z',
    durationSeconds: 312,
    machine: sampleMachine(),
    setup: {
      eventBytes: 640,
      partitions: 6,
      requestBatch: 500,
      processorBatch: 480,
      ceilingEvents: 2_000_000,
      backlogEvents: 150_000,
      ingestSeconds: 60,
      latencySeconds: 30,
      processorNodeOptions: '--max-old-space-size=160 --max-semi-space-size=8',
    },
    ceilings,
    tokenmeter,
    ratios: {
      storedVsDbCeiling: tokenmeter.storedPerSec / ceilings.dbBulkInsertPerSec,
      ingestVsKafkaProducer: tokenmeter.ingestPerSec / ceilings.kafkaProducerPerSec,
      sustainedVsKafkaProducer: tokenmeter.sustainedPerSec / ceilings.kafkaProducerPerSec,
    },
    latencyMs: [
      { fraction: 0.25, ratePerSec: 18_580, samples: 300, timedOut: 0, skipped: 0, p50: 212, p99: 431, max: 610 },
      { fraction: 0.5, ratePerSec: 37_160, samples: 300, timedOut: 0, skipped: 0, p50: 268, p99: 742, max: 1_204 },
      { fraction: 0.9, ratePerSec: 66_889, samples: 300, timedOut: 3, skipped: 12, p50: 455, p99: 1_530, max: 2_210 },
    ],
    cpuMsPer10k: { producer: 1_234, processor: 2_345 },
    peakRssMB: { producer: 187, processor: 301 },
    scaling: [
      { processors: 1, storedPerSec: 41_000 },
      { processors: 2, storedPerSec: 78_500 },
      { processors: 3, storedPerSec: 81_234 },
    ],
    targets: {
      storedVsDbCeiling: { target: 0.8, met: true },
      ingestVsKafkaProducer: { target: 0.5, met: true },
      e2eP99AtHalfRateMs: { target: 1_000, actual: 742, met: true },
      processorPeakRssMB: { target: 512, met: true },
    },
    ...overrides,
  };
}

/** Every element opened is closed, in order; returns the first problem or undefined. */
function tagBalanceProblem(svg: string): string | undefined {
  const open: string[] = [];
  for (const match of svg.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^<>]*?(\/?)>/g)) {
    const [, closing, name = '', selfClosing] = match;
    if (selfClosing === '/') continue;
    if (closing !== '/') {
      open.push(name);
      continue;
    }
    const last = open.pop();
    if (last !== name) return `</${name}> closes <${last ?? 'nothing'}>`;
  }
  return open.length === 0 ? undefined : `unclosed: ${open.join(', ')}`;
}

/** The text content of every <text> element, unescaped, so assertions read like the picture. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map(([, content = '']) =>
    content
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&'),
  );
}

describe('renderChart', () => {
  it('is one standalone SVG element with the SVG namespace', () => {
    const svg = renderChart(sampleResults());

    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/<script|<link|@import|href=/);
  });

  it('closes every element it opens', () => {
    expect(tagBalanceProblem(renderChart(sampleResults()))).toBeUndefined();
  });

  it('has a tag-balance checker that notices a missing or crossed close', () => {
    expect(tagBalanceProblem('<svg><g><rect/></g></svg>')).toBeUndefined();
    expect(tagBalanceProblem('<svg><g><text>x</text></svg>')).toBe('</svg> closes <g>');
    expect(tagBalanceProblem('<svg><g>')).toBe('unclosed: svg, g');
  });

  it('titles the four panels', () => {
    const all = texts(renderChart(sampleResults()));

    expect(all).toEqual(
      expect.arrayContaining([
        'Throughput vs ceilings (events/s)',
        'End-to-end latency (request sent → queryable)',
        'Processor instances on a 6-partition topic',
        'Resources and targets',
      ]),
    );
  });

  it('labels each throughput bar with its rate and each tokenmeter bar with its ratio to the ceiling', () => {
    const all = texts(renderChart(sampleResults()));

    expect(all).toEqual(
      expect.arrayContaining([
        '250,000/s',
        '612,345/s',
        '95,000/s',
        '142,345/s · 57% of Kafka producer',
        '81,234/s · 86% of DB ceiling',
        '74,321/s · 30% of Kafka producer',
      ]),
    );
  });

  it('draws the ingest and stored targets as ticks at 50% of the Kafka producer and 80% of the DB ceiling', () => {
    const svg = renderChart(sampleResults());
    const ceilingBars = [...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="20" fill="#aab4c0"/g)];
    const [producer, , db] = ceilingBars.map(([, x = '', width = '']) => ({ x: Number(x), width: Number(width) }));
    const tickXs = [...svg.matchAll(/<line x1="([\d.]+)"[^>]*stroke="#dc2626" stroke-width="2"\/>/g)].map(
      ([, x = '']) => Number(x),
    );

    expect(ceilingBars).toHaveLength(3);
    const ingestTarget = (producer?.x ?? 0) + (producer?.width ?? 0) * 0.5;
    const storedTarget = (db?.x ?? 0) + (db?.width ?? 0) * 0.8;
    expect(tickXs.some((x) => Math.abs(x - ingestTarget) <= 0.2)).toBe(true);
    expect(tickXs.some((x) => Math.abs(x - storedTarget) <= 0.2)).toBe(true);
  });

  it('labels the latency levels, the p99 target line and the values', () => {
    const all = texts(renderChart(sampleResults()));

    expect(all).toEqual(
      expect.arrayContaining(['25% · 18,580/s', '50% · 37,160/s', '90% · 66,889/s', 'p99 target at 50%: 1 s']),
    );
    expect(all).toEqual(expect.arrayContaining(['212', '742', '1,530', 'max 2,210 ms']));
  });

  it('says how many probes of a level timed out', () => {
    const all = texts(renderChart(sampleResults()));
    expect(all).toEqual(expect.arrayContaining(['300 probes', '300 probes, 3 timed out']));
  });

  it('scales the latency axis to at least 1,100 ms so the target line is always inside it', () => {
    const fast = sampleResults({
      latencyMs: [
        { fraction: 0.5, ratePerSec: 1_000, samples: 10, timedOut: 0, skipped: 0, p50: 20, p99: 40, max: 50 },
      ],
    });
    const all = texts(renderChart(fast));

    expect(all).toContain('1,200 ms');
    expect(all).not.toContain('1,400 ms');
  });

  it('shows stored events per second and the speed-up for each processor count', () => {
    const all = texts(renderChart(sampleResults()));

    expect(all).toEqual(
      expect.arrayContaining(['41,000/s', '78,500/s', '1 processor', '2 processors', '3 processors', '×1.9', '×2']),
    );
  });

  it('summarises resources, machine, run and targets', () => {
    const all = texts(renderChart(sampleResults()));

    expect(all).toEqual(
      expect.arrayContaining([
        'Producer: 1,234 CPU ms per 10k events · peak RSS 187 MB',
        'Processor: 2,345 CPU ms per 10k events · peak RSS 301 MB',
        'Machine: AMD EPYC 7763 64-Core Processor · 8 cores · 32 GiB RAM · Node v24.4.1 · Kafka 3.9.0 · MongoDB 8.0.11',
        expect.stringContaining('Taken 2026-05-04T09:30:00.000Z'),
        'p99 at 50% load ≤ 1,000 ms: 742 ms (met)',
      ]),
    );
  });

  it('marks met targets with ✓ and missed ones with ✗', () => {
    const met = texts(renderChart(sampleResults()));
    const results = sampleResults();
    results.targets.processorPeakRssMB = { target: 256, met: false };
    const missed = texts(renderChart(results));

    expect(met.filter((t) => t === '✓')).toHaveLength(4);
    expect(met).not.toContain('✗');
    expect(missed.filter((t) => t === '✓')).toHaveLength(3);
    expect(missed).toContain('✗');
    expect(missed).toContain('Processor peak RSS ≤ 256 MB: 301 MB (missed)');
  });

  it('escapes markup characters in texts taken from the results', () => {
    const svg = renderChart(sampleResults({ machine: sampleMachine({ cpu: `Xeon <&> "Gold" '6348'` }) }));

    expect(svg).toContain('Xeon &lt;&amp;&gt; &quot;Gold&quot; &#39;6348&#39;');
    expect(svg).not.toContain('<&>');
    expect(tagBalanceProblem(svg)).toBeUndefined();
  });

  it('draws the latency and scaling panels with "no data" when there are no measurements', () => {
    const svg = renderChart(sampleResults({ latencyMs: [], scaling: [] }));

    expect(texts(svg).filter((t) => t === 'no data')).toHaveLength(2);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(tagBalanceProblem(svg)).toBeUndefined();
  });

  it('draws a run where everything measured zero without NaN', () => {
    const zero = sampleResults({
      ceilings: { kafkaProducerPerSec: 0, kafkaConsumerPerSec: 0, dbBulkInsertPerSec: 0 },
      tokenmeter: { ingestPerSec: 0, storedPerSec: 0, sustainedPerSec: 0 },
      ratios: { storedVsDbCeiling: 0, ingestVsKafkaProducer: 0, sustainedVsKafkaProducer: 0 },
      latencyMs: [{ fraction: 0.5, ratePerSec: 0, samples: 0, timedOut: 0, skipped: 0, p50: 0, p99: 0, max: 0 }],
      scaling: [
        { processors: 1, storedPerSec: 0 },
        { processors: 2, storedPerSec: 0 },
      ],
    });
    const svg = renderChart(zero);

    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(texts(svg)).toContain('0/s · 0% of DB ceiling');
  });

  it('prints – for a rate the bench could not compute and keeps the axis of the others', () => {
    const results = sampleResults();
    results.ratios.storedVsDbCeiling = Number.NaN;
    results.ceilings.kafkaConsumerPerSec = Number.NaN;
    const svg = renderChart(results);

    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(texts(svg)).toEqual(expect.arrayContaining(['–/s', '81,234/s · – of DB ceiling', '250,000/s']));
    expect(texts(svg)).toContain('250,000');
    expect(texts(svg)).not.toContain('1');
  });
});

describe('escapeXml', () => {
  it('escapes the five XML special characters and leaves the rest alone', () => {
    expect(escapeXml(`a & b < c > d "e" 'f' → ✓`)).toBe('a &amp; b &lt; c &gt; d &quot;e&quot; &#39;f&#39; → ✓');
  });
});

describe('niceTicks', () => {
  it('steps by 1, 2 or 5 × 10^n from 0 to the first tick at or above max', () => {
    expect(niceTicks(1_100, 5)).toEqual([0, 500, 1_000, 1_500]);
    expect(niceTicks(1_100, 6)).toEqual([0, 200, 400, 600, 800, 1_000, 1_200]);
    expect(niceTicks(95_000, 5)).toEqual([0, 20_000, 40_000, 60_000, 80_000, 100_000]);
    expect(niceTicks(1_000, 5)).toEqual([0, 200, 400, 600, 800, 1_000]);
    expect(niceTicks(1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('gives an axis for 1 when max is zero, negative or not a number', () => {
    for (const max of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(niceTicks(max, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    }
  });

  it('always ends at or above max with at most count + 1 steps', () => {
    for (const max of [3, 7.5, 99, 101, 1_234, 612_345, 0.003]) {
      const ticks = niceTicks(max, 6);
      expect(ticks[0]).toBe(0);
      expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(max);
      expect(ticks.length).toBeLessThanOrEqual(8);
    }
  });
});
