import { problemText, toProblemMessage } from './problem';

describe('toProblemMessage', () => {
  it('takes title, detail and each error of a problem+json body', () => {
    const problem = toProblemMessage(400, 'Bad Request', {
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'Invalid query parameters',
      errors: [
        { name: 'from', message: 'must be a date-time' },
        { name: 'model[$ne]', reason: 'unknown parameter' },
      ],
    });
    expect(problem).toEqual({
      status: 400,
      title: 'Bad Request',
      detail: 'Invalid query parameters',
      errors: ['from: must be a date-time', 'model[$ne]: unknown parameter'],
    });
    expect(problemText(problem)).toBe(
      'Bad Request: Invalid query parameters\nfrom: must be a date-time\nmodel[$ne]: unknown parameter',
    );
  });

  it('falls back to the status line when the body is not a problem', () => {
    expect(toProblemMessage(502, 'Bad Gateway', undefined)).toEqual({
      status: 502,
      title: 'HTTP 502 Bad Gateway',
      detail: '',
      errors: [],
    });
    expect(toProblemMessage(500, '', 'oops').title).toBe('HTTP 500');
  });

  it('ignores malformed error entries', () => {
    expect(toProblemMessage(400, '', { title: 'x', errors: [null, 3, { message: 'no name' }] }).errors).toEqual([
      '?: no name',
    ]);
  });
});
