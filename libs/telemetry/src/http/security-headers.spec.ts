import Fastify from 'fastify';
import { installSecurityHeaders, isConsolePath, isDocsPath, securityHeadersFor } from './security-headers';

async function appWithRoutes() {
  const app = Fastify();
  installSecurityHeaders(app);
  app.get('/v1/things', () => ({ ok: true }));
  app.get('/docs', async (_request, reply) => reply.type('text/html').send('<html></html>'));
  app.get('/docs/swagger-ui.css', async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=3600').type('text/css').send('body{}'),
  );
  app.get('/powered', async (_request, reply) => reply.header('x-powered-by', 'leaky/1.0').send('x'));
  await app.ready();
  return app;
}

describe('security headers', () => {
  it('marks API responses as data that must not be framed, sniffed or cached', async () => {
    const app = await appWithRoutes();
    const response = await app.inject({ method: 'GET', url: '/v1/things' });
    expect(response.headers).toMatchObject({
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    await app.close();
  });

  it('adds them to errors too, including a 404 from the router', async () => {
    const app = await appWithRoutes();
    const response = await app.inject({ method: 'GET', url: '/nowhere' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    await app.close();
  });

  it('lets Swagger UI load its own scripts and keeps the caching its assets ask for', async () => {
    const app = await appWithRoutes();
    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const asset = await app.inject({ method: 'GET', url: '/docs/swagger-ui.css' });
    expect(asset.headers['cache-control']).toBe('public, max-age=3600');
    await app.close();
  });

  it('gives the web console a policy without inline scripts or styles, calling only its own origin', () => {
    for (const url of ['/', '/?range=7d&tenant=acme', '/console/app-3f2a9c1b.js']) {
      const csp = securityHeadersFor(url)['content-security-policy'] ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("style-src 'self';");
      expect(csp).toContain("connect-src 'self';");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe');
    }
    expect(isConsolePath('/consoles')).toBe(false);
    expect(isConsolePath('/v1/tokens/totals')).toBe(false);
  });

  it('never sends x-powered-by', async () => {
    const app = await appWithRoutes();
    const response = await app.inject({ method: 'GET', url: '/powered' });
    expect(response.headers).not.toHaveProperty('x-powered-by');
    await app.close();
  });

  it('treats only /docs and below as the docs page', () => {
    expect(isDocsPath('/docs')).toBe(true);
    expect(isDocsPath('/docs/index.html')).toBe(true);
    expect(isDocsPath('/docsearch')).toBe(false);
    expect(securityHeadersFor('/v1/events/tokens')['content-security-policy']).toBe(
      "default-src 'none'; frame-ancestors 'none'",
    );
  });
});
