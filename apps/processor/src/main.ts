import 'reflect-metadata';
import { createHttpApp, runService } from '@tokenmeter/telemetry';
import { ProcessorAppModule } from './app.module';
import { ProcessorConfig } from './config';

/** The processor serves only /health/* and /metrics over HTTP; its work is the consumers. */
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
  });
}

runService('processor', bootstrap);
