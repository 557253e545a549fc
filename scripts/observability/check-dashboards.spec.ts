import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';

import {
  type CheckContext,
  DASHBOARDS_DIR,
  DEFAULT_METRICS,
  type MetricType,
  OPENAPI_FILE,
  buildCatalog,
  checkAll,
  checkDashboard,
  checkDocs,
  headingAnchors,
  main,
  metricNamesIn,
  metricsDeclaredIn,
  readQueryApi,
  readRules,
  unknownMetricReason,
} from './check-dashboards';

const PROM = { type: 'prometheus', uid: '${datasource}' };
const INFINITY = { type: 'yesoreyeram-infinity-datasource', uid: '${queryapi}' };

let nextId = 1;
function promPanel(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const id = nextId++;
  return {
    id,
    type: 'timeseries',
    title: `panel ${id}`,
    gridPos: { x: 0, y: id * 8, w: 12, h: 8 },
    datasource: PROM,
    targets: [{ refId: 'A', datasource: PROM, expr: 'sum(rate(tokenmeter_processor_events_total[5m]))' }],
    ...overrides,
  };
}

function infinityPanel(url: string, params: Array<{ key: string; value: string }> = []): Record<string, unknown> {
  return promPanel({
    datasource: INFINITY,
    targets: [{ refId: 'A', datasource: INFINITY, type: 'json', source: 'url', url, url_options: { params } }],
  });
}

function dashboardJson(panels: unknown[], overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    uid: 'test-dashboard',
    title: 'Test',
    schemaVersion: 39,
    templating: {
      list: [
        { name: 'datasource', type: 'datasource', query: 'prometheus' },
        { name: 'queryapi', type: 'datasource', query: 'yesoreyeram-infinity-datasource' },
      ],
    },
    panels,
    ...overrides,
  });
}

const ctx: CheckContext = {
  catalog: buildCatalog(),
  recorded: new Set(['job:http_requests:rate5m']),
  queryApi: readQueryApi(readFileSync(OPENAPI_FILE, 'utf8')),
};

describe('metricNamesIn', () => {
  it.each([
    ['sum by (job) (rate(http_requests_total{status_code=~"5.."}[5m]))', ['http_requests_total']],
    ['sum without (instance) (up) / on (job) group_left (version) nodejs_version_info', ['up', 'nodejs_version_info']],
    ['histogram_quantile(0.99, sum by (le) (rate(a_bucket{x="}{"}[$__rate_interval])))', ['a_bucket']],
    ['rate(a_total[5m] offset 1h) > bool 1e3 and b unless c or d', ['a_total', 'b', 'c', 'd']],
    ['max(a{topic=~"$topic"}) * ${factor} + [[legacy]] - $__range_s', ['a']],
    ['topic:foo:ratio_rate5m > (14.4 * 0.01) # a comment naming not_a_metric', ['topic:foo:ratio_rate5m']],
    ['label_replace(a, "dst", "$1", "src", "(.*)") @ start()', ['a']],
  ])('%s', (expr, names) => {
    expect(metricNamesIn(expr)).toEqual(names);
  });
});

describe('unknownMetricReason', () => {
  const catalog = new Map<string, MetricType>([
    ['h_seconds', 'histogram'],
    ['c_total', 'counter'],
  ]);
  const recorded = new Set(['job:c:rate5m']);

  it('accepts catalog metrics, histogram series, recording rules and up', () => {
    for (const name of ['c_total', 'h_seconds_bucket', 'h_seconds_sum', 'h_seconds_count', 'job:c:rate5m', 'up']) {
      expect(unknownMetricReason(name, catalog, recorded)).toBeUndefined();
    }
  });

  it('rejects unknown names, a bare histogram and histogram suffixes on a counter', () => {
    expect(unknownMetricReason('c_totl', catalog, recorded)).toBe('unknown metric "c_totl"');
    expect(unknownMetricReason('h_seconds', catalog, recorded)).toMatch(/is a histogram: select h_seconds_bucket/);
    expect(unknownMetricReason('c_total_bucket', catalog, recorded)).toBe('unknown metric "c_total_bucket"');
  });
});

