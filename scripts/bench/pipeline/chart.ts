/**
 * Draws one pipeline bench run (bench/results/pipeline-*.json, issue 7) as a standalone SVG a
 * reviewer can open in a browser without reading the JSON:
 *
 * 1. throughput of tokenmeter next to the Kafka and database ceilings measured in the same run,
 *    with the ratio targets as tick marks;
 * 2. end-to-end latency (request sent → readable through the query API) per load level;
 * 3. stored events per second for 1, 2, 3 … processor instances;
 * 4. CPU and memory per service, the machine, and which targets were met.
 *
 * Hand-written SVG strings, no fonts, scripts or dependencies. Ratios and targets in the results
 * are fractions (0.5 = 50%). Every text goes through escapeXml; every scale guards against zero.
 */
import type { LatencyLevel, PipelineBenchResults, ScalingPoint } from './results';

const WIDTH = 1100;
const MARGIN = 16;
const GAP = 12;
const FONT = 'Helvetica, Arial, sans-serif';

const COLOR = {
  ceiling: '#aab4c0',
  tokenmeter: '#2563eb',
  p50: '#93c5fd',
  p99: '#1d4ed8',
  target: '#dc2626',
  axis: '#6b7280',
  grid: '#e5e7eb',
  muted: '#6b7280',
  panel: '#f9fafb',
  border: '#d1d5db',
  met: '#15803d',
  missed: '#dc2626',
} as const;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function renderChart(results: PipelineBenchResults): string {
  const throughput: Box = { x: MARGIN, y: 64, width: WIDTH - 2 * MARGIN, height: 300 };
  const latency: Box = { x: MARGIN, y: bottomOf(throughput) + GAP, width: 640, height: 330 };
  const scalingX = latency.x + latency.width + GAP;
  const scaling: Box = { x: scalingX, y: latency.y, width: WIDTH - MARGIN - scalingX, height: latency.height };
  const summary: Box = { x: MARGIN, y: bottomOf(latency) + GAP, width: WIDTH - 2 * MARGIN, height: 166 };
  const height = bottomOf(summary) + MARGIN;

  const svgAttrs = { xmlns: 'http://www.w3.org/2000/svg', width: WIDTH, height, viewBox: `0 0 ${WIDTH} ${height}` };
  const body = [
    el('title', {}, 'tokenmeter pipeline benchmark'),
    rect(0, 0, WIDTH, height, '#ffffff'),
    header(),
    throughputPanel(results, throughput),
    latencyPanel(results, latency),
    scalingPanel(results, scaling),
    summaryPanel(results, summary),
  ];
  return el('svg', { ...svgAttrs, 'font-family': FONT, 'font-size': 12 }, `\n${body.join('\n')}\n`) + '\n';
}

function header(): string {
  return [
    text(MARGIN, 30, 'tokenmeter pipeline benchmark', { 'font-size': 18, 'font-weight': 'bold' }),
    text(
      MARGIN,
      50,
      'Gray bars: limits of Kafka and the database measured on the same servers in the same run. Blue: tokenmeter.',
      { fill: COLOR.muted },
    ),
  ].join('\n');
}

// ---- Panel 1: throughput against the ceilings --------------------------------------------------

interface ThroughputBar {
  label: string;
  perSec: number;
  kind: 'ceiling' | 'tokenmeter';
  /** "57% of Kafka producer": shown after the value. */
  ratio?: string;
  /** Events per second the target asks for, drawn as a tick on the bar. */
  targetPerSec?: number;
}

