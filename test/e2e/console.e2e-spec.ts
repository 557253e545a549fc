// The web console as the query API serves it: the page and its content-hashed files at `/` and
// /console/ without an API key, with their strict CSP and caching, from the real build
// (`npm run build:console`) and from a directory named by CONSOLE_DIR; a clear 404 when the build
// is missing or the console is turned off; nothing else opened up by it. What the page does in a
// browser is the browser tier's (test/browser).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { hashApiKey } from '@tokenmeter/telemetry';
import { runId, serverEnv } from '../support/env';
import { portBlock, type RunningService, startService, stopService } from '../support/services';

const id = runId();
const { mongoUrl } = serverEnv();
const logDir = path.resolve(__dirname, '..', '..', '.local', 'test-logs', `console-e2e-${id}`);
const KEY = `tm_console_${randomUUID()}`;
const baseEnv = {
  MONGO_URL: mongoUrl,
  MONGO_DB: `tm_console_${id}`,
  API_KEYS: `sha256:${hashApiKey(KEY)}=*`,
  LOG_LEVEL: 'info',
};

let built: RunningService;
let custom: RunningService;
let missing: RunningService;
let disabled: RunningService;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'tm-console-e2e-'));
  writeFileSync(path.join(scratch, 'index.html'), '<!doctype html><title>custom</title>');
  writeFileSync(path.join(scratch, 'app-0123abcd.js'), 'export {};');
  const empty = mkdtempSync(path.join(tmpdir(), 'tm-console-e2e-empty-'));
  [built, custom, missing, disabled] = await Promise.all([
    startService('query-api', portBlock().queryApi, baseEnv, path.join(logDir, 'built')),
    startService('query-api', portBlock().queryApi, { ...baseEnv, CONSOLE_DIR: scratch }, path.join(logDir, 'custom')),
    startService('query-api', portBlock().queryApi, { ...baseEnv, CONSOLE_DIR: empty }, path.join(logDir, 'missing')),
    startService('query-api', portBlock().queryApi, { ...baseEnv, CONSOLE_ENABLED: 'false' }, path.join(logDir, 'off')),
  ]);
});

afterAll(async () => {
  await Promise.all([built, custom, missing, disabled].filter((s) => s !== undefined).map((s) => stopService(s)));
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

/** The files index.html loads from /console/ (scripts, style sheets, icons). */
function referencedAssets(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/console\/[^"]+)"/g)].map((m) => m[1] ?? '');
}

describe('the built console', () => {
  it('is served at / without a key, as HTML with a CSP that allows nothing inline and nothing from elsewhere', async () => {
    const res = await fetch(`${built.baseUrl}/?range=7d&tenant=acme`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self';/);
    expect(csp).toMatch(/connect-src 'self';/);
    expect(csp).not.toMatch(/unsafe|https?:|\*/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const html = await res.text();
    expect(html).toMatch(/<title>tokenmeter<\/title>/);
    // No inline script or style: everything comes from the content-hashed files.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=/);
    expect(referencedAssets(html).length).toBeGreaterThanOrEqual(2);
  });

  it('serves every file the page loads, cached for good under its content hash, and revalidates by ETag', async () => {
    const html = await (await fetch(`${built.baseUrl}/`)).text();
    const assets = referencedAssets(html);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/console\/[\w.-]+-[0-9A-Fa-f]{8,}\.(js|css)$/);
      const res = await fetch(`${built.baseUrl}${asset}`);
      expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
      expect(res.headers.get('content-type')).toMatch(/^text\/(javascript|css); charset=utf-8$/);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const etag = res.headers.get('etag') ?? '';
      expect(etag).toMatch(/^"[\w-]+"$/);
      const again = await fetch(`${built.baseUrl}${asset}`, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');
    }
  });

  it('answers an unknown file or a path outside the build with 404 problem+json', async () => {
    for (const pathname of ['/console/nope.js', '/console/index.html', '/console/..%2Fconsole.e2e-spec.ts']) {
      const res = await fetch(`${built.baseUrl}${pathname}`);
      expect({ pathname, status: res.status, type: res.headers.get('content-type') }).toEqual({
        pathname,
        status: 404,
        type: 'application/problem+json; charset=utf-8',
      });
    }
  });

  it('opens only the page and its files: the data it shows still needs a key', async () => {
    expect((await fetch(`${built.baseUrl}/v1/tokens/totals`)).status).toBe(401);
    expect((await fetch(`${built.baseUrl}/v1/costs/budgets`)).status).toBe(401);
    const withKey = await fetch(`${built.baseUrl}/v1/tokens/totals`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(withKey.status).toBe(200);
  });
});

describe('CONSOLE_DIR and CONSOLE_ENABLED', () => {
  it('serves the build of another directory', async () => {
    const res = await fetch(`${custom.baseUrl}/`);
    expect(await res.text()).toBe('<!doctype html><title>custom</title>');
    expect((await fetch(`${custom.baseUrl}/console/app-0123abcd.js`)).status).toBe(200);
  });

  it('says the console is not built, without naming server paths, and the API still works', async () => {
    const res = await fetch(`${missing.baseUrl}/`);
    const body = (await res.json()) as { status: number; detail: string };
    expect(res.status).toBe(404);
    expect(body.detail).toBe('The web console is not built into this query API; see its log.');
    const health = await fetch(`${missing.baseUrl}/health/ready`);
    expect(health.status).toBe(200);
  });

  it('leaves / unrouted when the console is off', async () => {
    const res = await fetch(`${disabled.baseUrl}/`);
    expect(res.status).toBe(404);
    expect((await fetch(`${disabled.baseUrl}/console/app-0123abcd.js`)).status).toBe(404);
  });
});
