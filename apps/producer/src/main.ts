import 'reflect-metadata';
import { createHttpApp, runService } from '@tokenmeter/telemetry';
import { ProducerAppModule } from './app.module';
import { ProducerConfig } from './config';
import { NDJSON_TYPES } from './ingest/ingest-body';

async function bootstrap(): Promise<void> {
  const config = ProducerConfig.fromEnv(process.env);
  await createHttpApp({
    module: ProducerAppModule.forRoot(config),
    host: config.http.host,
    port: config.http.port,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    bodyParser: false,
    fastify: { bodyLimit: config.http.bodyLimitBytes },
    configure: (app) => {
      // Bodies arrive as text; IngestController parses JSON and NDJSON itself so a bad
      // line rejects one event, not the request. Other media types get 415.
      const fastify = app.getHttpAdapter().getInstance();
      fastify.removeAllContentTypeParsers();
      fastify.addContentTypeParser(['application/json', ...NDJSON_TYPES], { parseAs: 'string' }, (_req, body, done) =>
        done(null, body),
      );
    },
  });
}

runService('producer', bootstrap);