function throughputBars(results: PipelineBenchResults): ThroughputBar[] {
  const { ceilings, tokenmeter, ratios, targets } = results;
  return [
    { label: 'Kafka producer perf ceiling', perSec: ceilings.kafkaProducerPerSec, kind: 'ceiling' },
    { label: 'Kafka consumer perf ceiling', perSec: ceilings.kafkaConsumerPerSec, kind: 'ceiling' },
    { label: 'DB raw bulk-insert ceiling', perSec: ceilings.dbBulkInsertPerSec, kind: 'ceiling' },
    {
      label: 'tokenmeter ingest (producer 202s)',
      perSec: tokenmeter.ingestPerSec,
      kind: 'tokenmeter',
      ratio: `${formatPercent(ratios.ingestVsKafkaProducer)} of Kafka producer`,
      targetPerSec: targets.ingestVsKafkaProducer.target * ceilings.kafkaProducerPerSec,
    },
    {
      label: 'tokenmeter stored (processor)',
      perSec: tokenmeter.storedPerSec,
      kind: 'tokenmeter',
      ratio: `${formatPercent(ratios.storedVsDbCeiling)} of DB ceiling`,
      targetPerSec: targets.storedVsDbCeiling.target * ceilings.dbBulkInsertPerSec,
    },
    {
      label: 'tokenmeter sustained (both running)',
      perSec: tokenmeter.sustainedPerSec,
      kind: 'tokenmeter',
      ratio: `${formatPercent(ratios.sustainedVsKafkaProducer)} of Kafka producer`,
    },
  ];
}

const ROW_HEIGHT = 32;
const BAR_HEIGHT = 20;
const LABEL_COLUMN = 270;
/** Room right of the longest bar for "1,234,567/s · 100% of Kafka producer" in bold. */
const VALUE_ROOM = 290;

function throughputPanel(results: PipelineBenchResults, box: Box): string {
  const bars = throughputBars(results);
  const plotLeft = box.x + LABEL_COLUMN;
  const plotWidth = box.width - LABEL_COLUMN - VALUE_ROOM;
  const plot: Box = { x: plotLeft, y: box.y + 62, width: plotWidth, height: bars.length * ROW_HEIGHT };
  // The targets are on the axis too, so a tick beyond every bar still lands inside the plot.
  const ticks = niceTicks(maxOf(bars.flatMap((bar) => [bar.perSec, bar.targetPerSec ?? 0])), 8);
  const scale = linearScale(lastOf(ticks), plot.width);
  const { ingestVsKafkaProducer: ingest, storedVsDbCeiling: stored } = results.targets;
  const legend = [
    swatch(plotLeft, box.y + 36, COLOR.ceiling, 'measured limit'),
    swatch(plotLeft + 130, box.y + 36, COLOR.tokenmeter, 'tokenmeter'),
    line(plotLeft + 240, box.y + 36, plotLeft + 240, box.y + 48, COLOR.target, { 'stroke-width': 2 }),
    text(
      plotLeft + 248,
      box.y + 46,
      `target: ingest ≥ ${formatPercent(ingest.target)} of Kafka producer, stored ≥ ${formatPercent(stored.target)} of DB ceiling`,
    ),
  ];
  return group([
    panelFrame(box, 'Throughput vs ceilings (events/s)'),
    ...legend,
    verticalGrid(ticks, plot, scale),
    ...bars.map((bar, row) =>
      throughputRow(bar, plot.y + row * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2, plot, scale),
    ),
  ]);
}

function throughputRow(bar: ThroughputBar, top: number, plot: Box, scale: Scale): string {
  const fill = bar.kind === 'ceiling' ? COLOR.ceiling : COLOR.tokenmeter;
  const barEnd = plot.x + scale(bar.perSec);
  const middle = top + BAR_HEIGHT / 2 + 4;
  const parts = [
    text(plot.x - 10, middle, bar.label, { 'text-anchor': 'end' }),
    rect(plot.x, top, barEnd - plot.x, BAR_HEIGHT, fill),
  ];
  let labelX = barEnd + 6;
  if (bar.targetPerSec !== undefined) {
    const tickX = plot.x + scale(bar.targetPerSec);
    parts.push(line(tickX, top - 5, tickX, top + BAR_HEIGHT + 5, COLOR.target, { 'stroke-width': 2 }));
    labelX = Math.max(labelX, tickX + 6);
  }
  const label =
    bar.ratio === undefined ? `${formatCount(bar.perSec)}/s` : `${formatCount(bar.perSec)}/s · ${bar.ratio}`;
  parts.push(text(labelX, middle, label, { 'font-weight': bar.kind === 'tokenmeter' ? 'bold' : 'normal' }));
  return parts.join('\n');
}

