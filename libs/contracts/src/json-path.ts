/**
 * JSONPath (RFC 9535 normalized-path style) for field errors: `$.attributes.region` where the key
 * is a plain identifier, `$.attributes['a.b']` otherwise. Keys come from untrusted input, so
 * quotes, backslashes and control characters are escaped before they reach logs or headers.
 */

export const ROOT_PATH = '$';

const SHORTHAND_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point: they get escaped
const NEEDS_ESCAPE = /[\\'\x00-\x1F\x7F-\x9F]/g;

export function childPath(parent: string, key: string): string {
  if (SHORTHAND_KEY.test(key)) return `${parent}.${key}`;
  const escaped = key.replace(NEEDS_ESCAPE, (ch) =>
    ch === '\\' || ch === "'" ? `\\${ch}` : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `${parent}['${escaped}']`;
}

/** The path of an array element: `$.ttftMs.counts[3]`. */
export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}
