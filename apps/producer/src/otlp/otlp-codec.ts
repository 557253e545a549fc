/**
 * OTLP/HTTP bodies in and out: ExportTraceServiceRequest / ExportMetricsServiceRequest decoded from
 * protobuf (protobufjs with the official .proto definitions, see proto/README.md) or from OTLP's
 * JSON encoding, into the few plain values the mapping reads; responses and google.rpc.Status
 * errors encoded in the request's encoding (OTLP 1.x, "OTLP/HTTP Response").
 *
 * Both encodings go through one normaliser: protobufjs's toObject() gives the same lowerCamelCase
 * shape as OTLP JSON, except that ids are bytes (JSON: hex) and 64-bit integers are strings (JSON:
 * strings or numbers). A body that is not a request at all (truncated protobuf, not JSON, a
 * `resourceSpans` that is not a list) is a 400; one span or data point that is malformed is
 * rejected alone (partial success), so the rest of the export still counts.
 */
import { Field, Root, Type } from 'protobufjs';
import { DomainError } from '@tokenmeter/telemetry';
import { OTLP_DESCRIPTOR } from './otlp-descriptor.generated';

export type OtlpEncoding = 'protobuf' | 'json';
export type OtlpSignal = 'traces' | 'metrics';

/** Attribute values the mapping can use; lists, maps and bytes are kept as `null` (present, unusable). */
export type AttributeValue = string | number | boolean | null;
export type Attributes = ReadonlyMap<string, AttributeValue>;

/** One span or data point: decoded, or rejected with the reason. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; message: string };

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  startNs: bigint;
  endNs: bigint;
  attributes: Attributes;
  resource: Attributes;
  /** google: STATUS_CODE_UNSET 0, OK 1, ERROR 2. */
  statusCode: number;
}

export const AGGREGATION_TEMPORALITY = { unspecified: 0, delta: 1, cumulative: 2 } as const;

export interface OtlpHistogramPoint {
  metricName: string;
  temporality: number;
  resource: Attributes;
  attributes: Attributes;
  /** 0 when the exporter did not set it. */
  startNs: bigint;
  timeNs: bigint;
  count: number;
  sum: number | undefined;
}

export interface DecodedTraces {
  spans: Decoded<OtlpSpan>[];
}

export interface DecodedMetrics {
  /** Data points of histogram metrics; those of other metric types only counted in `otherPoints`. */
  histogramPoints: Decoded<OtlpHistogramPoint>[];
  otherPoints: number;
}

/** A span or point with more attributes than this is rejected: no convention needs a fraction of it. */
export const MAX_ATTRIBUTES_PER_ITEM = 1_024;

const root = Root.fromJSON(OTLP_DESCRIPTOR);
const TYPES = {
  traces: {
    request: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    response: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
  },
  metrics: {
    request: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
    response: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'),
  },
} as const;

// google.rpc.Status (code, message; details left empty), the body OTLP asks for on 4xx and 5xx.
export const RPC_STATUS_TYPE = new Type('Status')
  .add(new Field('code', 1, 'int32'))
  .add(new Field('message', 2, 'string'));
new Root().define('google.rpc').add(RPC_STATUS_TYPE);

export function encodingOf(mediaType: string): OtlpEncoding | undefined {
  if (mediaType === 'application/x-protobuf') return 'protobuf';
  if (mediaType === 'application/json') return 'json';
  return undefined;
}

/** The request body as plain objects in OTLP JSON's shape, or a 400. */
function readBody(signal: OtlpSignal, encoding: OtlpEncoding, body: Buffer | string): unknown {
  if (encoding === 'json') {
    try {
      return JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as unknown;
    } catch {
      throw new DomainError('otlp.malformed', 'The request body is not valid JSON.');
    }
  }
  const type = TYPES[signal].request;
  try {
    const message = type.decode(typeof body === 'string' ? Buffer.from(body, 'latin1') : body);
    return type.toObject(message, { longs: String, enums: Number, bytes: Array });
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 200) : 'undecodable';
    throw new DomainError('otlp.malformed', `The request body is not a protobuf ${type.name}: ${reason}.`);
  }
}

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A repeated field of the envelope: absent is empty, anything but a list is a 400. */
function envelopeList(parent: Obj, field: string, where: string): Obj[] {
  const value = parent[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every(isObj)) {
    throw new DomainError('otlp.malformed', `${where}.${field} must be a list of objects.`);
  }
  return value;
}

class ItemError extends Error {}

function list(parent: Obj, field: string): unknown[] {
  const value = parent[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ItemError(`${field} is not a list`);
  return value;
}

/** A 64-bit unsigned integer as OTLP carries it (protobuf: decimal string; JSON: string or number). */
function uint64(value: unknown, field: string, required: boolean): bigint {
  if ((value === undefined || value === null) && !required) return 0n;
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return BigInt(value);
  throw new ItemError(`${field} is not an unsigned 64-bit integer`);
}

function int64Number(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,19}$/.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

function doubleOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  // OTLP JSON may spell non-finite doubles as strings.
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return undefined;
}