function verticalGrid(ticks: number[], plot: Box, scale: Scale): string {
  const bottom = plot.y + plot.height;
  return ticks
    .map((tick) => {
      const x = plot.x + scale(tick);
      return [
        line(x, plot.y, x, bottom, COLOR.grid),
        text(x, bottom + 16, formatCount(tick), { 'text-anchor': 'middle', 'font-size': 11, fill: COLOR.muted }),
      ].join('\n');
    })
    .join('\n');
}

// ---- Panel 2: end-to-end latency per load level --------------------------------------------------

function latencyPanel(results: PipelineBenchResults, box: Box): string {
  const title = 'End-to-end latency (request sent → queryable)';
  const levels = results.latencyMs;
  if (levels.length === 0) return group([panelFrame(box, title), noData(box)]);

  const targetMs = results.targets.e2eP99AtHalfRateMs.target;
  const plot = columnPlot(box, 70);
  const ticks = niceTicks(maxOf([targetMs * 1.1, ...levels.flatMap((level) => [level.p50, level.p99])]), 6);
  const scale = linearScale(lastOf(ticks), plot.height);
  const targetY = plot.y + plot.height - scale(targetMs);
  const legendX = box.x + 70;
  const groupWidth = plot.width / levels.length;
  return group([
    panelFrame(box, title),
    swatch(legendX, box.y + 36, COLOR.p50, 'p50'),
    swatch(legendX + 60, box.y + 36, COLOR.p99, 'p99'),
    line(legendX + 120, box.y + 42, legendX + 144, box.y + 42, COLOR.target, { 'stroke-dasharray': '6 4' }),
    text(legendX + 150, box.y + 46, `p99 target at 50%: ${formatDuration(targetMs)}`),
    horizontalGrid(ticks, plot, scale, (tick) => `${formatCount(tick)} ms`),
    ...levels.map((level, index) => latencyGroup(level, plot.x + groupWidth * (index + 0.5), groupWidth, plot, scale)),
    line(plot.x, targetY, plot.x + plot.width, targetY, COLOR.target, {
      'stroke-dasharray': '6 4',
      'stroke-width': 1.5,
    }),
  ]);
}

function latencyGroup(level: LatencyLevel, center: number, groupWidth: number, plot: Box, scale: Scale): string {
  const barWidth = Math.min(40, groupWidth * 0.3);
  const bottom = plot.y + plot.height;
  const valueRoom = barWidth + 4;
  const share = formatPercent(level.fraction);
  const load = fitting(
    `${share} · ${formatCount(level.ratePerSec)}/s`,
    `${share} · ${formatCompact(level.ratePerSec)}/s`,
    groupWidth - 6,
    12,
  );
  const probes =
    level.timedOut > 0
      ? `${formatCount(level.samples)} probes, ${formatCount(level.timedOut)} timed out`
      : `${formatCount(level.samples)} probes`;
  const labels = [load, probes, `max ${formatCount(level.max)} ms`];
  const p50 = fitting(formatCount(level.p50), formatCompact(level.p50), valueRoom, 10);
  const p99 = fitting(formatCount(level.p99), formatCompact(level.p99), valueRoom, 10);
  return [
    valueColumn(center - barWidth - 2, barWidth, level.p50, COLOR.p50, p50, plot, scale),
    valueColumn(center + 2, barWidth, level.p99, COLOR.p99, p99, plot, scale),
    ...labels.map((label, row) =>
      text(center, bottom + 16 + row * 14, label, {
        'text-anchor': 'middle',
        ...(row === 0 ? {} : { 'font-size': 10, fill: COLOR.muted }),
      }),
    ),
  ].join('\n');
}

// ---- Panel 3: processor scaling ------------------------------------------------------------------

