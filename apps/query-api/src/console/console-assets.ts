// The web console's built files (apps/console, `npm run build:console`), read once at boot and
// served from memory by ConsoleController: index.html at `/`, the content-hashed script and style
// sheet under /console/. A handful of small files, so no static-file plugin and no disk reads per
// request; nothing outside the build directory can be named.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Where `npm run build:console` writes, seen from the built query API (dist/apps/query-api/…/src/console). */
export const DEFAULT_CONSOLE_DIR = path.resolve(__dirname, '..', '..', '..', '..', 'console');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** `app-3f2a9c1b.js`: a name that changes with the content, so it may be cached for good. */
const HASHED_NAME = /-[0-9A-Fa-f]{8,}\.[a-z]+$/;

export interface ConsoleAsset {
  body: Buffer;
  contentType: string;
  etag: string;
  /** Cached by browsers for a year (content-hashed) or revalidated every time (index.html). */
  cacheControl: string;
}

/** What boot found: the build, or why there is none. */
export type ConsoleBuild = { ok: true; assets: ConsoleAssets } | { ok: false; reason: string };

export class ConsoleAssets {
  private constructor(
    readonly dir: string,
    private readonly files: ReadonlyMap<string, ConsoleAsset>,
  ) {}

  /** The build in `dir`, or the reason there is none (no directory, no index.html). */
  static load(dir: string): ConsoleBuild {
    const index = path.join(dir, 'index.html');
    if (!existsSync(index)) {
      return { ok: false, reason: `${index} does not exist: build the console with \`npm run build:console\`` };
    }
    const files = new Map<string, ConsoleAsset>();
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      const contentType = CONTENT_TYPES[path.extname(name)];
      if (contentType === undefined || !statSync(file).isFile()) continue;
      const body = readFileSync(file);
      files.set(name, {
        body,
        contentType,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        cacheControl: HASHED_NAME.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    }
    return { ok: true, assets: new ConsoleAssets(dir, files) };
  }

  get index(): ConsoleAsset {
    const index = this.files.get('index.html');
    if (index === undefined) throw new Error('a loaded console always has index.html');
    return index;
  }

  /** A file of the build by its exact name; never a path (the name is looked up, not joined). */
  asset(name: string): ConsoleAsset | undefined {
    return name === 'index.html' ? undefined : this.files.get(name);
  }

  get names(): string[] {
    return [...this.files.keys()].sort();
  }
}