function idHex(value: unknown, field: string, bytes: number, encoding: OtlpEncoding): string {
  let hex: string | undefined;
  if (encoding === 'json' && typeof value === 'string' && /^[0-9a-fA-F]*$/.test(value)) hex = value.toLowerCase();
  if (encoding === 'protobuf' && Array.isArray(value) && value.every((b) => typeof b === 'number')) {
    hex = Buffer.from(value).toString('hex');
  }
  if (hex === undefined || hex.length !== bytes * 2 || /^0+$/.test(hex)) {
    throw new ItemError(`${field} is not a valid ${bytes}-byte id`);
  }
  return hex;
}

function attributeValue(anyValue: unknown): AttributeValue | undefined {
  if (anyValue === undefined || anyValue === null) return null;
  if (!isObj(anyValue)) return undefined;
  if ('stringValue' in anyValue) return typeof anyValue.stringValue === 'string' ? anyValue.stringValue : undefined;
  if ('boolValue' in anyValue) return typeof anyValue.boolValue === 'boolean' ? anyValue.boolValue : undefined;
  if ('intValue' in anyValue) return int64Number(anyValue.intValue);
  if ('doubleValue' in anyValue) return doubleOf(anyValue.doubleValue);
  // Lists and maps are valid OTLP but hold nothing the mapping reads; a first string of a list is
  // what finish_reasons needs, so lists keep their first string.
  if ('arrayValue' in anyValue) {
    const values = isObj(anyValue.arrayValue) ? anyValue.arrayValue.values : undefined;
    const first = Array.isArray(values) ? (values[0] as unknown) : undefined;
    const value = first === undefined ? null : attributeValue(first);
    return typeof value === 'string' ? value : null;
  }
  return null;
}

function attributes(parent: Obj, what: string): Attributes {
  const items = list(parent, 'attributes');
  if (items.length > MAX_ATTRIBUTES_PER_ITEM) {
    throw new ItemError(`${what} has ${items.length} attributes, more than the ${MAX_ATTRIBUTES_PER_ITEM} accepted`);
  }
  const map = new Map<string, AttributeValue>();
  for (const item of items) {
    if (!isObj(item) || typeof item.key !== 'string') throw new ItemError(`${what} has an attribute without a key`);
    const value = attributeValue(item.value);
    if (value === undefined)
      throw new ItemError(`${what} attribute ${JSON.stringify(item.key.slice(0, 64))} has an invalid value`);
    map.set(item.key, value);
  }
  return map;
}

function decodeItem<T>(build: () => T): Decoded<T> {
  try {
    return { ok: true, value: build() };
  } catch (error) {
    if (error instanceof ItemError) return { ok: false, message: error.message };
    throw error;
  }
}

/** Attributes of a resource; a malformed resource rejects its items, not the request. */
function resourceOf(parent: Obj): Decoded<Attributes> {
  return decodeItem(() => {
    const resource = parent.resource;
    if (resource === undefined || resource === null) return new Map<string, AttributeValue>();
    if (!isObj(resource)) throw new ItemError('resource is not an object');
    return attributes(resource, 'resource');
  });
}

export function decodeTraces(encoding: OtlpEncoding, body: Buffer | string): DecodedTraces {
  const request = readBody('traces', encoding, body);
  if (!isObj(request))
    throw new DomainError('otlp.malformed', 'The request body must be an ExportTraceServiceRequest object.');
  const spans: Decoded<OtlpSpan>[] = [];
  for (const resourceSpans of envelopeList(request, 'resourceSpans', '$')) {
    const resource = resourceOf(resourceSpans);
    for (const scopeSpans of envelopeList(resourceSpans, 'scopeSpans', '$.resourceSpans[]')) {
      const rawSpans = scopeSpans.spans;
      if (rawSpans === undefined || rawSpans === null) continue;
      if (!Array.isArray(rawSpans))
        throw new DomainError('otlp.malformed', '$.resourceSpans[].scopeSpans[].spans must be a list.');
      for (const raw of rawSpans as unknown[]) {
        if (!resource.ok) {
          spans.push(resource);
          continue;
        }
        spans.push(decodeItem(() => decodeSpan(raw, resource.value, encoding)));
      }
    }
  }
  return { spans };
}

function decodeSpan(raw: unknown, resource: Attributes, encoding: OtlpEncoding): OtlpSpan {
  if (!isObj(raw)) throw new ItemError('span is not an object');
  const status = raw.status;
  let statusCode = 0;
  if (isObj(status) && status.code !== undefined) {
    const code = int64Number(status.code);
    if (code === undefined) throw new ItemError('status.code is not an integer');
    statusCode = code;
  } else if (status !== undefined && status !== null && !isObj(status)) {
    throw new ItemError('status is not an object');
  }
  return {
    traceId: idHex(raw.traceId, 'traceId', 16, encoding),
    spanId: idHex(raw.spanId, 'spanId', 8, encoding),
    startNs: uint64(raw.startTimeUnixNano, 'startTimeUnixNano', true),
    endNs: uint64(raw.endTimeUnixNano, 'endTimeUnixNano', true),
    attributes: attributes(raw, 'span'),
    resource,
    statusCode,
  };
}