function scalingPanel(results: PipelineBenchResults, box: Box): string {
  const title = `Processor instances on a ${formatCount(results.setup.partitions)}-partition topic`;
  const points = [...results.scaling].sort((a, b) => a.processors - b.processors);
  const first = points[0];
  if (first === undefined) return group([panelFrame(box, title), noData(box)]);

  const plot = columnPlot(box, 72);
  const ticks = niceTicks(maxOf(points.map((point) => point.storedPerSec)), 5);
  const scale = linearScale(lastOf(ticks), plot.height);
  const groupWidth = plot.width / points.length;
  return group([
    panelFrame(box, title),
    text(box.x + 12, box.y + 46, 'events stored per second draining the same backlog', { fill: COLOR.muted }),
    horizontalGrid(ticks, plot, scale, formatCount),
    ...points.map((point, index) =>
      scalingColumn(point, first, plot.x + groupWidth * (index + 0.5), groupWidth, plot, scale),
    ),
  ]);
}

function scalingColumn(
  point: ScalingPoint,
  first: ScalingPoint,
  center: number,
  groupWidth: number,
  plot: Box,
  scale: Scale,
): string {
  const barWidth = Math.min(64, groupWidth * 0.5);
  const bottom = plot.y + plot.height;
  const room = groupWidth - 6;
  const count = formatCount(point.processors);
  const name = fitting(`${count} processor${point.processors === 1 ? '' : 's'}`, count, room, 12);
  const value = fitting(`${formatCount(point.storedPerSec)}/s`, `${formatCompact(point.storedPerSec)}/s`, room, 10);
  const speedup =
    point === first || first.storedPerSec <= 0 ? '' : `×${formatRatio(point.storedPerSec / first.storedPerSec)}`;
  return [
    valueColumn(center - barWidth / 2, barWidth, point.storedPerSec, COLOR.tokenmeter, value, plot, scale),
    text(center, bottom + 16, name, { 'text-anchor': 'middle' }),
    text(center, bottom + 30, speedup, { 'text-anchor': 'middle', 'font-size': 10, fill: COLOR.muted }),
  ].join('\n');
}

// ---- Panel 4: resources, machine, targets --------------------------------------------------------

function summaryPanel(results: PipelineBenchResults, box: Box): string {
  const { cpuMsPer10k: cpu, peakRssMB: rss, machine, setup } = results;
  const left = box.x + 12;
  const right = box.x + box.width / 2 + 12;
  const resources = [
    `Producer: ${formatCount(cpu.producer)} CPU ms per 10k events · peak RSS ${formatCount(rss.producer)} MB`,
    `Processor: ${formatCount(cpu.processor)} CPU ms per 10k events · peak RSS ${formatCount(rss.processor)} MB`,
  ];
  const machineLine = [
    `Machine: ${truncate(machine.cpu, 60)}`,
    `${formatCount(machine.cores)} cores`,
    `${formatCount(machine.memoryGiB)} GiB RAM`,
    prefixed('Node', machine.node),
    prefixed('Kafka', machine.kafka),
    truncate(machine.database, 40),
  ].join(' · ');
  const runLine = [
    `Taken ${results.takenAt}`,
    `${formatCount(results.durationSeconds)} s run`,
    `${formatCount(setup.eventBytes)}-byte events`,
    `${formatCount(setup.requestBatch)} events per request`,
    `${formatCount(setup.processorBatch)} per processor batch`,
  ].join(' · ');
  return group([
    panelFrame(box, 'Resources and targets'),
    ...resources.map((entry, index) => text(left, box.y + 46 + index * 18, entry)),
    ...targetLines(results).map((target, index) => targetLine(target, right, box.y + 46 + index * 18)),
    text(left, box.y + 134, machineLine, { fill: COLOR.muted }),
    text(left, box.y + 152, runLine, { fill: COLOR.muted }),
  ]);
}

interface TargetLine {
  met: boolean;
  label: string;
}

