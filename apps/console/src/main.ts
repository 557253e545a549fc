/**
 * Entry point of the tokenmeter console: wires the URL state, the controls, the key dialog, the
 * theme, the panels and the refresh timer together.
 */
import { ApiClient } from './api-client';
import { Dashboard } from './dashboard';
import { byId, byTestId } from './dom';
import { filterOptions } from './filter-options';
import { KeyDialog } from './key-dialog';
import { Controls } from './controls';
import { RefreshTimer, REFRESH_INTERVAL_MS } from './refresh-timer';
import { ThemeController } from './theme';
import { FILTERS, parseViewState, serializeViewState, type ViewState } from './url-state';

function start(): void {
  let state: ViewState = parseViewState(window.location.search);

  const theme = new ThemeController(byTestId('theme', HTMLButtonElement));
  const keyDialog = new KeyDialog(() => timer.runNow());
  const api = new ApiClient({
    onUnauthorized: (problem, key) => keyDialog.unauthorized(problem, key),
    onAccepted: (key) => keyDialog.accepted(key),
  });
  const dashboard = new Dashboard(
    byId('panels', HTMLElement),
    byTestId('range-label', HTMLElement),
    api,
    {
      onFilterValues: (response) => {
        for (const filter of FILTERS) {
          const selected = state.filters[filter];
          controls.setOptions(filter, filterOptions(response, filter, selected), selected);
        }
      },
    },
    theme.effective,
  );
  theme.onChange((effective) => dashboard.setTheme(effective));
  const timer = new RefreshTimer(() => dashboard.refresh(state));

  const apply = (next: ViewState): void => {
    state = next;
    timer.setInterval(REFRESH_INTERVAL_MS[state.refresh]);
    timer.runNow();
  };
  const controls = new Controls(
    (next) => {
      window.history.pushState(null, '', `${window.location.pathname}${serializeViewState(next)}`);
      apply(next);
    },
    () => dashboard.shownRange,
  );
  window.addEventListener('popstate', () => {
    const next = parseViewState(window.location.search);
    controls.write(next);
    apply(next);
  });

  controls.write(state);
  apply(state);
}

start();
