/** Panels fed by the token endpoints: tokens per second, requests, latency and the totals table. */
import type { TokenSeriesResponse, TokenTotalsResponse } from './api-types';
import { hasTokenTraffic, latencyData, requestsData, tokensPerSecondData } from './chart-data';
import { ChartPanel } from './chart-panel';
import type { EffectiveTheme } from './palette';
import { Panel } from './panel';
import { loadPanels, type LoadContext } from './panel-load';
import { requestPath } from './request-path';
import { flattenTotals } from './totals';
import { TotalsTable } from './totals-table';

function filterParams(context: LoadContext): [string, string][] {
  return [
    ['tenant', context.filters.tenant],
    ['model', context.filters.model],
    ['node', context.filters.node],
  ];
}

function rangeParams(context: LoadContext): [string, string][] {
  return [
    ['from', context.range.from],
    ['to', context.range.to],
  ];
}

export class TokenPanels {
  private readonly tokensPerSecond: ChartPanel;
  private readonly requests: ChartPanel;
  private readonly latency: ChartPanel;
  private readonly totals = new Panel('totals', 'Token totals by tenant and model', { wide: true });
  private readonly totalsTable = new TotalsTable();

  constructor(theme: EffectiveTheme) {
    this.tokensPerSecond = new ChartPanel(
      'tokens-per-second',
      'Output tokens per second by model',
      { unit: ' tok/s', digits: 1 },
      theme,
    );
    this.requests = new ChartPanel('requests', 'Requests and errors per bucket', { unit: '', digits: 0 }, theme);
    this.latency = new ChartPanel(
      'latency',
      'Latency (ms): time to first token and duration',
      { unit: ' ms', digits: 0 },
      theme,
    );
    this.totals.body.append(this.totalsTable.element);
  }

  get sections(): HTMLElement[] {
    return [this.tokensPerSecond, this.requests, this.latency]
      .map((chart) => chart.panel.section)
      .concat(this.totals.section);
  }

  setTheme(theme: EffectiveTheme): void {
    for (const chart of [this.tokensPerSecond, this.requests, this.latency]) chart.setTheme(theme);
  }

  load(context: LoadContext): Promise<void>[] {
    return [this.loadTokensPerSecond(context), this.loadRequestsAndLatency(context), this.loadTotals(context)];
  }

  private loadTokensPerSecond(context: LoadContext): Promise<void> {
    const request = requestPath('/v1/tokens/series', [
      ...rangeParams(context),
      ['groupBy', 'model'],
      ...filterParams(context),
    ]);
    return loadPanels<TokenSeriesResponse>(context, [this.tokensPerSecond.panel], request, (response) => {
      if (!hasTokenTraffic(response)) this.tokensPerSecond.panel.empty();
      else this.tokensPerSecond.show(tokensPerSecondData(response));
    });
  }

  /** One fetch for both panels: they plot different fields of the same ungrouped series. */
  private loadRequestsAndLatency(context: LoadContext): Promise<void> {
    const request = requestPath('/v1/tokens/series', [...rangeParams(context), ...filterParams(context)]);
    const panels = [this.requests.panel, this.latency.panel];
    return loadPanels<TokenSeriesResponse>(context, panels, request, (response) => {
      if (!hasTokenTraffic(response)) {
        for (const panel of panels) panel.empty();
        return;
      }
      this.requests.show(requestsData(response));
      this.latency.show(latencyData(response));
    });
  }

  private loadTotals(context: LoadContext): Promise<void> {
    const request = requestPath('/v1/tokens/totals', [
      ...rangeParams(context),
      ['groupBy', 'tenant,model'],
      ...filterParams(context),
    ]);
    return loadPanels<TokenTotalsResponse>(context, [this.totals], request, (response) => {
      const rows = flattenTotals(response);
      if (rows.length === 0) {
        this.totals.empty();
        return;
      }
      this.totals.ready();
      this.totalsTable.show(rows, { from: response.from, to: response.to });
    });
  }
}