function targetLines(results: PipelineBenchResults): TargetLine[] {
  const { targets, ratios, peakRssMB } = results;
  const { storedVsDbCeiling: stored, ingestVsKafkaProducer: ingest, e2eP99AtHalfRateMs: p99 } = targets;
  const rss = targets.processorPeakRssMB;
  return [
    {
      met: stored.met,
      label: `Stored ≥ ${formatPercent(stored.target)} of DB ceiling: ${formatPercent(ratios.storedVsDbCeiling)}`,
    },
    {
      met: ingest.met,
      label: `Ingest ≥ ${formatPercent(ingest.target)} of Kafka producer: ${formatPercent(ratios.ingestVsKafkaProducer)}`,
    },
    { met: p99.met, label: `p99 at 50% load ≤ ${formatCount(p99.target)} ms: ${formatCount(p99.actual)} ms` },
    {
      met: rss.met,
      label: `Processor peak RSS ≤ ${formatCount(rss.target)} MB: ${formatCount(peakRssMB.processor)} MB`,
    },
  ];
}

function targetLine(target: TargetLine, x: number, y: number): string {
  const mark = target.met ? '✓' : '✗';
  const fill = target.met ? COLOR.met : COLOR.missed;
  return [
    text(x, y, mark, { fill, 'font-weight': 'bold', 'font-size': 14 }),
    text(x + 18, y, `${target.label} (${target.met ? 'met' : 'missed'})`),
  ].join('\n');
}

// ---- Shared drawing pieces -----------------------------------------------------------------------

type Scale = (value: number) => number;

/** Maps 0…max to 0…length; negative, NaN and infinite values map to 0, so no NaN reaches the SVG. */
function linearScale(max: number, length: number): Scale {
  return (value) => (Number.isFinite(value) && value > 0 && max > 0 ? (Math.min(value, max) / max) * length : 0);
}

function bottomOf(box: Box): number {
  return box.y + box.height;
}

/** The plot area of a column chart: room for the title and legend above, the y labels left, two label lines below. */
function columnPlot(box: Box, leftRoom: number): Box {
  const top = box.y + 64;
  const bottom = box.y + box.height - 54;
  return { x: box.x + leftRoom, y: top, width: box.width - leftRoom - 16, height: bottom - top };
}

function horizontalGrid(ticks: number[], plot: Box, scale: Scale, format: (tick: number) => string): string {
  const bottom = plot.y + plot.height;
  return ticks
    .map((tick) => {
      const y = bottom - scale(tick);
      return [
        line(plot.x, y, plot.x + plot.width, y, tick === 0 ? COLOR.axis : COLOR.grid),
        text(plot.x - 6, y + 4, format(tick), { 'text-anchor': 'end', 'font-size': 11, fill: COLOR.muted }),
      ].join('\n');
    })
    .join('\n');
}

/** A vertical bar standing on the plot's bottom edge, its value printed above it. */
function valueColumn(
  x: number,
  width: number,
  value: number,
  fill: string,
  label: string,
  plot: Box,
  scale: Scale,
): string {
  const height = scale(value);
  const top = plot.y + plot.height - height;
  return [
    rect(x, top, width, height, fill),
    text(x + width / 2, top - 4, label, { 'text-anchor': 'middle', 'font-size': 10 }),
  ].join('\n');
}

function panelFrame(box: Box, title: string): string {
  return [
    rect(box.x, box.y, box.width, box.height, COLOR.panel, { stroke: COLOR.border, rx: 6 }),
    text(box.x + 12, box.y + 22, title, { 'font-size': 15, 'font-weight': 'bold' }),
  ].join('\n');
}

function noData(box: Box): string {
  return text(box.x + box.width / 2, box.y + box.height / 2, 'no data', {
    'text-anchor': 'middle',
    'font-size': 16,
    fill: COLOR.muted,
  });
}

function swatch(x: number, y: number, fill: string, label: string): string {
  return [rect(x, y, 12, 12, fill), text(x + 18, y + 10, label)].join('\n');
}

// ---- SVG primitives ------------------------------------------------------------------------------

type Attrs = Record<string, string | number>;

