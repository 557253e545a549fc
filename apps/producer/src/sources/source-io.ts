// The sources' side effects, each behind a small injectable class: HTTP scrapes and running
// a local command. The source logic receives plain text and never touches the network.
import { execFile } from 'node:child_process';
import { Injectable } from '@nestjs/common';

export class ScrapeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScrapeError';
  }
}

/** The binary is not installed: the source is unavailable, which is not an error of the producer. */
export class CommandNotFoundError extends Error {
  constructor(readonly command: string) {
    super(`${command} was not found`);
    this.name = 'CommandNotFoundError';
  }
}

/** Prometheus exposition bodies are small; anything larger is not a metrics endpoint. */
const MAX_SCRAPE_BYTES = 16 * 1024 * 1024;

@Injectable()
export class ScrapeClient {
  /** GET `url` as text (Prometheus exposition), within `timeoutMs`. */
  async fetchText(url: string, timeoutMs: number): Promise<string> {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'text/plain;version=0.0.4;q=1, */*;q=0.1' },
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      const reason =
        error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : describe(error);
      throw new ScrapeError(`GET ${url} failed: ${reason}`, { cause: error });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new ScrapeError(`GET ${url} answered ${response.status}`);
    }
    const length = Number(response.headers.get('content-length') ?? '0');
    if (length > MAX_SCRAPE_BYTES) {
      await response.body?.cancel();
      throw new ScrapeError(`GET ${url} is ${length} bytes, over the ${MAX_SCRAPE_BYTES} byte limit`);
    }
    const text = await response.text();
    if (text.length > MAX_SCRAPE_BYTES) throw new ScrapeError(`GET ${url} is over the ${MAX_SCRAPE_BYTES} byte limit`);
    return text;
  }
}

@Injectable()
export class CommandRunner {
  /** Runs `command args` without a shell and returns its stdout. */
  run(command: string, args: readonly string[], timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        command,
        [...args],
        { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, windowsHide: true },
        (error, stdout, stderr) => {
          if (error === null) {
            resolve(stdout);
            return;
          }
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
            reject(new CommandNotFoundError(command));
            return;
          }
          const detail = stderr.trim().split('\n')[0] ?? '';
          reject(
            new ScrapeError(`${command} failed: ${error.message}${detail === '' ? '' : ` (${detail.slice(0, 200)})`}`),
          );
        },
      );
    });
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}
