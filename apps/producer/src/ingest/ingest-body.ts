// Turns a request body into candidate events: one JSON event, a JSON array of events, or
// NDJSON (one event per line). A malformed NDJSON line rejects that line only.
import { ProblemException } from '@tokenmeter/telemetry';

export type BodyItem = { ok: true; value: unknown } | { ok: false; message: string };

export const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'] as const;

export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function parseIngestBody(contentType: string | undefined, text: string, maxEvents: number): BodyItem[] {
  const mediaType = mediaTypeOf(contentType);
  const items = (NDJSON_TYPES as readonly string[]).includes(mediaType) ? parseNdjson(text) : parseJson(text);
  if (items.length === 0) throw new ProblemException(400, 'The request contains no events.');
  if (items.length > maxEvents) {
    throw new ProblemException(
      413,
      `A request may carry at most ${maxEvents} events; this one has ${items.length}. Split it.`,
    );
  }
  return items;
}

function parseJson(text: string): BodyItem[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ProblemException(400, 'The request body is not valid JSON.');
  }
  if (Array.isArray(parsed)) return parsed.map((value: unknown) => ({ ok: true, value }));
  if (typeof parsed === 'object' && parsed !== null) return [{ ok: true, value: parsed }];
  throw new ProblemException(400, 'The request body must be a JSON object (one event) or an array of events.');
}

function parseNdjson(text: string): BodyItem[] {
  const items: BodyItem[] = [];
  let lineNumber = 0;
  for (const line of text.split('\n')) {
    lineNumber += 1;
    const trimmed = line.trim();
    if (trimmed === '') continue;
    try {
      items.push({ ok: true, value: JSON.parse(trimmed) as unknown });
    } catch {
      items.push({ ok: false, message: `line ${lineNumber} is not valid JSON` });
    }
  }
  return items;
}
