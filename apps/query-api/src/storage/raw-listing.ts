// How raw events are listed in (time, eventId) order: the seam between the reader and the server.
// The storage dialect's `rawListing` (libs/storage) chooses, here and in the processor; tests
// force the dialect of their connection to run both listings on one server.
import {
  type GpuSampleDocument,
  type RawKind,
  type TokenEventDocument,
  type TokenIntervalDocument,
} from '@tokenmeter/storage';
import type { CursorPosition } from '../events/cursor';

export interface EventPageQuery {
  fromMs: number;
  toMs: number;
  /** Equality filters on indexed fields; values are plain strings or numbers, never operators. */
  equals: Record<string, string | number>;
  /** Tenant scope of the API key: only these tenants' documents (undefined = all). */
  tenantIn?: readonly string[];
  after?: CursorPosition;
  limit: number;
}

export type RawDocument = TokenEventDocument | GpuSampleDocument | TokenIntervalDocument;

export abstract class RawListing {
  /** Up to `q.limit` documents of `kind` matching `q`, in (time, _id) order, after `q.after`. */
  abstract page<T extends RawDocument>(kind: RawKind, q: EventPageQuery): Promise<T[]>;
}
