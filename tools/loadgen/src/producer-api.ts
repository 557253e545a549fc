/**
 * The load generator's side of the producer's HTTP API: where requests go, how they are posted
 * (global fetch with a timeout, or any `PostFn` a test or the fault suite passes in), and what
 * each answer means for the events of the request (SPEC §5).
 */
import type { LoadOptions } from './load-options';

export type LoadStream = 'tokens' | 'gpus';

export interface PostResponse {
  status: number;
  body: string;
  /** The Retry-After header, when it is a number of seconds. */
  retryAfterSeconds?: number;
}

export type PostFn = (url: string, body: string, headers: Readonly<Record<string, string>>) => Promise<PostResponse>;

export type RequestOutcome =
  | { kind: 'accepted'; status: number; rejectedIndexes: ReadonlySet<number> }
  | { kind: 'rejected'; status: number }
  | { kind: 'throttled'; status: number; retryAfterMs?: number }
  | { kind: 'unavailable'; status: number; retryAfterMs?: number }
  | { kind: 'failed'; status?: number; error: string };

export interface ProducerEndpoints {
  urls: Record<LoadStream, string>;
  headers: Record<string, string>;
}

/** The URL of each stream and the headers of every request (NDJSON bodies). */
export function producerEndpoints(options: Pick<LoadOptions, 'target' | 'apiKey'>): ProducerEndpoints {
  const base = options.target.replace(/\/+$/, '');
  return {
    urls: { tokens: `${base}/v1/tokens`, gpus: `${base}/v1/gpus` },
    headers: {
      'content-type': 'application/x-ndjson',
      'user-agent': 'tokenmeter-loadgen',
      ...(options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }),
    },
  };
}

/** POST with global fetch; a request that takes longer than `timeoutMs` fails with a TimeoutError. */
export function fetchPoster(timeoutMs: number): PostFn {
  return async (url, body, headers) => {
    const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    const retryAfter = response.headers.get('retry-after');
    const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
    return Number.isFinite(seconds) && seconds >= 0
      ? { status: response.status, body: text, retryAfterSeconds: seconds }
      : { status: response.status, body: text };
  };
}

/**
 * What a producer answer means for the events of the request (SPEC §5): 2xx
 * `{accepted, rejected: [{index, errors}]}` → accepted except the rejected indexes; 429 →
 * throttled; 503 → unavailable; any other 4xx (400, 413, 401...) → rejected; other statuses →
 * failed.
 */
export function classify(response: PostResponse): RequestOutcome {
  const { status } = response;
  const retryAfterMs =
    response.retryAfterSeconds === undefined ? {} : { retryAfterMs: response.retryAfterSeconds * 1000 };
  if (status >= 200 && status < 300)
    return { kind: 'accepted', status, rejectedIndexes: rejectedIndexes(response.body) };
  if (status === 429) return { kind: 'throttled', status, ...retryAfterMs };
  if (status === 503) return { kind: 'unavailable', status, ...retryAfterMs };
  if (status >= 400 && status < 500) return { kind: 'rejected', status };
  return { kind: 'failed', status, error: `HTTP ${status}` };
}

/** A request that got no answer (network error, timeout). */
export function failedRequest(error: unknown): RequestOutcome {
  return { kind: 'failed', error: describeError(error) };
}

function rejectedIndexes(body: string): Set<number> {
  const indexes = new Set<number>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return indexes;
  }
  const rejected = typeof parsed === 'object' && parsed !== null ? (parsed as { rejected?: unknown }).rejected : [];
  if (!Array.isArray(rejected)) return indexes;
  for (const entry of rejected as unknown[]) {
    const index = typeof entry === 'object' && entry !== null ? (entry as { index?: unknown }).index : undefined;
    if (typeof index === 'number' && Number.isInteger(index)) indexes.add(index);
  }
  return indexes;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.name}: ${error.message}${cause}`;
}
