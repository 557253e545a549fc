/**
 * One dashboard panel: the `<section class="panel">` of the console contract and its states.
 * A panel that already shows data keeps it while it reloads (`aria-busy`); one failing panel
 * never touches another.
 */
import { ApiError, NetworkError } from './api-client';
import { h } from './dom';

export type PanelState = 'loading' | 'ready' | 'empty' | 'error' | 'forbidden';

export const NO_DATA = 'No data in this range';

export class Panel {
  readonly section: HTMLElement;
  /** Where the panel's chart or table goes; hidden by CSS unless the panel is ready. */
  readonly body: HTMLElement;
  private readonly heading: HTMLHeadingElement;
  private readonly message: HTMLElement;

  constructor(
    readonly name: string,
    title: string,
    options: { readonly wide?: boolean } = {},
  ) {
    this.heading = h('h2', { id: `panel-${name}-title` }, title);
    this.message = h('div', { 'data-role': 'message', role: 'status' }, 'Loading…');
    this.body = h('div', { class: 'panel-body' });
    this.section = h(
      'section',
      {
        class: options.wide === true ? 'panel panel-wide' : 'panel',
        'data-panel': name,
        'data-state': 'loading',
        'aria-labelledby': this.heading.id,
      },
      h('header', { class: 'panel-header' }, this.heading),
      this.message,
      this.body,
    );
  }

  get state(): PanelState {
    return (this.section.dataset['state'] ?? 'loading') as PanelState;
  }

  setTitle(title: string): void {
    this.heading.textContent = title;
  }

  /** A request starts: remembered in `data-request` (never with the key, which is a header). */
  begin(request: string): void {
    this.section.dataset['request'] = request;
    this.section.setAttribute('aria-busy', 'true');
    if (this.state === 'loading') this.message.textContent = 'Loading…';
  }

  ready(): void {
    this.settle('ready', '');
  }

  empty(text: string = NO_DATA): void {
    this.settle('empty', text);
  }

  /** The panel's request failed: 403 is `forbidden`, everything else `error`, with the API's words. */
  fail(error: unknown): void {
    if (error instanceof ApiError && error.problem.status === 403) {
      this.settle('forbidden', error.problem.detail || error.problem.title);
      return;
    }
    this.settle('error', '');
    this.message.replaceChildren(...errorNodes(error));
  }

  /** A 401: the key dialog takes over; the panel waits for the reload that follows a key. */
  awaitKey(): void {
    this.section.removeAttribute('aria-busy');
    if (this.state === 'loading') this.message.textContent = 'Waiting for an API key…';
  }

  private settle(state: PanelState, text: string): void {
    // `data-series` names what is plotted; a panel that shows no chart plots nothing.
    if (state !== 'ready') delete this.section.dataset['series'];
    this.section.dataset['state'] = state;
    this.section.removeAttribute('aria-busy');
    this.message.textContent = text;
  }
}

function errorNodes(error: unknown): Node[] {
  if (error instanceof ApiError) {
    const { title, detail, errors, status } = error.problem;
    const nodes: Node[] = [h('p', { class: 'problem-title' }, `${title} (${status})`)];
    if (detail !== '') nodes.push(h('p', { class: 'problem-detail' }, detail));
    if (errors.length > 0)
      nodes.push(h('ul', { class: 'problem-errors' }, ...errors.map((entry) => h('li', {}, entry))));
    return nodes;
  }
  if (error instanceof NetworkError) return [h('p', { class: 'problem-title' }, error.message)];
  return [h('p', { class: 'problem-title' }, error instanceof Error ? error.message : String(error))];
}
