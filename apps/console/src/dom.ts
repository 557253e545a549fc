/** The few DOM helpers the console needs instead of a framework. Text goes in as text, never as HTML. */

type Attributes = Readonly<Record<string, string | undefined>>;

/** An element with attributes (undefined ones left out) and text or element children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) element.setAttribute(name, value);
  }
  element.append(...children);
  return element;
}

/** The element with this `data-testid`, or an error naming it: index.html and the code must agree. */
export function byTestId<T extends HTMLElement>(testId: string, type: new () => T): T {
  const element = document.querySelector(`[data-testid="${testId}"]`);
  if (!(element instanceof type)) throw new Error(`console: no ${type.name} [data-testid="${testId}"] in index.html`);
  return element;
}

export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`console: no ${type.name} #${id} in index.html`);
  return element;
}
