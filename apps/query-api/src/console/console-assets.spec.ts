import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConsoleAssets } from './console-assets';

describe('ConsoleAssets', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tm-console-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, body: string): void {
    writeFileSync(path.join(dir, name), body);
  }

  it('says how to build the console when the directory has no index.html', () => {
    const build = ConsoleAssets.load(dir);
    expect(build).toEqual({ ok: false, reason: expect.stringContaining('npm run build:console') as unknown });
    expect(ConsoleAssets.load(path.join(dir, 'missing')).ok).toBe(false);
  });

  it('serves index.html revalidated every time and content-hashed files cached for good', () => {
    write('index.html', '<!doctype html>');
    write('app-3f2a9c1b.js', 'console.log(1)');
    write('app-77d0e1aa.css', 'body{}');
    write('notes.txt', 'not a web file');
    mkdirSync(path.join(dir, 'nested.js'));
    const build = ConsoleAssets.load(dir);
    if (!build.ok) throw new Error(build.reason);
    const { assets } = build;
    expect(assets.names).toEqual(['app-3f2a9c1b.js', 'app-77d0e1aa.css', 'index.html']);
    expect(assets.index).toMatchObject({ contentType: 'text/html; charset=utf-8', cacheControl: 'no-cache' });
    expect(assets.asset('app-3f2a9c1b.js')).toMatchObject({
      contentType: 'text/javascript; charset=utf-8',
      cacheControl: 'public, max-age=31536000, immutable',
    });
    expect(assets.asset('app-77d0e1aa.css')?.body.toString()).toBe('body{}');
  });

  it('looks names up instead of joining paths, and gives index.html only at /', () => {
    write('index.html', 'x');
    const build = ConsoleAssets.load(dir);
    if (!build.ok) throw new Error(build.reason);
    for (const name of ['index.html', '../index.html', 'notes.txt', '', '..']) {
      expect(build.assets.asset(name)).toBeUndefined();
    }
  });

  it('gives each content its own strong ETag', () => {
    write('index.html', 'a');
    write('app-11111111.js', 'a');
    write('app-22222222.js', 'b');
    const build = ConsoleAssets.load(dir);
    if (!build.ok) throw new Error(build.reason);
    const etag = (name: string) => build.assets.asset(name)?.etag;
    expect(etag('app-11111111.js')).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(etag('app-11111111.js')).toBe(build.assets.index.etag);
    expect(etag('app-22222222.js')).not.toBe(etag('app-11111111.js'));
  });
});
