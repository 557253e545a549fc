/**
 * A uPlot time-series chart in a panel: UTC time axis, legend, theme colours, width following its
 * container. The chart is re-created when its series or the theme change (uPlot's series and
 * colours are fixed at creation), otherwise only its data is replaced.
 */
import uPlot from 'uplot';
import type { ChartData } from './chart-data';
import { formatCompact, formatDecimal } from './format';
import { axisColors, seriesColor, type EffectiveTheme } from './palette';

const PLOT_HEIGHT = 200;

// uPlot's time-axis format table (tick size, format, then the extra line when the year, month, day,
// hour, minute or second rolls over): 24-hour clock, ISO-like dates; tzDate makes them UTC.
const TIME_AXIS_VALUES: uPlot.Axis.Values = [
  [3600 * 24 * 365, '{YYYY}', null, null, null, null, null, null, 1],
  [3600 * 24 * 28, '{MMM}', '\n{YYYY}', null, null, null, null, null, 1],
  [3600 * 24, '{MM}-{DD}', '\n{YYYY}', null, null, null, null, null, 1],
  [3600, '{HH}:{mm}', '\n{YYYY}-{MM}-{DD}', null, '\n{MM}-{DD}', null, null, null, 1],
  [60, '{HH}:{mm}', '\n{YYYY}-{MM}-{DD}', null, '\n{MM}-{DD}', null, null, null, 1],
  [1, '{HH}:{mm}:{ss}', '\n{YYYY}-{MM}-{DD}', null, '\n{MM}-{DD}', null, null, null, 1],
];

export interface ChartOptions {
  /** Shown after values in the legend, e.g. ` ms`. */
  readonly unit: string;
  /** Fractional digits of legend values. */
  readonly digits: number;
}

export class ChartView {
  private plot: uPlot | undefined;
  private data: ChartData | undefined;
  private readonly resizeObserver: ResizeObserver;

  constructor(
    private readonly container: HTMLElement,
    private readonly options: ChartOptions,
    private theme: EffectiveTheme,
  ) {
    this.resizeObserver = new ResizeObserver(() => this.fitWidth());
    this.resizeObserver.observe(container);
  }

  show(data: ChartData): void {
    const sameSeries = this.data !== undefined && sameLabels(this.data.labels, data.labels);
    this.data = data;
    if (this.plot !== undefined && sameSeries) this.plot.setData(toAligned(data));
    else this.create();
  }

  setTheme(theme: EffectiveTheme): void {
    this.theme = theme;
    if (this.data !== undefined) this.create();
  }

  private create(): void {
    this.plot?.destroy();
    const data = this.data;
    if (data === undefined) return;
    this.plot = new uPlot(this.plotOptions(data), toAligned(data), this.container);
  }

  private fitWidth(): void {
    const width = this.container.clientWidth;
    // A hidden panel (error state) measures 0; the chart keeps its size until it is shown again.
    if (this.plot !== undefined && width > 0 && width !== this.plot.width) {
      this.plot.setSize({ width, height: PLOT_HEIGHT });
    }
  }

  private plotOptions(data: ChartData): uPlot.Options {
    const colors = axisColors(this.theme);
    const { unit, digits } = this.options;
    const axis = {
      stroke: colors.text,
      grid: { stroke: colors.grid, width: 1 },
      ticks: { stroke: colors.grid, width: 1 },
    };
    return {
      width: Math.max(this.container.clientWidth, 200),
      height: PLOT_HEIGHT,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true } },
      series: [
        { label: 'UTC', value: '{YYYY}-{MM}-{DD} {HH}:{mm}' },
        ...data.labels.map((label, index) => ({
          label,
          stroke: seriesColor(this.theme, index),
          width: 1.5,
          points: { show: false },
          value: (_plot: uPlot, value: number | null) =>
            value === null ? '—' : `${formatDecimal(value, digits)}${unit}`,
        })),
      ],
      axes: [
        { ...axis, values: TIME_AXIS_VALUES, space: 70 },
        { ...axis, size: 56, values: (_plot, splits) => splits.map((value) => formatCompact(value)) },
      ],
    };
  }
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((label, index) => label === b[index]);
}

function toAligned(data: ChartData): uPlot.AlignedData {
  return [data.x as number[], ...data.ys.map((ys) => ys as (number | null)[])];
}
