// W3C trace context for ingest requests: keep the caller's traceparent, or start a trace.
import { randomBytes } from 'node:crypto';
import { isValidTraceparent } from '@tokenmeter/contracts';

export function traceparentFor(header: string | string[] | undefined): string {
  if (typeof header === 'string' && isValidTraceparent(header)) return header;
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}
