/**
 * Deterministic event ids for scraped readings (SPEC §3: "a deterministic hash for scraped ones").
 * Scraping the same series of the same source for the same time again yields the same id, so the
 * processor's idempotency key drops the duplicate instead of counting it twice.
 */
import { createHash } from 'node:crypto';

/** Hex digits of the sha256 kept: 160 bits, far beyond any chance of a collision. */
const HASH_HEX_LENGTH = 40;
const MAX_TAG_LENGTH = 48;

/**
 * `<tag>-<hash>`: the tag is the source URL's host (or the source itself when it is not a URL)
 * reduced to `[A-Za-z0-9._-]`, for people reading ids in logs; the hash of
 * `[source, ...series, timeMs]` as JSON is what makes the id unique. At most 89 characters, all in
 * the contract's `[A-Za-z0-9._:-]`.
 */
export function scrapedEventId(source: string, series: readonly (string | number)[], timeMs: number): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([source, ...series, timeMs]))
    .digest('hex')
    .slice(0, HASH_HEX_LENGTH);
  return `${sourceTag(source)}-${hash}`;
}

function sourceTag(source: string): string {
  let host = '';
  if (URL.canParse(source)) host = new URL(source).hostname;
  const tag = (host === '' ? source : host)
    .slice(0, 256)
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, MAX_TAG_LENGTH)
    .replace(/[._-]+$/, '');
  return tag === '' ? 'scrape' : tag;
}
