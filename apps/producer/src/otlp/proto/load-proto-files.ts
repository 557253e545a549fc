// Loads the vendored OTLP .proto files (README.md in this folder says where they come from).
// Used by the descriptor generator and its drift test only; the service loads the generated
// descriptor, so the .proto files need not ship with the build.
import { join } from 'node:path';
import { Root } from 'protobufjs';

export const OTLP_PROTO_FILES = [
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
] as const;

export function loadOtlpProtoFiles(): Root {
  const root = new Root();
  root.resolvePath = (_origin, target) => join(__dirname, target);
  return root.loadSync([...OTLP_PROTO_FILES]);
}
