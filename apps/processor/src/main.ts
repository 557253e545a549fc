import 'reflect-metadata';
import { createHttpApp, runService } from '@tokenmeter/telemetry';
import { ProcessorAppModule } from './app.module';
import { ProcessorConfig } from './config';
import { IngestionTransport } from './ingestion/ingestion-transport';

/**
 * A hybrid Nest app: over HTTP only /health/* and /metrics; its work is the microservice of the
 * ingestion module (KafkaBatchServer), whose consumers start before the HTTP port opens.
 */
async function bootstrap(): Promise<void> {
  const config = ProcessorConfig.fromEnv(process.env);
  await createHttpApp({
    module: ProcessorAppModule.forRoot(config),
    host: config.http.host,
    port: config.http.port,
    corsOrigins: config.http.corsOrigins,
    requestTimeoutMs: config.http.requestTimeoutMs,
    maxHeaderBytes: config.http.maxHeaderBytes,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    bodyParser: false,
    configure: async (app) => {
      app.connectMicroservice({ strategy: app.get(IngestionTransport).server });
      // Module init first: it creates the topics and the indexes the consumers need.
      await app.init();
      await app.startAllMicroservices();
    },
  });
}

runService('processor', bootstrap);
