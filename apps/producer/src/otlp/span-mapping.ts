/**
 * One OTLP span with OpenTelemetry GenAI usage attributes -> one tokens.v1 event (the table in
 * docs/SOURCES.md, "OpenTelemetry (OTLP)"). Spans without usage attributes are not usage: they are
 * ignored, never rejected. A span that claims usage but cannot be accounted (no model, token counts
 * of the wrong type, an end before its start) is rejected with the reason.
 *
 * eventId = `otel:<trace id>:<span id>` (54 characters of the contract's alphabet): the span's own
 * identity, so an exporter's retry, a Collector that sends twice, or two producers that receive
 * the same span all yield one stored event.
 */
import { MAX_STRING_LENGTH, type TokenUsageEventInput } from '@tokenmeter/contracts';
import type { AttributeValue, Attributes, OtlpSpan } from './otlp-codec';

export interface OtlpMappingOptions {
  /** Span attribute, then resource attribute, naming the tenant; without it the tenant is "default". */
  tenantAttribute: string;
}

export type SpanOutcome =
  { kind: 'event'; event: TokenUsageEventInput } | { kind: 'ignored' } | { kind: 'rejected'; message: string };

/** Attribute names of the GenAI semantic conventions read here; legacy names are the pre-1.27 ones. */
export const GEN_AI = {
  inputTokens: ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens'],
  outputTokens: ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens'],
  cachedInputTokens: ['gen_ai.usage.cache_read.input_tokens'],
  model: ['gen_ai.response.model', 'gen_ai.request.model'],
  // The conventions' attribute, then what vLLM's own tracing (gen_ai.latency.*) and others write.
  timeToFirstChunkS: [
    'gen_ai.response.time_to_first_chunk',
    'gen_ai.latency.time_to_first_token',
    'gen_ai.response.time_to_first_token',
  ],
  finishReasons: 'gen_ai.response.finish_reasons',
  errorType: 'error.type',
  operation: 'gen_ai.operation.name',
  provider: ['gen_ai.provider.name', 'gen_ai.system'],
  tokenType: 'gen_ai.token.type',
} as const;

export const NODE_ATTRIBUTES = ['host.name', 'k8s.node.name'] as const;
/** Node of spans and points whose resource names no host. */
export const UNKNOWN_NODE = 'unknown';

const STATUS_CODE_ERROR = 2;

export class MappingError extends Error {}

function first(attributes: Attributes, names: readonly string[]): [string, AttributeValue] | undefined {
  for (const name of names) {
    const value = attributes.get(name);
    if (value !== undefined && value !== null) return [name, value];
  }
  return undefined;
}

/** A token count: a non-negative integer (an integer-valued double is accepted, a string is not). */
function tokenCount(attributes: Attributes, names: readonly string[]): number | undefined {
  const found = first(attributes, names);
  if (found === undefined) return undefined;
  const [name, value] = found;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new MappingError(`${name} must be a non-negative integer, not ${JSON.stringify(value)}`);
  }
  return value;
}

/** A string the contract can hold (non-empty, at most 256 characters, no control characters). */
export function contractString(value: AttributeValue | undefined): string | undefined {
  if (typeof value !== 'string' || value === '' || value.length > MAX_STRING_LENGTH) return undefined;
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f]/.test(value) ? undefined : value;
}

export function modelOf(attributes: Attributes): string {
  const found = first(attributes, GEN_AI.model);
  const model = contractString(found?.[1]);
  if (model === undefined) {
    throw new MappingError(
      found === undefined
        ? 'usage without gen_ai.response.model or gen_ai.request.model'
        : `${found[0]} is not a usable model name`,
    );
  }
  return model;
}

export function tenantOf(item: Attributes, resource: Attributes, options: OtlpMappingOptions): string | undefined {
  const value = item.get(options.tenantAttribute) ?? resource.get(options.tenantAttribute);
  if (value === undefined || value === null) return undefined;
  const tenant = contractString(value);
  if (tenant === undefined) throw new MappingError(`${options.tenantAttribute} is not a usable tenant name`);
  return tenant;
}

export function nodeOf(resource: Attributes): string {
  for (const name of NODE_ATTRIBUTES) {
    const node = contractString(resource.get(name));
    if (node !== undefined) return node;
  }
  return UNKNOWN_NODE;
}

export function nsToMs(ns: bigint): number {
  return Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
}

/** Labels kept on the event (contract: keys [a-z0-9_], values contract strings). */
function labelsOf(span: OtlpSpan): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  const operation = contractString(span.attributes.get(GEN_AI.operation));
  const provider = contractString(first(span.attributes, GEN_AI.provider)?.[1]);
  const service = contractString(span.resource.get('service.name'));
  if (operation !== undefined) labels.operation = operation;
  if (provider !== undefined) labels.provider = provider;
  if (service !== undefined) labels.service = service;
  return Object.keys(labels).length > 0 ? labels : undefined;
}

export function mapSpan(span: OtlpSpan, options: OtlpMappingOptions): SpanOutcome {
  try {
    const inputTokens = tokenCount(span.attributes, GEN_AI.inputTokens);
    const outputTokens = tokenCount(span.attributes, GEN_AI.outputTokens);
    if (inputTokens === undefined && outputTokens === undefined) return { kind: 'ignored' };
    const cachedInputTokens = tokenCount(span.attributes, GEN_AI.cachedInputTokens);
    const model = modelOf(span.attributes);
    const tenant = tenantOf(span.attributes, span.resource, options);
    if (span.endNs < span.startNs) throw new MappingError('the span ends before it starts');
    const durationMs = nsToMs(span.endNs - span.startNs);
    const ttft = first(span.attributes, GEN_AI.timeToFirstChunkS);
    let ttftMs: number | undefined;
    if (ttft !== undefined) {
      if (typeof ttft[1] !== 'number' || !Number.isFinite(ttft[1]) || ttft[1] < 0) {
        throw new MappingError(`${ttft[0]} must be a non-negative number of seconds`);
      }
      ttftMs = Math.round(ttft[1] * 1e9) / 1e6;
    }
    const finishReason = contractString(span.attributes.get(GEN_AI.finishReasons));
    const failed = span.statusCode === STATUS_CODE_ERROR || span.attributes.get(GEN_AI.errorType) != null;
    const attributes = labelsOf(span);
    const event: TokenUsageEventInput = {
      eventId: `otel:${span.traceId}:${span.spanId}`,
      time: new Date(Math.floor(nsToMs(span.endNs))).toISOString(),
      model,
      ...(tenant !== undefined ? { tenant } : {}),
      node: nodeOf(span.resource),
      inputTokens: inputTokens ?? 0,
      outputTokens: outputTokens ?? 0,
      ...(cachedInputTokens !== undefined ? { cachedInputTokens } : {}),
      ...(ttftMs !== undefined ? { ttftMs } : {}),
      durationMs,
      status: failed ? 'error' : 'ok',
      ...(finishReason !== undefined ? { finishReason } : {}),
      ...(attributes !== undefined ? { attributes } : {}),
    };
    return { kind: 'event', event };
  } catch (error) {
    if (error instanceof MappingError) return { kind: 'rejected', message: error.message };
    throw error;
  }
}
