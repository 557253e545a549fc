import Fastify from 'fastify';
import { installCors } from './cors';

async function app(origins: readonly string[]) {
  const fastify = Fastify();
  installCors(fastify, origins);
  fastify.get('/v1/things', () => ({ ok: true }));
  await fastify.ready();
  return fastify;
}

describe('CORS', () => {
  it('is off by default: no CORS headers for any origin, no preflight answer', async () => {
    const fastify = await app([]);
    const read = await fastify.inject({
      method: 'GET',
      url: '/v1/things',
      headers: { origin: 'https://evil.example' },
    });
    expect(read.headers).not.toHaveProperty('access-control-allow-origin');
    const preflight = await fastify.inject({
      method: 'OPTIONS',
      url: '/v1/things',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.statusCode).toBe(404);
    expect(preflight.headers).not.toHaveProperty('access-control-allow-origin');
    await fastify.close();
  });

  it('allows exactly the listed origins', async () => {
    const fastify = await app(['https://dash.example']);
    const allowed = await fastify.inject({
      method: 'GET',
      url: '/v1/things',
      headers: { origin: 'https://dash.example' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://dash.example');
    expect(allowed.headers.vary).toBe('origin');
    const other = await fastify.inject({
      method: 'GET',
      url: '/v1/things',
      headers: { origin: 'https://dash.example.evil.example' },
    });
    expect(other.headers).not.toHaveProperty('access-control-allow-origin');
    await fastify.close();
  });

  it("answers a listed origin's preflight with the methods and headers the APIs use", async () => {
    const fastify = await app(['https://dash.example']);
    const preflight = await fastify.inject({
      method: 'OPTIONS',
      url: '/v1/things',
      headers: { origin: 'https://dash.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toContain('authorization');
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    await fastify.close();
  });
});
