/**
 * All panels and one refresh of them. A refresh aborts the one before it (its late answers are
 * dropped), resolves the range once so every panel asks for the same bounds, and settles when
 * every request has.
 */
import type { ApiClient } from './api-client';
import type { TokenTotalsResponse } from './api-types';
import { CostPanels } from './cost-panels';
import { FleetPanels } from './fleet-panels';
import type { EffectiveTheme } from './palette';
import { formatRangeLabel, resolveRange, type ResolvedRange } from './range';
import { requestPath } from './request-path';
import { TokenPanels } from './token-panels';
import { DEFAULT_RANGE, type ViewState } from './url-state';

export interface DashboardEvents {
  /** The distinct tenants/models/nodes of the range, for the filter choices. */
  onFilterValues(response: TokenTotalsResponse): void;
}

export class Dashboard {
  private readonly tokens: TokenPanels;
  private readonly fleet: FleetPanels;
  private readonly costs = new CostPanels();
  private controller: AbortController | undefined;
  private shown: ResolvedRange | undefined;

  constructor(
    grid: HTMLElement,
    private readonly rangeLabel: HTMLElement,
    private readonly api: ApiClient,
    private readonly events: DashboardEvents,
    theme: EffectiveTheme,
  ) {
    this.tokens = new TokenPanels(theme);
    this.fleet = new FleetPanels(theme);
    // Reading order: traffic, money, then the fleet; CSS packs the narrow panels around the wide ones.
    grid.replaceChildren(...this.tokens.sections, ...this.costs.sections, ...this.fleet.sections);
  }

  /** The range on screen: the API's aligned bounds once it answered, else the one asked for. */
  get shownRange(): ResolvedRange {
    return this.shown ?? resolveRange({ name: DEFAULT_RANGE }, Date.now());
  }

  setTheme(theme: EffectiveTheme): void {
    this.tokens.setTheme(theme);
    this.fleet.setTheme(theme);
  }

  async refresh(state: ViewState): Promise<void> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const range = resolveRange(state.range, Date.now());
    this.showRange(range);
    const context = { api: this.api, range, filters: state.filters, signal: controller.signal };
    await Promise.allSettled([
      this.loadFilterValues(context.range, controller.signal),
      ...this.tokens.load(context),
      ...this.fleet.load(context),
      ...this.costs.load(context),
    ]);
  }

  private showRange(range: ResolvedRange): void {
    this.shown = range;
    this.rangeLabel.textContent = formatRangeLabel(range);
  }

  /** Over the whole range without filters, so choosing one filter does not hide the others' values. */
  private async loadFilterValues(range: ResolvedRange, signal: AbortSignal): Promise<void> {
    const request = requestPath('/v1/tokens/totals', [
      ['from', range.from],
      ['to', range.to],
      ['groupBy', 'tenant,model,node'],
    ]);
    try {
      const response = await this.api.get<TokenTotalsResponse>(request, signal);
      if (signal.aborted) return;
      this.showRange({ from: response.from, to: response.to });
      this.events.onFilterValues(response);
    } catch {
      // The filters keep their current choices; the panels report the failure themselves.
    }
  }
}
