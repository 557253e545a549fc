// The response schemas are TypeBox schemas in `@tokenmeter/contracts/query-api`; this hands one to
// `@nestjs/swagger`, whose types want its own SchemaObject. A TypeBox schema is a JSON Schema
// object; its symbol keys (`[Kind]`, `[OptionalKind]`) never reach the document, which is JSON.
import type { SchemaObject } from '@nestjs/swagger';
import type { TSchema } from '@sinclair/typebox';

export function openApiSchema(schema: TSchema): SchemaObject {
  return schema;
}
