/**
 * Series colours per theme. Hues in the order of the Okabe–Ito / Tableau-10 families, lightness
 * chosen for at least 3:1 contrast against each theme's panel background.
 */

export type EffectiveTheme = 'light' | 'dark';

const LIGHT = [
  '#1f6fd1',
  '#d4570d',
  '#1b8a3a',
  '#c0267a',
  '#7a4fd0',
  '#9c7a00',
  '#0f8a8a',
  '#b3261e',
  '#5b6b7a',
  '#8a5a2b',
];
const DARK = [
  '#6fb0ff',
  '#ff9d5c',
  '#5fd38a',
  '#ff7ac0',
  '#b79bff',
  '#e8c547',
  '#4fd6d6',
  '#ff8a80',
  '#aab8c6',
  '#d9a574',
];

export function seriesColor(theme: EffectiveTheme, index: number): string {
  const palette = theme === 'dark' ? DARK : LIGHT;
  return palette[index % palette.length] ?? '#888888';
}

export interface AxisColors {
  readonly text: string;
  readonly grid: string;
}

export function axisColors(theme: EffectiveTheme): AxisColors {
  return theme === 'dark'
    ? { text: '#c9d1d9', grid: 'rgba(201, 209, 217, 0.14)' }
    : { text: '#3b4450', grid: 'rgba(59, 68, 80, 0.12)' };
}
