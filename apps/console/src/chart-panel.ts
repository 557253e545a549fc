/** A panel whose body is one chart; `data-series` lists what it plots, in order. */
import { ChartView, type ChartOptions } from './chart';
import type { ChartData } from './chart-data';
import { h } from './dom';
import type { EffectiveTheme } from './palette';
import { Panel } from './panel';

export class ChartPanel {
  readonly panel: Panel;
  private readonly chart: ChartView;

  constructor(name: string, title: string, options: ChartOptions, theme: EffectiveTheme) {
    this.panel = new Panel(name, title);
    const container = h('div', { 'data-role': 'chart', class: 'chart' });
    this.panel.body.append(container);
    this.chart = new ChartView(container, options, theme);
  }

  /** Ready first, so the chart measures a visible container. */
  show(data: ChartData): void {
    this.panel.section.dataset['series'] = data.labels.join('|');
    this.panel.ready();
    this.chart.show(data);
  }

  setTheme(theme: EffectiveTheme): void {
    this.chart.setTheme(theme);
  }
}
