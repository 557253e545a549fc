import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { createHttpApp, runService } from '@tokenmeter/telemetry';
import { ProducerAppModule } from './app.module';
import { ProducerConfig } from './config';
import { NDJSON_TYPES, readNdjsonStream } from './ingest/ingest-body';
import { installOtlpBodyParsing } from './otlp/otlp-http';

async function bootstrap(): Promise<void> {
  const config = ProducerConfig.fromEnv(process.env);
  await createHttpApp({
    module: ProducerAppModule.forRoot(config),
    host: config.http.host,
    port: config.http.port,
    corsOrigins: config.http.corsOrigins,
    requestTimeoutMs: config.http.requestTimeoutMs,
    maxHeaderBytes: config.http.maxHeaderBytes,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    bodyParser: false,
    fastify: { bodyLimit: config.http.bodyLimitBytes },
    configure: (app) => {
      // Bodies arrive as text; IngestController parses JSON and NDJSON itself so a bad
      // line rejects one event, not the request. Other media types get 415.
      const fastify = app.getHttpAdapter().getInstance();
      fastify.removeAllContentTypeParsers();
      fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
      // NDJSON is parsed line by line while it streams in (ingest-body.ts), within the same limits.
      const limits = { maxBytes: config.http.bodyLimitBytes, maxEvents: config.ingest.maxEventsPerRequest };
      for (const type of NDJSON_TYPES) {
        fastify.addContentTypeParser(type, (_req: FastifyRequest, payload: IncomingMessage) =>
          readNdjsonStream(payload, limits),
        );
      }
      // OTLP/HTTP (otlp/): protobuf bodies as bytes, gzip inflated within the same body limit.
      installOtlpBodyParsing(fastify);
    },
  });
}

runService('producer', bootstrap);
