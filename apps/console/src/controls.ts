/**
 * The toolbar: range, custom bounds, filters and refresh. It turns user input into a ViewState
 * and a ViewState back into control values; it knows nothing of the URL or the panels.
 */
import { byTestId, h } from './dom';
import { datetimeLocalToRfc3339, rfc3339ToDatetimeLocal, type ResolvedRange } from './range';
import {
  DEFAULT_RANGE,
  DEFAULT_REFRESH,
  FILTERS,
  RANGES,
  REFRESHES,
  type FilterName,
  type RelativeRange,
  type ViewRange,
  type ViewState,
} from './url-state';

const RELATIVE_RANGES = RANGES.filter((range): range is RelativeRange => range !== 'custom');
const ALL_LABEL: Record<FilterName, string> = { tenant: 'All tenants', model: 'All models', node: 'All nodes' };

export class Controls {
  private readonly range = byTestId('range', HTMLSelectElement);
  private readonly from = byTestId('from', HTMLInputElement);
  private readonly to = byTestId('to', HTMLInputElement);
  private readonly apply = byTestId('apply-range', HTMLButtonElement);
  private readonly customBox = byTestId('custom-range', HTMLElement);
  private readonly customError = byTestId('custom-range-error', HTMLElement);
  private readonly refresh = byTestId('refresh', HTMLSelectElement);
  private appliedRange: ViewRange = { name: DEFAULT_RANGE };
  private readonly filters: Record<FilterName, HTMLSelectElement> = {
    tenant: byTestId('filter-tenant', HTMLSelectElement),
    model: byTestId('filter-model', HTMLSelectElement),
    node: byTestId('filter-node', HTMLSelectElement),
  };

  /**
   * `onChange` gets the new state; `currentRange` gives the bounds shown now, which prefill the
   * custom inputs when `custom` is picked.
   */
  constructor(
    private readonly onChange: (state: ViewState) => void,
    private readonly currentRange: () => ResolvedRange,
  ) {
    this.range.addEventListener('change', () => this.onRangeSelected());
    this.apply.addEventListener('click', () => this.onApply());
    for (const input of [this.from, this.to]) {
      input.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') this.onApply();
      });
    }
    this.refresh.addEventListener('change', () => this.emit());
    for (const filter of FILTERS) this.filters[filter].addEventListener('change', () => this.emit());
  }

  write(state: ViewState): void {
    this.appliedRange = state.range;
    this.range.value = state.range.name;
    this.customBox.hidden = state.range.name !== 'custom';
    this.customError.textContent = '';
    if (state.range.name === 'custom') {
      this.from.value = rfc3339ToDatetimeLocal(state.range.from);
      this.to.value = rfc3339ToDatetimeLocal(state.range.to);
    }
    this.refresh.value = state.refresh;
    for (const filter of FILTERS) this.setOptions(filter, [], state.filters[filter]);
  }

  /** Replaces a filter's choices, keeping `selected` (added if missing). */
  setOptions(filter: FilterName, values: readonly string[], selected: string = this.filters[filter].value): void {
    const select = this.filters[filter];
    const all = new Set(values);
    if (selected !== '') all.add(selected);
    const options = [
      h('option', { value: '' }, ALL_LABEL[filter]),
      ...[...all].map((value) => h('option', { value }, value)),
    ];
    select.replaceChildren(...options);
    select.value = selected;
  }

  private read(range: ViewRange): ViewState {
    return {
      range,
      filters: { tenant: this.filters.tenant.value, model: this.filters.model.value, node: this.filters.node.value },
      refresh: REFRESHES.find((name) => name === this.refresh.value) ?? DEFAULT_REFRESH,
    };
  }

  /** Filters and refresh change the view around the range last applied, not a half-edited one. */
  private emit(range: ViewRange = this.appliedRange): void {
    this.appliedRange = range;
    this.onChange(this.read(range));
  }

  /**
   * Picking `custom` only opens the bounds, prefilled with the range shown now: the view changes
   * (and history gets an entry) when they are applied, so Back returns to the view before.
   */
  private onRangeSelected(): void {
    const custom = this.range.value === 'custom';
    this.customBox.hidden = !custom;
    if (!custom) {
      this.emit({ name: RELATIVE_RANGES.find((range) => range === this.range.value) ?? DEFAULT_RANGE });
      return;
    }
    const shown = this.currentRange();
    this.from.value = rfc3339ToDatetimeLocal(shown.from);
    this.to.value = rfc3339ToDatetimeLocal(shown.to);
    this.from.focus();
  }

  private onApply(): void {
    const from = datetimeLocalToRfc3339(this.from.value);
    const to = datetimeLocalToRfc3339(this.to.value);
    if (from === undefined || to === undefined || Date.parse(from) >= Date.parse(to)) {
      this.customError.textContent = 'Enter a start before the end (UTC).';
      return;
    }
    this.customError.textContent = '';
    this.emit({ name: 'custom', from, to });
  }
}
