/** What a panel shows for a failed request: an RFC 9457 problem, or the bare HTTP status. */

export interface ProblemMessage {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  /** `name: reason` for each entry of the problem's `errors`. */
  readonly errors: readonly string[];
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function errorEntries(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const record = entry as Record<string, unknown>;
    // The query API names the reason `message`; `reason` and `detail` are the other common spellings.
    const reason = text(record['message']) || text(record['reason']) || text(record['detail']);
    return [`${text(record['name']) || '?'}: ${reason}`];
  });
}

/**
 * `body` is the parsed JSON of a problem+json answer, or undefined when the answer was not one;
 * then the status line stands in for the title.
 */
export function toProblemMessage(status: number, statusText: string, body: unknown): ProblemMessage {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const fallback = `HTTP ${status}${statusText === '' ? '' : ` ${statusText}`}`;
  return {
    status,
    title: text(record['title']) || fallback,
    detail: text(record['detail']),
    errors: errorEntries(record['errors']),
  };
}

export function problemText(problem: ProblemMessage): string {
  return [problem.detail === '' ? problem.title : `${problem.title}: ${problem.detail}`, ...problem.errors].join('\n');
}