describe('the metric catalog', () => {
  it('reads names and types from counter/gauge/histogram calls', () => {
    const source = `
      const a = counter({ help: 'x {y}', name: 'a_total', labelNames: ['topic'] as const });
      readonly b = histogram<'topic'>({
        name: 'b_seconds',
        buckets: [1, 2],
      });
      const c = new Gauge({ name: "c_messages", help: 'h' });
      const notAMetric = { name: 'ignored' };`;
    expect(metricsDeclaredIn(source)).toEqual([
      { name: 'a_total', type: 'counter' },
      { name: 'b_seconds', type: 'histogram' },
      { name: 'c_messages', type: 'gauge' },
    ]);
  });

  it('holds the metrics the apps and libs register', () => {
    const catalog = buildCatalog();
    expect(catalog.get('tokenmeter_processor_e2e_latency_seconds')).toBe('histogram');
    expect(catalog.get('tokenmeter_processor_consumer_lag_messages')).toBe('gauge');
    expect(catalog.get('tokenmeter_producer_events_total')).toBe('counter');
    expect(catalog.get('http_requests_total')).toBe('counter');
    expect(catalog.get('http_request_duration_seconds')).toBe('histogram');
    expect(catalog.get('tokenmeter_cost_month_to_date')).toBe('gauge');
    expect(catalog.get('tokenmeter_cost_budget_monthly')).toBe('gauge');
    expect([...catalog.keys()].filter((n) => n.startsWith('tokenmeter_'))).toHaveLength(18);
  });

  it('lists every default metric prom-client registers on this platform, with its type', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const registered = (await registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]);
    registry.clear();
    expect(registered.length).toBeGreaterThan(10);
    for (const [name, type] of registered) expect([name, DEFAULT_METRICS[name as string]]).toEqual([name, type]);
  });
});

describe('checkDashboard', () => {
  it('accepts a well-formed dashboard', () => {
    const json = dashboardJson([
      promPanel(),
      infinityPanel('/v1/tokens/series', [
        { key: 'groupBy', value: 'model' },
        { key: 'step', value: '$step' },
      ]),
      infinityPanel('/v1/events/tokens?limit=10'),
      infinityPanel('/v1/events/tokens/some-event-id'),
    ]);
    expect(checkDashboard('d.json', json, ctx)).toEqual([]);
  });

  it('names the file, panel, expr and metric of a wrong metric name', () => {
    const expr = 'sum(rate(tokenmeter_processor_event_total{outcome="stored"}[5m]))';
    const panel = promPanel({ title: 'Stored rate', targets: [{ refId: 'A', datasource: PROM, expr }] });
    expect(checkDashboard('d.json', dashboardJson([panel]), ctx)).toEqual([
      `d.json: panel "Stored rate" (id ${String(panel.id)}) target A: unknown metric ` +
        `"tokenmeter_processor_event_total" in expr ${JSON.stringify(expr)}`,
    ]);
  });

  it('checks the queries of templating variables', () => {
    const json = dashboardJson([promPanel()], {
      templating: {
        list: [
          { name: 'datasource', type: 'datasource', query: 'prometheus' },
          { name: 'topic', type: 'query', datasource: PROM, query: { query: 'label_values(nope_total, topic)' } },
          { name: 'job', type: 'query', datasource: PROM, query: 'label_values(job)' },
        ],
      },
    });
    expect(checkDashboard('d.json', json, ctx)).toEqual([
      'd.json: variable "topic": unknown metric "nope_total" in expr "nope_total"',
    ]);
  });

  it('reports structure problems', () => {
    const a = promPanel({ id: 7, gridPos: undefined });
    const b = promPanel({ id: 7, type: '', targets: [{ refId: 'A', datasource: PROM, expr: ' ' }] });
    const problems = checkDashboard('d.json', dashboardJson([a, b], { uid: '' }), ctx);
    expect(problems).toEqual([
      'd.json: no uid',
      `d.json: panel "${String(a.title)}" (id 7): no gridPos {x, y, w, h}`,
      `d.json: panel "${String(b.title)}" (id 7): id also used by panel "${String(a.title)}"`,
      `d.json: panel "${String(b.title)}" (id 7): no type`,
      `d.json: panel "${String(b.title)}" (id 7) target A: empty expr`,
    ]);
    expect(checkDashboard('d.json', '{ not json', ctx)[0]).toMatch(/^d\.json: not valid JSON/);
  });

  it('checks Infinity targets against the query API', () => {
    const problems = checkDashboard(
      'd.json',
      dashboardJson([
        infinityPanel('/v1/tokens/seriess'),
        infinityPanel('/v1/gpus/series', [
          { key: 'step', value: '7m' },
          { key: 'groupBy', value: 'node' },
        ]),
      ]),
      ctx,
    );
    expect(problems.map((p) => p.replace(/^.*target A: /, ''))).toEqual([
      'url "/v1/tokens/seriess" is not a query API path (openapi.json)',
      '/v1/gpus/series?step=7m is not one of 1m, 5m, 15m, 1h, 6h, 1d',
      '/v1/gpus/series has no query parameter "groupBy"',
    ]);
  });
});