const DATA_FIELDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

export function decodeMetrics(encoding: OtlpEncoding, body: Buffer | string): DecodedMetrics {
  const request = readBody('metrics', encoding, body);
  if (!isObj(request))
    throw new DomainError('otlp.malformed', 'The request body must be an ExportMetricsServiceRequest object.');
  const result: DecodedMetrics = { histogramPoints: [], otherPoints: 0 };
  for (const resourceMetrics of envelopeList(request, 'resourceMetrics', '$')) {
    const resource = resourceOf(resourceMetrics);
    for (const scopeMetrics of envelopeList(resourceMetrics, 'scopeMetrics', '$.resourceMetrics[]')) {
      for (const metric of envelopeList(scopeMetrics, 'metrics', '$.resourceMetrics[].scopeMetrics[]')) {
        const histogram = metric.histogram;
        if (histogram === undefined || histogram === null) {
          for (const field of DATA_FIELDS) {
            const data = metric[field];
            if (isObj(data) && Array.isArray(data.dataPoints)) result.otherPoints += data.dataPoints.length;
          }
          continue;
        }
        if (!isObj(histogram))
          throw new DomainError(
            'otlp.malformed',
            '$.resourceMetrics[].scopeMetrics[].metrics[].histogram must be an object.',
          );
        const points = histogram.dataPoints ?? [];
        if (!Array.isArray(points)) throw new DomainError('otlp.malformed', 'histogram.dataPoints must be a list.');
        const metricName = typeof metric.name === 'string' ? metric.name : '';
        const temporality = int64Number(histogram.aggregationTemporality ?? 0);
        for (const raw of points as unknown[]) {
          if (!resource.ok) {
            result.histogramPoints.push(resource);
            continue;
          }
          result.histogramPoints.push(
            decodeItem(() => {
              if (temporality === undefined) throw new ItemError('aggregationTemporality is not an integer');
              return decodeHistogramPoint(raw, metricName, temporality, resource.value);
            }),
          );
        }
      }
    }
  }
  return result;
}

function decodeHistogramPoint(
  raw: unknown,
  metricName: string,
  temporality: number,
  resource: Attributes,
): OtlpHistogramPoint {
  if (!isObj(raw)) throw new ItemError('data point is not an object');
  const count = uint64(raw.count, 'count', false);
  if (count > BigInt(Number.MAX_SAFE_INTEGER)) throw new ItemError('count is too large');
  let sum: number | undefined;
  if (raw.sum !== undefined && raw.sum !== null) {
    sum = doubleOf(raw.sum);
    if (sum === undefined) throw new ItemError('sum is not a number');
  }
  return {
    metricName,
    temporality,
    resource,
    attributes: attributes(raw, 'data point'),
    startNs: uint64(raw.startTimeUnixNano, 'startTimeUnixNano', false),
    timeNs: uint64(raw.timeUnixNano, 'timeUnixNano', true),
    count: Number(count),
    sum,
  };
}

/** The success body: `partial_success` only when something was rejected. */
export function encodeExportResponse(
  signal: OtlpSignal,
  encoding: OtlpEncoding,
  rejected: number,
  message: string,
): Buffer | string {
  const rejectedField = signal === 'traces' ? 'rejectedSpans' : 'rejectedDataPoints';
  const response = rejected > 0 ? { partialSuccess: { [rejectedField]: String(rejected), errorMessage: message } } : {};
  if (encoding === 'json') return JSON.stringify(response);
  const type = TYPES[signal].response;
  return Buffer.from(type.encode(type.fromObject(response)).finish());
}

/** google.rpc.Status, OTLP's body for 4xx and 5xx answers. */
export function encodeStatus(encoding: OtlpEncoding, httpStatus: number, message: string): Buffer | string {
  const status = { code: grpcCodeOf(httpStatus), message };
  if (encoding === 'json') return JSON.stringify(status);
  return Buffer.from(RPC_STATUS_TYPE.encode(RPC_STATUS_TYPE.fromObject(status)).finish());
}

/** The gRPC code matching an HTTP status (google.rpc.Code), as the OTLP/gRPC mapping would pick. */
function grpcCodeOf(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
    case 413:
    case 415:
      return 3; // INVALID_ARGUMENT
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 503:
      return 14; // UNAVAILABLE
    default:
      return httpStatus >= 500 ? 13 : 2; // INTERNAL, UNKNOWN
  }
}

/** For tests and tools: the protobuf types of the OTLP messages. */
export function otlpType(name: string): Type {
  return root.lookupType(name);
}
