/**
 * Writes the query API's OpenAPI document (apps/query-api/openapi.json) from the controllers.
 *
 *   npm run openapi:generate    rewrite the file
 *   npm run openapi:check       exit 1 when the committed file differs (make test runs this; the
 *                               e2e tests also compare it with what the running service serves)
 *
 * Run from the sources (`node -r @swc-node/register`): the file is found next to them. The app is
 * created in Nest's preview mode: modules and routes are scanned, no provider is instantiated, so
 * nothing connects to a database.
 */
import 'reflect-metadata';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { QueryApiAppModule } from '../app.module';
import { QueryApiConfig } from '../config';
import { buildOpenApiDocument } from './openapi-document';

export const OPENAPI_FILE = resolve(__dirname, '../../openapi.json');

export async function renderOpenApi(): Promise<string> {
  const config = QueryApiConfig.fromEnv({ MONGO_URL: 'mongodb://127.0.0.1:1/openapi' });
  const app = await NestFactory.create<NestFastifyApplication>(
    QueryApiAppModule.forRoot(config),
    new FastifyAdapter(),
    {
      preview: true,
      logger: false,
      abortOnError: false,
    },
  );
  try {
    return `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  } finally {
    await app.close();
  }
}

async function main(args: readonly string[]): Promise<number> {
  const contents = await renderOpenApi();
  const shown = relative(process.cwd(), OPENAPI_FILE);
  if (args.includes('--check')) {
    if (!existsSync(OPENAPI_FILE) || readFileSync(OPENAPI_FILE, 'utf8') !== contents) {
      console.error(`openapi: ${shown} differs from the controllers; run \`npm run openapi:generate\` and commit it`);
      return 1;
    }
    console.log(`openapi: ${shown} up to date`);
    return 0;
  }
  writeFileSync(OPENAPI_FILE, contents);
  console.log(`openapi: wrote ${shown}`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