function el(name: string, attrs: Attrs, children?: string): string {
  const rendered = Object.entries(attrs)
    .map(([key, value]) => ` ${key}="${typeof value === 'number' ? coordinate(value) : escapeXml(value)}"`)
    .join('');
  return children === undefined ? `<${name}${rendered}/>` : `<${name}${rendered}>${children}</${name}>`;
}

function group(children: string[]): string {
  return el('g', {}, `\n${children.join('\n')}\n`);
}

function text(x: number, y: number, content: string, attrs: Attrs = {}): string {
  return el('text', { x, y, ...attrs }, escapeXml(content));
}

function rect(x: number, y: number, width: number, height: number, fill: string, attrs: Attrs = {}): string {
  return el('rect', { x, y, width: Math.max(0, width), height: Math.max(0, height), fill, ...attrs });
}

function line(x1: number, y1: number, x2: number, y2: number, stroke: string, attrs: Attrs = {}): string {
  return el('line', { x1, y1, x2, y2, stroke, ...attrs });
}

/** Pixel values with one decimal: enough for a crisp drawing, short enough to read the SVG. */
function coordinate(value: number): string {
  return String(Math.round(value * 10) / 10);
}

export function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

// ---- Numbers -------------------------------------------------------------------------------------

/**
 * Axis ticks from 0 up to the first multiple of a round step (1, 2 or 5 × 10^n) at or above `max`,
 * with about `count` steps. A max that is zero, negative or not finite gives the ticks for 1, so a
 * chart of empty data still has an axis and never divides by zero.
 */
export function niceTicks(max: number, count: number): number[] {
  const top = Number.isFinite(max) && max > 0 ? max : 1;
  const steps = Math.max(1, Math.floor(Number.isFinite(count) ? count : 1));
  const step = niceStep(top / steps);
  const ticks: number[] = [];
  for (let index = 0; index <= steps + 1; index++) {
    const tick = Number((index * step).toPrecision(12));
    ticks.push(tick);
    if (tick >= top * (1 - 1e-9)) break;
  }
  return ticks;
}

function niceStep(rough: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const normalized = Number((rough / magnitude).toPrecision(12));
  const nice = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10;
  return nice * magnitude;
}

/**
 * The largest finite value, or 0. A rate the bench could not compute arrives as null (JSON has no
 * NaN) and must not collapse the axis of everything else.
 */
function maxOf(values: number[]): number {
  return Math.max(0, ...values.filter((value) => Number.isFinite(value)));
}

function lastOf(values: number[]): number {
  return values[values.length - 1] ?? 1;
}

const WHOLE = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const ONE_DECIMAL = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** 12,345 for counts and rates; one decimal below 10 so small values do not round to 0. */
function formatCount(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return Math.abs(value) < 10 ? ONE_DECIMAL.format(value) : WHOLE.format(value);
}

/** 837k, 1.2M: for labels that do not fit with every digit. */
function formatCompact(value: number): string {
  if (Math.abs(value) >= 1e6) return `${formatCount(value / 1e6)}M`;
  if (Math.abs(value) >= 1e3) return `${formatCount(value / 1e3)}k`;
  return formatCount(value);
}

function formatPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${formatCount(fraction * 100)}%` : '–';
}

function formatRatio(ratio: number): string {
  return ONE_DECIMAL.format(ratio);
}

function formatDuration(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${formatCount(ms / 1000)} s` : `${formatCount(ms)} ms`;
}

/** The full label when it fits in `room` pixels, else the short one. Widths are estimated: no font metrics here. */
function fitting(full: string, short: string, room: number, fontSize: number): string {
  return full.length * fontSize * 0.6 <= room ? full : short;
}

function truncate(value: string, maxLength: number): string {
  return value.length <= maxLength ? value : `${value.slice(0, maxLength - 1)}…`;
}

/** "Kafka 3.9.0", but not "Kafka Kafka 3.9.0" when the version string already names the product. */
function prefixed(name: string, value: string): string {
  return value.toLowerCase().includes(name.toLowerCase()) ? value : `${name} ${value}`;
}
