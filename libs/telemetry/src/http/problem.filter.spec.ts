import { BadRequestException, NotFoundException } from '@nestjs/common';
import Fastify from 'fastify';
import { ProblemException } from './problem';
import { answerRouterError, toProblem } from './problem.filter';
import { installSecurityHeaders } from './security-headers';

describe('toProblem', () => {
  it('keeps a ProblemException with its errors and headers', () => {
    const error = new ProblemException(503, 'later', {
      headers: { 'retry-after': '5' },
      errors: [{ name: 'x', message: 'y' }],
    });
    expect(toProblem(error, '/v1/tokens')).toEqual({
      body: {
        type: 'about:blank',
        title: 'Service Unavailable',
        status: 503,
        detail: 'later',
        instance: '/v1/tokens',
        errors: [{ name: 'x', message: 'y' }],
      },
      headers: { 'retry-after': '5' },
    });
  });

  it('maps Nest HTTP exceptions', () => {
    expect(toProblem(new NotFoundException('Cannot GET /x'), '/x').body).toMatchObject({
      status: 404,
      title: 'Not Found',
    });
    expect(toProblem(new BadRequestException(), '/x').body.status).toBe(400);
  });

  it("maps Fastify's client errors without echoing input", () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), {
      statusCode: 413,
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    });
    expect(toProblem(tooLarge, '/v1/tokens').body).toMatchObject({
      status: 413,
      detail: 'The request body is larger than the limit.',
    });
    const badJson = Object.assign(new SyntaxError('Unexpected token } in JSON at position 3: {"a"}'), {
      statusCode: 400,
    });
    expect(toProblem(badJson, '/v1/tokens').body.detail).toBe('The request body is not valid JSON.');
  });

  it('hides the details of unexpected errors', () => {
    const { body } = toProblem(new Error('connection string mongodb://u:secret@h failed'), '/v1/events/tokens');
    expect(body).toMatchObject({ status: 500, detail: 'An unexpected error occurred.' });
    expect(JSON.stringify(body)).not.toContain('secret');
  });
});

describe('answerRouterError (Fastify frameworkErrors)', () => {
  async function appWithRouter() {
    const app = Fastify({ routerOptions: { maxParamLength: 32 }, frameworkErrors: answerRouterError });
    installSecurityHeaders(app);
    app.get('/v1/events/:eventId', () => ({ ok: true }));
    await app.ready();
    return app;
  }

  it('answers a path segment over maxParamLength with 414 problem+json that does not echo the URL', async () => {
    const app = await appWithRouter();
    const long = 'a'.repeat(5_000);
    const response = await app.inject({ method: 'GET', url: `/v1/events/${long}` });
    expect(response.statusCode).toBe(414);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(response.json()).toEqual({
      type: 'about:blank',
      title: 'URI Too Long',
      status: 414,
      detail: 'A path segment of the URL is longer than the limit.',
    });
    expect(response.body).not.toContain('aaaa');
    // The security headers of every other answer.
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    await app.close();
  });

  it('answers a malformed URL with 400 problem+json', async () => {
    const app = await appWithRouter();
    const response = await app.inject({ method: 'GET', url: '/v1/events/%E0%A4%A' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(response.json()).toMatchObject({ status: 400, title: 'Bad Request', detail: 'The URL is malformed.' });
    expect(response.body).not.toContain('%E0');
    await app.close();
  });

  it('still routes a segment within the limit', async () => {
    const app = await appWithRouter();
    const response = await app.inject({ method: 'GET', url: `/v1/events/${'a'.repeat(32)}` });
    expect(response.json()).toEqual({ ok: true });
    await app.close();
  });
});
