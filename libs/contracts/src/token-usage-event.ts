/** `tokens.v1`: one finished inference request (SPEC §3). Names follow OpenTelemetry gen_ai. */
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Static } from '@sinclair/typebox';

import { createContractValidator } from './contract-validator';
import type { PlainObject } from './contract-validator';
import {
  ATTRIBUTE_KEY_PATTERN,
  MAX_ATTRIBUTES,
  durationMsField,
  eventIdField,
  gpuIndexField,
  textField,
  timeField,
  tokenCountField,
} from './fields';
import { ROOT_PATH, childPath } from './json-path';
import type { FieldError, ValidationOptions, ValidationResult } from './validation-result';

export const DEFAULT_TENANT = 'default';

export const TokenUsageEventSchema = Type.Object(
  {
    eventId: eventIdField(),
    time: timeField('When the request finished.'),
    model: textField(
      'Model name as served, e.g. "meta-llama/Llama-3.1-8B-Instruct" (OpenTelemetry gen_ai.response.model).',
    ),
    tenant: Type.Optional(
      textField('Tenant the request is accounted to. Validators fill in "default" when it is missing.', {
        default: DEFAULT_TENANT,
      }),
    ),
    node: textField('Host name of the inference server that served the request.'),
    gpuIndex: Type.Optional(gpuIndexField('Index of the GPU on the node that served the request, 0-1023.')),
    inputTokens: tokenCountField('Prompt tokens, count, integer 0-1,000,000,000 (gen_ai.usage.input_tokens).'),
    outputTokens: tokenCountField('Generated tokens, count, integer 0-1,000,000,000 (gen_ai.usage.output_tokens).'),
    cachedInputTokens: Type.Optional(
      tokenCountField('Prompt tokens served from the prefix cache, count, integer 0-1,000,000,000.'),
    ),
    ttftMs: Type.Optional(
      durationMsField(
        'Time to first token in milliseconds, 0-86,400,000. Not expressible here: must be <= durationMs.',
      ),
    ),
    durationMs: durationMsField('End-to-end request duration in milliseconds, 0-86,400,000.'),
    status: Type.Union([Type.Literal('ok'), Type.Literal('error')], {
      description: 'Outcome of the request: "ok" or "error".',
    }),
    finishReason: Type.Optional(
      textField('Why generation stopped, e.g. "stop", "length" (gen_ai.response.finish_reasons).'),
    ),
    attributes: Type.Optional(
      Type.Record(Type.String({ pattern: ATTRIBUTE_KEY_PATTERN }), textField('Attribute value.'), {
        description: `Free-form labels: at most ${MAX_ATTRIBUTES} pairs, keys 1-64 characters of a-z 0-9 _, values 1-256 characters.`,
        maxProperties: MAX_ATTRIBUTES,
        additionalProperties: false,
      }),
    ),
  },
  {
    title: 'TokenUsageEvent',
    description:
      'One finished inference request (Kafka header schema: tokens.v1). Rules JSON Schema cannot express, enforced by ' +
      'the tokenmeter validators: time must be a real calendar date no more than 5 minutes in the future of the ' +
      'receiver and no older than the raw retention (7 days by default); ttftMs <= durationMs when both are given; ' +
      'tenant defaults to "default".',
    additionalProperties: false,
  },
);

/** The wire shape: what a producer may send (tenant optional). */
export type TokenUsageEventInput = Static<typeof TokenUsageEventSchema>;
/** A validated event: time normalised to UTC ms, tenant always present. */
export type TokenUsageEvent = Omit<TokenUsageEventInput, 'tenant'> & { tenant: string };

const TTFT_PATH = childPath(ROOT_PATH, 'ttftMs');

// The cross-field rule only judges values that passed their own field check (one problem, one error).
const isValidMs = TypeCompiler.Compile(TokenUsageEventSchema.properties.durationMs);

function tokenCrossFieldRules(input: PlainObject, errors: FieldError[]): void {
  const ttftMs = input['ttftMs'];
  const durationMs = input['durationMs'];
  if (isValidMs.Check(ttftMs) && isValidMs.Check(durationMs) && ttftMs > durationMs) {
    errors.push({
      path: TTFT_PATH,
      message: `must be <= durationMs: the first token cannot come after the request ended (${ttftMs} > ${durationMs})`,
    });
  }
}

const validateTokenUsage = createContractValidator<typeof TokenUsageEventSchema, TokenUsageEvent>({
  schema: TokenUsageEventSchema,
  defaults: { tenant: DEFAULT_TENANT },
  crossFieldRules: tokenCrossFieldRules,
});

export function validateTokenUsageEvent(input: unknown, opts?: ValidationOptions): ValidationResult<TokenUsageEvent> {
  return validateTokenUsage(input, opts);
}
