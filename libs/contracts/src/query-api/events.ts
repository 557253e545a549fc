// The answers of the raw event listings: pages of events as the contracts define them
// (libs/contracts), with the keyset cursor of the next page.
import { type Static, type TSchema, type TUnsafe, Type } from '@sinclair/typebox';
import { GpuSampleSchema } from '../gpu-sample';
import { TokenUsageEventSchema } from '../token-usage-event';
import { TokenUsageIntervalSchema } from '../token-usage-interval';
import { nullable, responseObject } from './schema-helpers';

export function pageSchema<T extends TSchema>(item: T) {
  return responseObject({
    items: Type.Array(item),
    nextCursor: nullable(Type.String(), { description: 'pass as `cursor` for the next page; null on the last' }),
  });
}

/** A page of `T`s: the type of `pageSchema` for a schema of `T`. */
export type Page<T> = Static<ReturnType<typeof pageSchema<TUnsafe<T>>>>;

export const TokenEventPageSchema = pageSchema(TokenUsageEventSchema);
export const TokenIntervalPageSchema = pageSchema(TokenUsageIntervalSchema);
export const GpuSamplePageSchema = pageSchema(GpuSampleSchema);
