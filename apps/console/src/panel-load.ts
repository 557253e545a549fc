/** One API request feeding one or more panels, with the refresh's abort signal and error routing. */
import { ApiError, type ApiClient } from './api-client';
import type { Panel } from './panel';
import type { ResolvedRange } from './range';
import type { FilterName } from './url-state';

/** What every panel loader of one refresh shares. */
export interface LoadContext {
  readonly api: ApiClient;
  readonly range: ResolvedRange;
  readonly filters: Readonly<Record<FilterName, string>>;
  /** Aborted when a newer refresh starts: its answers must not overwrite the newer ones. */
  readonly signal: AbortSignal;
}

/**
 * Fetches `request` and hands the answer to `render`; any failure (also one thrown by `render`)
 * puts the panels in their error state, except an answer that arrives after the refresh was
 * superseded, which is dropped. `onFailure` may claim an error first (e.g. a 404 that means empty).
 */
export async function loadPanels<T>(
  context: LoadContext,
  panels: readonly Panel[],
  request: string,
  render: (data: T) => void,
  onFailure: (error: unknown) => boolean = () => false,
): Promise<void> {
  for (const panel of panels) panel.begin(request);
  try {
    const data = await context.api.get<T>(request, context.signal);
    if (context.signal.aborted) return;
    render(data);
  } catch (error: unknown) {
    if (context.signal.aborted) return;
    if (error instanceof ApiError && error.problem.status === 401) {
      for (const panel of panels) panel.awaitKey();
      return;
    }
    if (onFailure(error)) return;
    for (const panel of panels) panel.fail(error);
  }
}

export function isNotFound(error: unknown): error is ApiError {
  return error instanceof ApiError && error.problem.status === 404;
}
