import { BadRequestException, NotFoundException } from '@nestjs/common';
import { ProblemException } from './problem';
import { toProblem } from './problem.filter';

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
