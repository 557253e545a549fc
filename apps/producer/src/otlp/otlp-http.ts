/**
 * Fastify body handling of the OTLP/HTTP routes: `application/x-protobuf` bodies as raw bytes, and
 * `Content-Encoding: gzip` (what OTLP exporters send with compression on) inflated as the body
 * streams in. Fastify's body limit then counts inflated bytes, so a small gzip bomb is refused
 * with 413 like any large body; a corrupt or truncated gzip stream is a 400.
 */
import { createGunzip } from 'node:zlib';
import type { Transform } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { DomainError } from '@tokenmeter/telemetry';

export const OTLP_PATHS: readonly string[] = ['/v1/traces', '/v1/metrics'];
export const PROTOBUF_MEDIA_TYPE = 'application/x-protobuf';

export function isOtlpPath(url: string): boolean {
  return OTLP_PATHS.includes(url.split('?')[0] ?? '');
}

export function installOtlpBodyParsing(fastify: FastifyInstance): void {
  fastify.addContentTypeParser(PROTOBUF_MEDIA_TYPE, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const encoding = String(request.headers['content-encoding'] ?? 'identity')
      .trim()
      .toLowerCase();
    if (!isOtlpPath(request.url) || encoding === 'identity' || encoding === '') {
      done(null, payload);
      return;
    }
    if (encoding !== 'gzip') {
      done(
        new DomainError(
          'otlp.unsupported-encoding',
          `Content-Encoding ${encoding.slice(0, 32)} is not supported; use gzip or none.`,
        ),
      );
      return;
    }
    // Fastify compares Content-Length with receivedEncodedLength when a hook changed the stream.
    const inflate: Transform & { receivedEncodedLength?: number } = createGunzip();
    inflate.receivedEncodedLength = 0;
    payload.on('data', (chunk: Buffer) => {
      inflate.receivedEncodedLength = (inflate.receivedEncodedLength ?? 0) + chunk.length;
    });
    payload.on('error', (error) => inflate.destroy(error));
    payload.pipe(inflate);
    done(null, inflate);
  });
}
