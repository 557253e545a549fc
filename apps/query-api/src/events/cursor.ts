// Opaque keyset cursors for event listings: the (time, _id) of the last item returned.
// Base64url JSON; anything that does not decode to exactly that shape is a 400.
import { invalidParams } from '../params/query-params';

export interface CursorPosition {
  timeMs: number;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.timeMs, position.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    typeof parsed[0] === 'number' &&
    Number.isSafeInteger(parsed[0]) &&
    typeof parsed[1] === 'string' &&
    /^[A-Za-z0-9._:-]{1,128}$/.test(parsed[1])
  ) {
    return { timeMs: parsed[0], id: parsed[1] };
  }
  throw invalidCursor();
}

function invalidCursor() {
  return invalidParams([{ name: 'cursor', message: 'is not a cursor returned by this API' }]);
}
