// The OpenAPI 3.1 document of the query API, generated from the controllers' decorators.
// Served at /openapi.json (Swagger UI at /docs) and committed as apps/query-api/openapi.json,
// which `npm run openapi:check` (part of `make test`) compares with a fresh generation.
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('tokenmeter query API')
    .setDescription(
      'LLM token usage and GPU telemetry from the tokenmeter rollups and raw events. Times are RFC 3339 (UTC in ' +
        'responses); errors are RFC 9457 application/problem+json naming every invalid parameter. ' +
        'Authenticate with `Authorization: Bearer <API key>`; a key sees only its tenants.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key from API_KEYS' })
    .build();
  return SwaggerModule.createDocument(app, config, { operationIdFactory: (controller, method) => method });
}

/** Serves the document at /openapi.json and Swagger UI at /docs. */
export function serveOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'openapi.json',
    raw: ['json'],
  });
}
