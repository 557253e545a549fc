/**
 * GETs against the query API on the same origin, with the stored key. Every failure becomes an
 * ApiError carrying what the panel shows; 401 also reaches the key dialog through `onUnauthorized`.
 */
import { problemText, toProblemMessage, type ProblemMessage } from './problem';
import { storedKey } from './key-store';

export class ApiError extends Error {
  constructor(readonly problem: ProblemMessage) {
    super(problemText(problem));
    this.name = 'ApiError';
  }
}

/** fetch() itself failed: the server is unreachable or the connection dropped. */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super(`The query API could not be reached (${cause instanceof Error ? cause.message : String(cause)})`);
    this.name = 'NetworkError';
  }
}

export interface AuthEvents {
  /** `key` is the key the request carried (undefined when none was stored). */
  onUnauthorized(problem: ProblemMessage, key: string | undefined): void;
  onAccepted(key: string | undefined): void;
}

async function readProblem(response: Response): Promise<ProblemMessage> {
  const type = response.headers.get('content-type') ?? '';
  let body: unknown;
  if (/json/i.test(type)) {
    try {
      body = await response.json();
    } catch {
      body = undefined; // a broken body still leaves the status to show
    }
  }
  return toProblemMessage(response.status, response.statusText, body);
}

export class ApiClient {
  constructor(private readonly auth: AuthEvents) {}

  /** Rejects with ApiError, NetworkError, or the AbortError of `signal`. */
  async get<T>(pathAndQuery: string, signal: AbortSignal): Promise<T> {
    const key = storedKey();
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (key !== undefined) headers['Authorization'] = `Bearer ${key}`;
    let response: Response;
    try {
      response = await fetch(pathAndQuery, { headers, signal, credentials: 'omit', cache: 'no-store' });
    } catch (error: unknown) {
      if (signal.aborted) throw error;
      throw new NetworkError(error);
    }
    if (response.status === 401) {
      const problem = await readProblem(response);
      // A superseded request (e.g. sent before a key was entered) must not reopen the dialog.
      if (signal.aborted) throw new DOMException('superseded', 'AbortError');
      this.auth.onUnauthorized(problem, key);
      throw new ApiError(problem);
    }
    this.auth.onAccepted(key);
    if (!response.ok) throw new ApiError(await readProblem(response));
    return (await response.json()) as T;
  }
}
