// Turns a request body into candidate events: one JSON event, a JSON array of events, or
// NDJSON (one event per line). A malformed NDJSON line rejects that line only.
//
// NDJSON is parsed as it streams in (readNdjsonStream): each line is parsed when it is
// complete, so parsing overlaps the upload, memory holds the events rather than the events
// plus the whole text, and a body over the byte or event limit is refused as soon as it
// crosses it instead of after it has been read in full.
import { StringDecoder } from 'node:string_decoder';
import { DomainError } from '@tokenmeter/telemetry';

export type BodyItem = { ok: true; value: unknown } | { ok: false; message: string };

export const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'] as const;

export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function parseIngestBody(contentType: string | undefined, text: string, maxEvents: number): BodyItem[] {
  const mediaType = mediaTypeOf(contentType);
  const items = (NDJSON_TYPES as readonly string[]).includes(mediaType) ? parseNdjson(text) : parseJson(text);
  if (items.length === 0) throw new DomainError('ingest.no-events', 'The request contains no events.');
  if (items.length > maxEvents) {
    throw new DomainError(
      'ingest.too-many-events',
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
    throw new DomainError('ingest.malformed-body', 'The request body is not valid JSON.');
  }
  if (Array.isArray(parsed)) return parsed.map((value: unknown) => ({ ok: true, value }));
  if (typeof parsed === 'object' && parsed !== null) return [{ ok: true, value: parsed }];
  throw new DomainError(
    'ingest.malformed-body',
    'The request body must be a JSON object (one event) or an array of events.',
  );
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

/** What the NDJSON content-type parser hands the controller: events already split and parsed. */
export class ParsedNdjson {
  constructor(readonly items: BodyItem[]) {}
}

export interface StreamLimits {
  maxBytes: number;
  maxEvents: number;
}

export async function readNdjsonStream(
  stream: AsyncIterable<Buffer | string>,
  { maxBytes, maxEvents }: StreamLimits,
): Promise<ParsedNdjson> {
  const decoder = new StringDecoder('utf8');
  const items: BodyItem[] = [];
  let bytes = 0;
  let lineNumber = 0;
  let rest = '';
  const take = (line: string): void => {
    lineNumber += 1;
    const trimmed = line.trim();
    if (trimmed === '') return;
    if (items.length >= maxEvents) {
      throw new DomainError(
        'ingest.too-many-events',
        `A request may carry at most ${maxEvents} events; this one has more. Split it.`,
      );
    }
    try {
      items.push({ ok: true, value: JSON.parse(trimmed) as unknown });
    } catch {
      items.push({ ok: false, message: `line ${lineNumber} is not valid JSON` });
    }
  };
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += buffer.length;
    if (bytes > maxBytes) {
      throw new DomainError('ingest.body-too-large', `The request body is larger than the limit of ${maxBytes} bytes.`);
    }
    const text = rest + decoder.write(buffer);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      take(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  take(rest + decoder.end());
  if (items.length === 0) throw new DomainError('ingest.no-events', 'The request contains no events.');
  return new ParsedNdjson(items);
}
