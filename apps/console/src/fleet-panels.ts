/** Fleet-wide panels (all-tenant keys only; a tenant key gets 403 → forbidden): GPUs and efficiency. */
import type { EfficiencyResponse, GpuSeriesResponse } from './api-types';
import { efficiencyData, gpuData, GPU_METRICS, type GpuPanelName } from './chart-data';
import type { ChartOptions } from './chart';
import { ChartPanel } from './chart-panel';
import { h } from './dom';
import { summarizeEfficiency, type EfficiencyRow } from './efficiency';
import { formatDecimal, formatInteger } from './format';
import type { EffectiveTheme } from './palette';
import { loadPanels, type LoadContext } from './panel-load';
import { requestPath } from './request-path';
import { dataTable, scrollBox, type TableColumn } from './table';

const GPU_PANELS: Record<GpuPanelName, { readonly title: string; readonly options: ChartOptions }> = {
  'gpu-utilization': { title: 'GPU utilization (%, average)', options: { unit: ' %', digits: 1 } },
  'gpu-memory': { title: 'GPU memory used (MiB, average)', options: { unit: ' MiB', digits: 0 } },
  'gpu-power': { title: 'GPU power (W, average)', options: { unit: ' W', digits: 1 } },
  'gpu-temperature': { title: 'GPU temperature (°C, maximum)', options: { unit: ' °C', digits: 0 } },
};

type EfficiencyColumn = 'node' | 'model' | 'tokens' | 'energyJ' | 'tokensPerJoule';
const EFFICIENCY_COLUMNS: readonly TableColumn<EfficiencyColumn>[] = [
  { col: 'node', label: 'Node', numeric: false },
  { col: 'model', label: 'Model', numeric: false },
  { col: 'tokens', label: 'Tokens', numeric: true },
  { col: 'energyJ', label: 'Energy (J)', numeric: true },
  { col: 'tokensPerJoule', label: 'Tokens per joule', numeric: true },
];

function efficiencyCells(row: EfficiencyRow): Record<EfficiencyColumn, string> {
  return {
    node: row.node,
    model: row.model,
    tokens: formatInteger(row.tokens),
    energyJ: formatDecimal(row.energyJ, 1),
    tokensPerJoule: formatDecimal(row.tokensPerJoule, 3),
  };
}

export class FleetPanels {
  private readonly gpus: Record<GpuPanelName, ChartPanel>;
  private readonly efficiency: ChartPanel;
  private readonly efficiencyTable = h('div', { class: 'table-panel' });

  constructor(theme: EffectiveTheme) {
    const panel = (name: GpuPanelName) => new ChartPanel(name, GPU_PANELS[name].title, GPU_PANELS[name].options, theme);
    this.gpus = {
      'gpu-utilization': panel('gpu-utilization'),
      'gpu-memory': panel('gpu-memory'),
      'gpu-power': panel('gpu-power'),
      'gpu-temperature': panel('gpu-temperature'),
    };
    this.efficiency = new ChartPanel(
      'efficiency',
      'Efficiency: tokens per joule by node and model',
      { unit: ' tok/J', digits: 3 },
      theme,
    );
    this.efficiency.panel.section.classList.add('panel-wide');
    this.efficiency.panel.body.append(this.efficiencyTable);
  }

  get sections(): HTMLElement[] {
    return [...Object.values(this.gpus), this.efficiency].map((chart) => chart.panel.section);
  }

  setTheme(theme: EffectiveTheme): void {
    for (const chart of [...Object.values(this.gpus), this.efficiency]) chart.setTheme(theme);
  }

  load(context: LoadContext): Promise<void>[] {
    return [this.loadGpus(context), this.loadEfficiency(context)];
  }

  /** One fetch shared by the four GPU panels. */
  private loadGpus(context: LoadContext): Promise<void> {
    const request = requestPath('/v1/gpus/series', [
      ['from', context.range.from],
      ['to', context.range.to],
      ['node', context.filters.node],
    ]);
    const charts = Object.entries(this.gpus) as [GpuPanelName, ChartPanel][];
    return loadPanels<GpuSeriesResponse>(
      context,
      charts.map(([, chart]) => chart.panel),
      request,
      (response) => {
        for (const [name, chart] of charts) {
          const data = gpuData(response, name);
          // A GPU with no sample in the range is left out by the API, so no series is no data.
          if (
            data.labels.length === 0 ||
            response.series.every((s) => s.points.every((p) => GPU_METRICS[name](p) === null))
          ) {
            chart.panel.empty();
          } else chart.show(data);
        }
      },
    );
  }

  private loadEfficiency(context: LoadContext): Promise<void> {
    const request = requestPath('/v1/efficiency', [
      ['from', context.range.from],
      ['to', context.range.to],
      ['node', context.filters.node],
      ['model', context.filters.model],
    ]);
    return loadPanels<EfficiencyResponse>(context, [this.efficiency.panel], request, (response) => {
      const rows = summarizeEfficiency(response);
      // Without tokens every tokens-per-joule point is null or 0: nothing to plot.
      if (rows.every((row) => row.tokens === 0)) {
        this.efficiency.panel.empty();
        return;
      }
      this.efficiency.show(efficiencyData(response));
      this.efficiencyTable.replaceChildren(
        scrollBox(
          dataTable('efficiency-table', EFFICIENCY_COLUMNS, rows.map(efficiencyCells)),
          'Efficiency by node and model',
        ),
      );
    });
  }
}
