// Response headers that tell browsers to treat every tokenmeter response as data, never as a page to
// frame, sniff or run (OWASP secure headers), and keep tenant data out of shared caches. The APIs
// are machine-to-machine; the two HTML pages get policies that let them load their own files and
// nothing else: Swagger UI at /docs, and the query API's web console at `/` (assets under
// /console/), which has no inline script or style at all and may only call its own origin.
import type { FastifyInstance } from 'fastify';

const API_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), interest-cohort=()',
  'cache-control': 'no-store',
};

/** Swagger UI runs its bundled scripts and inline styles from the same origin. */
const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The web console: scripts, styles and API calls from its own origin only; nothing inline. */
const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** `/` (with or without a query string, the console's shareable state) and /console/<file>. */
export function isConsolePath(url: string): boolean {
  return url === '/' || url.startsWith('/?') || url.startsWith('/console/');
}

export function isDocsPath(url: string): boolean {
  return url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs?');
}

/** The headers of a response to `url`; a handler's own cache-control (/docs and console assets) wins. */
export function securityHeadersFor(url: string): Record<string, string> {
  const headers = { ...API_HEADERS };
  if (isDocsPath(url)) {
    headers['content-security-policy'] = DOCS_CSP;
    delete headers['cache-control'];
  } else if (isConsolePath(url)) {
    headers['content-security-policy'] = CONSOLE_CSP;
  }
  return headers;
}

export function installSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onSend', async (request, reply) => {
    for (const [name, value] of Object.entries(securityHeadersFor(request.url))) {
      if (!reply.hasHeader(name)) {
        reply.header(name, value);
      }
    }
    // Fastify sends no x-powered-by; make sure nothing added on the way does either.
    reply.removeHeader('x-powered-by');
  });
}
