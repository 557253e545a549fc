import { validateTokenUsageEvent } from '@tokenmeter/contracts';
import type { AttributeValue, OtlpSpan } from './otlp-codec';
import { mapSpan, type SpanOutcome } from './span-mapping';

const START_NS = BigInt(Date.parse('2026-11-25T12:00:00.000Z')) * 1_000_000n;
const OPTIONS = { tenantAttribute: 'tokenmeter.tenant' };

function buildSpan(
  overrides: Partial<Omit<OtlpSpan, 'attributes' | 'resource'>> = {},
  attributes: Record<string, AttributeValue> = {},
  resource: Record<string, AttributeValue> = {},
): OtlpSpan {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    startNs: START_NS,
    endNs: START_NS + 1_450_250_000n,
    statusCode: 0,
    attributes: new Map(
      Object.entries({
        'gen_ai.request.model': 'llama-3.1-8b',
        'gen_ai.usage.input_tokens': 512,
        'gen_ai.usage.output_tokens': 128,
        ...attributes,
      }),
    ),
    resource: new Map(Object.entries({ 'host.name': 'gpu-node-1', 'service.name': 'chat', ...resource })),
    ...overrides,
  };
}

function eventOf(outcome: SpanOutcome) {
  if (outcome.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(outcome)}`);
  return outcome.event;
}

describe('mapSpan', () => {
  it('maps a GenAI span to a valid tokens.v1 event with a deterministic id', () => {
    const event = eventOf(
      mapSpan(
        buildSpan(
          {},
          {
            'gen_ai.response.model': 'llama-3.1-8b-instruct',
            'gen_ai.usage.cache_read.input_tokens': 256,
            'gen_ai.response.time_to_first_chunk': 0.085,
            'gen_ai.response.finish_reasons': 'stop',
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'openai',
            'tokenmeter.tenant': 'acme',
          },
        ),
        OPTIONS,
      ),
    );
    expect(event).toEqual({
      eventId: 'otel:0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331',
      time: '2026-11-25T12:00:01.450Z',
      model: 'llama-3.1-8b-instruct',
      tenant: 'acme',
      node: 'gpu-node-1',
      inputTokens: 512,
      outputTokens: 128,
      cachedInputTokens: 256,
      ttftMs: 85,
      durationMs: 1450.25,
      status: 'ok',
      finishReason: 'stop',
      attributes: { operation: 'chat', provider: 'openai', service: 'chat' },
    });
    expect(validateTokenUsageEvent(event, { nowMs: Date.parse('2026-11-25T12:01:00Z') }).ok).toBe(true);
    expect(mapSpan(buildSpan(), OPTIONS)).toEqual(mapSpan(buildSpan(), OPTIONS));
  });

  it('ignores spans without usage attributes, whatever else they carry', () => {
    const span = buildSpan({}, {});
    const withoutUsage: OtlpSpan = {
      ...span,
      attributes: new Map([['http.method', 'GET']]),
    };
    expect(mapSpan(withoutUsage, OPTIONS)).toEqual({ kind: 'ignored' });
  });

  it('fills in what is missing: request model, default tenant from nothing, node from k8s or unknown, output 0', () => {
    const k8s = eventOf(
      mapSpan(
        {
          ...buildSpan(),
          attributes: new Map<string, AttributeValue>([
            ['gen_ai.request.model', 'm'],
            ['gen_ai.usage.input_tokens', 9],
          ]),
          resource: new Map([['k8s.node.name', 'node-a']]),
        },
        OPTIONS,
      ),
    );
    expect(k8s).toMatchObject({ model: 'm', node: 'node-a', inputTokens: 9, outputTokens: 0 });
    expect(k8s.tenant).toBeUndefined();
    const bare = eventOf(mapSpan({ ...buildSpan(), resource: new Map() }, OPTIONS));
    expect(bare.node).toBe('unknown');
    expect(bare.attributes).toBeUndefined();
  });

  it('reads the tenant from the span first, then the resource, under the configured attribute', () => {
    const fromResource = buildSpan({}, {}, { 'tokenmeter.tenant': 'globex' });
    expect(eventOf(mapSpan(fromResource, OPTIONS)).tenant).toBe('globex');
    const both = buildSpan({}, { 'tokenmeter.tenant': 'acme' }, { 'tokenmeter.tenant': 'globex' });
    expect(eventOf(mapSpan(both, OPTIONS)).tenant).toBe('acme');
    expect(eventOf(mapSpan(both, { tenantAttribute: 'tenant.id' })).tenant).toBeUndefined();
  });

  it('takes the error status from the span status or error.type', () => {
    expect(eventOf(mapSpan(buildSpan({ statusCode: 2 }), OPTIONS)).status).toBe('error');
    expect(eventOf(mapSpan(buildSpan({}, { 'error.type': 'timeout' }), OPTIONS)).status).toBe('error');
    expect(eventOf(mapSpan(buildSpan({ statusCode: 1 }), OPTIONS)).status).toBe('ok');
  });

  it('reads the legacy attributes that vLLM tracing writes (prompt/completion tokens, gen_ai.latency TTFT)', () => {
    const span = {
      ...buildSpan(),
      attributes: new Map<string, AttributeValue>([
        ['gen_ai.response.model', 'm'],
        ['gen_ai.usage.prompt_tokens', 3],
        ['gen_ai.usage.completion_tokens', 4],
        ['gen_ai.latency.time_to_first_token', 0.25],
      ]),
    };
    expect(eventOf(mapSpan(span, OPTIONS))).toMatchObject({ inputTokens: 3, outputTokens: 4, ttftMs: 250 });
  });

  it.each<[string, Record<string, AttributeValue>, Partial<OtlpSpan>, string]>([
    ['a string token count', { 'gen_ai.usage.input_tokens': '512' }, {}, 'gen_ai.usage.input_tokens must be'],
    ['a negative token count', { 'gen_ai.usage.output_tokens': -1 }, {}, 'gen_ai.usage.output_tokens must be'],
    ['a fractional token count', { 'gen_ai.usage.output_tokens': 1.5 }, {}, 'gen_ai.usage.output_tokens must be'],
    ['no model', { 'gen_ai.request.model': null }, {}, 'usage without gen_ai.response.model'],
    ['a model that is not a string', { 'gen_ai.request.model': 7 }, {}, 'not a usable model name'],
    ['a tenant that is not a string', { 'tokenmeter.tenant': true }, {}, 'not a usable tenant name'],
    ['a TTFT that is not a number', { 'gen_ai.response.time_to_first_chunk': 'fast' }, {}, 'seconds'],
    ['an end before the start', {}, { endNs: START_NS - 1n }, 'ends before it starts'],
  ])('rejects a usage span with %s', (_name, attributes, overrides, message) => {
    const outcome = mapSpan(buildSpan(overrides, attributes), OPTIONS);
    expect(outcome.kind).toBe('rejected');
    expect(outcome.kind === 'rejected' && outcome.message).toContain(message);
  });
});
