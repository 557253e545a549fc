// Cross-origin access is off unless origins are listed (HTTP_CORS_ORIGINS): the APIs serve scripts
// and services, not browsers, so by default a browser page on another origin cannot read a response.
// Listed origins get exact-match CORS for reads and posts, with the Authorization header allowed.
import type { FastifyInstance } from 'fastify';

const ALLOWED_METHODS = 'GET, POST, OPTIONS';
const ALLOWED_HEADERS = 'authorization, content-type, traceparent';
const PREFLIGHT_MAX_AGE_S = 600;

export function installCors(fastify: FastifyInstance, allowedOrigins: readonly string[]): void {
  if (allowedOrigins.length === 0) {
    return;
  }
  const allowed = new Set(allowedOrigins);
  fastify.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    reply.header('vary', 'origin');
    if (origin === undefined || !allowed.has(origin)) {
      return;
    }
    reply.header('access-control-allow-origin', origin);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      await reply
        .header('access-control-allow-methods', ALLOWED_METHODS)
        .header('access-control-allow-headers', ALLOWED_HEADERS)
        .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_S))
        .code(204)
        .send();
    }
  });
}
