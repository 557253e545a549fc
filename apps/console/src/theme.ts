/**
 * The theme button: auto → light → dark, remembered in localStorage. `auto` follows the
 * system's prefers-color-scheme, also when it changes while the page is open.
 */
import type { EffectiveTheme } from './palette';

const STORAGE_KEY = 'tokenmeter.theme';
const MODES = ['auto', 'light', 'dark'] as const;
type ThemeMode = (typeof MODES)[number];

function readMode(): ThemeMode {
  const stored = localStorage.getItem(STORAGE_KEY);
  return MODES.find((mode) => mode === stored) ?? 'auto';
}

export class ThemeController {
  private mode: ThemeMode = readMode();
  private readonly systemDark = window.matchMedia('(prefers-color-scheme: dark)');
  private readonly listeners: ((theme: EffectiveTheme) => void)[] = [];

  constructor(private readonly button: HTMLButtonElement) {
    this.apply();
    button.addEventListener('click', () => this.cycle());
    this.systemDark.addEventListener('change', () => {
      if (this.mode === 'auto') this.notify();
    });
  }

  get effective(): EffectiveTheme {
    if (this.mode === 'auto') return this.systemDark.matches ? 'dark' : 'light';
    return this.mode;
  }

  /** Charts draw with canvas colours, not CSS, so they are told to redraw. */
  onChange(listener: (theme: EffectiveTheme) => void): void {
    this.listeners.push(listener);
  }

  private cycle(): void {
    this.mode = MODES[(MODES.indexOf(this.mode) + 1) % MODES.length] ?? 'auto';
    localStorage.setItem(STORAGE_KEY, this.mode);
    this.apply();
    this.notify();
  }

  private apply(): void {
    document.documentElement.dataset['theme'] = this.mode;
    this.button.textContent = `Theme: ${this.mode}`;
    this.button.setAttribute('aria-label', `Theme: ${this.mode} (change)`);
  }

  private notify(): void {
    for (const listener of this.listeners) listener(this.effective);
  }
}
