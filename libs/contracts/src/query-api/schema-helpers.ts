// What every response schema of the query API is built from, and the problem+json body all its
// errors share. Each response shape is defined once, here, as a TypeBox schema (as the events
// are): its TypeScript type is the schema's `Static<>`, which the query API and the web console
// use; the OpenAPI document shows the schema itself; the e2e tests validate every answer against it.
import {
  type SchemaOptions,
  type TInteger,
  type TNull,
  type TNumber,
  type TObject,
  type TProperties,
  type TSchema,
  type TString,
  type TUnion,
  Type,
} from '@sinclair/typebox';

/** An object with exactly these properties (`Type.Optional` marks the ones that may be absent). */
export function responseObject<T extends TProperties>(properties: T, options: SchemaOptions = {}): TObject<T> {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/** `schema` or `null`. Rendered `anyOf: [schema, {type: 'null'}]`, as TypeBox renders every union. */
export function nullable<T extends TSchema>(schema: T, options: SchemaOptions = {}): TUnion<[T, TNull]> {
  return Type.Union([schema, Type.Null()], options);
}

/** An instant in a response: RFC 3339, always UTC with milliseconds (`Date.toISOString`). */
export function timeField(options: SchemaOptions = {}): TString {
  return Type.String({ format: 'date-time', ...options });
}

/** A count: an integer from 0. */
export function countField(options: SchemaOptions = {}): TInteger {
  return Type.Integer({ minimum: 0, ...options });
}

export function nullableNumber(options: SchemaOptions = {}): TUnion<[TNumber, TNull]> {
  return nullable(Type.Number(), options);
}

/** RFC 9457 problem details, the body of every error (libs/telemetry `ProblemException`). */
export const ProblemSchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  instance: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(responseObject({ name: Type.String(), message: Type.String() }))),
});
