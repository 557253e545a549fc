import 'reflect-metadata';
import { createHttpApp, runService } from '@tokenmeter/telemetry';
import { QueryApiAppModule } from './app.module';
import { QueryApiConfig } from './config';
import { serveOpenApi } from './openapi/openapi-document';

async function bootstrap(): Promise<void> {
  const config = QueryApiConfig.fromEnv(process.env);
  await createHttpApp({
    module: QueryApiAppModule.forRoot(config),
    host: config.http.host,
    port: config.http.port,
    corsOrigins: config.http.corsOrigins,
    requestTimeoutMs: config.http.requestTimeoutMs,
    maxHeaderBytes: config.http.maxHeaderBytes,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    // A read API: any request body is refused rather than parsed.
    bodyParser: false,
    configure: (app) => serveOpenApi(app),
  });
}

runService('query-api', bootstrap);