describe('readRules', () => {
  it('reads plain, quoted and block expressions, records and runbook anchors', () => {
    const rules = readRules(`groups:
  - name: g
    rules:
      - record: job:a:rate5m
        expr: sum by (job) (rate(a_total[5m]))
      - alert: A
        expr: |
          job:a:rate5m
          > 1
        for: 5m
        annotations:
          runbook_url: https://example.com/docs/X.md#a-anchor
      - alert: B
        expr: 'b == 0' # trailing comment
`);
    expect(rules.recorded).toEqual(new Set(['job:a:rate5m']));
    expect(rules.exprs).toEqual([
      { rule: 'record job:a:rate5m', expr: 'sum by (job) (rate(a_total[5m]))' },
      { rule: 'alert A', expr: 'job:a:rate5m\n> 1' },
      { rule: 'alert B', expr: 'b == 0' },
    ]);
    expect(rules.runbookAnchors).toEqual([{ rule: 'alert A', anchor: 'a-anchor' }]);
  });
});

describe('checkDocs', () => {
  it('wants every catalog metric in backticks and every runbook and link anchor as a section', () => {
    const catalog = new Map<string, MetricType>([
      ['a_total', 'counter'],
      ['b_seconds', 'histogram'],
    ]);
    const rules = { exprs: [], recorded: new Set<string>(), runbookAnchors: [{ rule: 'alert B', anchor: 'b-alert' }] };
    const markdown = '# Doc\n\n`a_total` counts. See [A](#a-alert).\n\n### A alert\n';
    expect(checkDocs('D.md', markdown, catalog, rules)).toEqual([
      'D.md: metric `b_seconds` is not documented',
      'D.md: no section #b-alert (runbook_url of alert B)',
    ]);
    expect(headingAnchors('## TokenmeterFooBar\n### Every service (`job` = a, b)')).toEqual(
      new Set(['tokenmeterfoobar', 'every-service-job--a-b']),
    );
  });
});

describe('the committed dashboards, rules and docs', () => {
  it('pass the check', () => {
    expect(checkAll().problems).toEqual([]);
  });

  it('fail it when a dashboard names a metric the apps do not expose', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboards-'));
    try {
      const dashboard = JSON.parse(readFileSync(join(DASHBOARDS_DIR, 'pipeline-overview.json'), 'utf8')) as {
        panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
      };
      const target = dashboard.panels.find((p) => p.title === 'Producer Kafka available')?.targets?.[0];
      if (target === undefined) throw new Error('the pipeline dashboard lost its Kafka panel');
      target.expr = target.expr.replace('tokenmeter_producer_kafka_available', 'tokenmeter_producer_kafka_up');
      writeFileSync(join(dir, 'pipeline-overview.json'), JSON.stringify(dashboard));
      const problems = checkAll(dir).problems;
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain('panel "Producer Kafka available"');
      expect(problems[0]).toContain('unknown metric "tokenmeter_producer_kafka_up"');

      const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      expect(main([dir])).toBe(1);
      expect(errors).toHaveBeenCalledWith(expect.stringContaining('tokenmeter_producer_kafka_up'));
      errors.mockRestore();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
