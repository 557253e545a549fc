import { BadRequestException, NotFoundException } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import { DomainError, isDomainError } from '../errors/domain-error';
import { ProblemException } from './problem';
import { ERROR_CODES, PROBLEM_TYPES } from './problem-types';
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

describe('domain errors', () => {
  it('become problems through the one table: status, type and title by code, with Retry-After and extensions', () => {
    const error = new DomainError('ingest.kafka-unavailable', 'Kafka cannot take the events now.', {
      retryAfterSeconds: 7,
    });
    expect(toProblem(error, '/v1/tokens')).toEqual({
      body: {
        type: 'urn:tokenmeter:problem:ingest.kafka-unavailable',
        title: 'Kafka cannot take events now',
        status: 503,
        detail: 'Kafka cannot take the events now.',
        instance: '/v1/tokens',
      },
      headers: { 'retry-after': '7' },
    });
    const invalid = new DomainError('ingest.no-valid-events', 'None of the 2 events is valid.', {
      errors: [{ path: '$[0].model', message: 'required' }],
      rejected: [{ index: 0 }],
    });
    expect(toProblem(invalid, '/v1/tokens')).toEqual({
      body: {
        type: 'urn:tokenmeter:problem:ingest.no-valid-events',
        title: 'No event of the request is valid',
        status: 400,
        detail: 'None of the 2 events is valid.',
        instance: '/v1/tokens',
        errors: [{ path: '$[0].model', message: 'required' }],
        rejected: [{ index: 0 }],
      },
      headers: {},
    });
  });

  it('gives every code a client or availability status and a title of its own', () => {
    const titles = ERROR_CODES.map((code) => PROBLEM_TYPES[code].title);
    expect(new Set(titles).size).toBe(titles.length);
    for (const code of ERROR_CODES) {
      expect({ code, ok: [400, 403, 413, 415, 503].includes(PROBLEM_TYPES[code].status) }).toEqual({ code, ok: true });
      expect(code).toMatch(/^[a-z]+\.[a-z-]+$/);
    }
  });

  it('tells codes apart for callers that switch on them', () => {
    const error = new DomainError('otlp.malformed', 'x');
    expect(isDomainError(error)).toBe(true);
    expect(isDomainError(error, 'otlp.malformed', 'otlp.too-many-items')).toBe(true);
    expect(isDomainError(error, 'ingest.no-valid-events')).toBe(false);
    expect(isDomainError(new ProblemException(400, 'x'), 'otlp.malformed')).toBe(false);
  });

  it('are the codes the README documents for clients, with the same statuses', () => {
    const readme = readFileSync(path.resolve(__dirname, '..', '..', '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Errors'), readme.indexOf('### Pipeline benchmark'));
    const documented = [...section.matchAll(/^\| `([a-z]+\.[a-z-]+)` +\| (\d{3}) +\|/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    expect(documented).toEqual(ERROR_CODES.map((code) => [code, PROBLEM_TYPES[code].status]));
  });
});
