// Response headers that tell browsers to treat every tokenmeter response as data, never as a page to
// frame, sniff or run (OWASP secure headers), and keep tenant data out of shared caches. The APIs
// are machine-to-machine; the one HTML page, Swagger UI at /docs, gets a policy that lets it load
// its own scripts and styles and nothing else.
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

export function isDocsPath(url: string): boolean {
  return url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs?');
}

/** The headers of a response to `url`; a handler's own cache-control (e.g. on /docs assets) wins. */
export function securityHeadersFor(url: string): Record<string, string> {
  const headers = { ...API_HEADERS };
  if (isDocsPath(url)) {
    headers['content-security-policy'] = DOCS_CSP;
    delete headers['cache-control'];
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
