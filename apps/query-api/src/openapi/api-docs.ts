// OpenAPI decorators generated from the same parameter specs the handlers parse with, so the
// document cannot drift from what the API accepts.
import { applyDecorators } from '@nestjs/common';
import { ApiQuery, ApiResponse } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger';
import type { ParamSpec } from '../params/query-params';
import { ProblemSchema } from '@tokenmeter/contracts/query-api';
import { openApiSchema } from './responses';
import { MAX_STRING_PARAM_LENGTH } from '@tokenmeter/contracts/query-api/params';

export function paramSchema(spec: ParamSpec): SchemaObject {
  switch (spec.kind) {
    case 'time':
      return { type: 'string', format: 'date-time' };
    case 'string':
      return { type: 'string', minLength: 1, maxLength: spec.maxLength ?? MAX_STRING_PARAM_LENGTH };
    case 'int':
      return { type: 'integer', minimum: spec.min, maximum: spec.max };
    case 'enum':
      return { type: 'string', enum: [...spec.values] };
    case 'list':
      return { type: 'string', pattern: `^(${spec.values.join('|')})(,(${spec.values.join('|')}))*$` };
    case 'cursor':
      return { type: 'string', pattern: '^[A-Za-z0-9_-]{1,1024}$' };
  }
}

export function ApiQueryParams(specs: Record<string, ParamSpec>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...Object.entries(specs).map(([name, spec]) =>
      ApiQuery({
        name,
        required: false,
        schema: paramSchema(spec),
        ...(spec.description === undefined ? {} : { description: spec.description }),
      }),
    ),
  );
}

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid parameters; `errors` names each one',
  401: 'Missing or unknown API key',
  403: 'The API key may not read this tenant or fleet-wide data',
  404: 'Not found (or not visible to this API key)',
  429: 'Rate limit of the API key exceeded; see Retry-After',
};

export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: PROBLEM_DESCRIPTIONS[status] ?? 'Error',
        content: { 'application/problem+json': { schema: openApiSchema(ProblemSchema) } },
      }),
    ),
  );
}
