/**
 * `tokens-interval.v1`: the token usage of one series (tenant, model, node) over one interval,
 * as a scraper sees it: counters that grew between two scrapes of vLLM's /metrics, not single
 * requests (SPEC §5, docs/ARCHITECTURE.md "Interval aggregates").
 *
 * It travels on the tokens topic with the same message key as tokens.v1, so a series' requests
 * and intervals land on one partition and feed the same rollup documents. `time` is the start of
 * the interval: the whole interval counts in the rollup buckets holding `time`, which is exact
 * whenever the scrape grid divides a minute (the scrapers align to it).
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

import { createContractValidator } from './contract-validator';
import type { PlainObject } from './contract-validator';
import {
  MAX_DURATION_MS,
  boundedNumberField,
  durationMsField,
  eventIdField,
  textField,
  timeField,
  tokenCountField,
} from './fields';
import { ROOT_PATH, childPath, indexPath } from './json-path';
import { DEFAULT_TENANT } from './token-usage-event';
import type { FieldError, ValidationOptions, ValidationResult } from './validation-result';

/** Prometheus histograms rarely have more; vLLM's latency histograms have about 20. */
export const MAX_HISTOGRAM_BUCKETS = 64;

// The return type is inferred on purpose: TObject would erase the field types.
function latencyHistogramField(description: string) {
  return Type.Object(
    {
      boundsMs: Type.Array(durationMsField('Upper bound of a bucket in milliseconds (Prometheus "le").'), {
        description: `Upper bounds of the buckets in milliseconds, strictly ascending, 1-${MAX_HISTOGRAM_BUCKETS} finite values.`,
        minItems: 1,
        maxItems: MAX_HISTOGRAM_BUCKETS,
      }),
      counts: Type.Array(tokenCountField('Observations in one bucket (not cumulative).'), {
        description:
          'Observations per bucket, NOT cumulative: counts[i] fell in (boundsMs[i-1], boundsMs[i]]; the last entry ' +
          'counts the observations above the last bound. Not expressible here: exactly one more entry than boundsMs.',
        minItems: 2,
        maxItems: MAX_HISTOGRAM_BUCKETS + 1,
      }),
      sumMs: boundedNumberField('Sum of the observations in milliseconds.', 0),
    },
    { description, additionalProperties: false },
  );
}

export const TokenUsageIntervalSchema = Type.Object(
  {
    eventId: eventIdField(),
    time: timeField('Start of the interval.'),
    intervalMs: Type.Integer({
      description: `Length of the interval in milliseconds, 1-${MAX_DURATION_MS}.`,
      minimum: 1,
      maximum: MAX_DURATION_MS,
    }),
    source: textField('What measured the interval, e.g. "vllm".'),
    model: textField('Model name as served (vLLM label model_name).'),
    tenant: Type.Optional(
      textField('Tenant the usage is accounted to. Validators fill in "default" when it is missing.', {
        default: DEFAULT_TENANT,
      }),
    ),
    node: textField('Host name of the inference server.'),
    requests: tokenCountField('Requests finished in the interval, count.'),
    errors: Type.Optional(
      tokenCountField('Of those, requests that failed, count. Not expressible here: must be <= requests.'),
    ),
    inputTokens: tokenCountField('Prompt tokens processed in the interval.'),
    outputTokens: tokenCountField('Tokens generated in the interval.'),
    ttftMs: Type.Optional(latencyHistogramField('Time-to-first-token histogram of the interval.')),
    durationMs: Type.Optional(latencyHistogramField('End-to-end request latency histogram of the interval.')),
  },
  {
    title: 'TokenUsageInterval',
    description:
      'Token usage of one series over one interval, from counter deltas between two scrapes (Kafka header schema: ' +
      'tokens-interval.v1). Rules JSON Schema cannot express, enforced by the tokenmeter validators: time must be a ' +
      'real calendar date no more than 5 minutes in the future of the receiver and no older than the raw retention ' +
      '(7 days by default); errors <= requests; histogram bounds strictly ascending with one more count than bounds; tenant ' +
      'defaults to "default".',
    additionalProperties: false,
  },
);

export type TokenUsageIntervalInput = Static<typeof TokenUsageIntervalSchema>;
export type TokenUsageInterval = Omit<TokenUsageIntervalInput, 'tenant'> & { tenant: string };

export type LatencyHistogram = NonNullable<TokenUsageIntervalInput['ttftMs']>;

function histogramRules(input: PlainObject, field: 'ttftMs' | 'durationMs', errors: FieldError[]): void {
  const value = input[field];
  if (typeof value !== 'object' || value === null) return;
  const { boundsMs, counts } = value as Partial<Record<keyof LatencyHistogram, unknown>>;
  if (!Array.isArray(boundsMs) || !Array.isArray(counts)) return;
  const path = childPath(ROOT_PATH, field);
  for (let i = 1; i < boundsMs.length; i += 1) {
    const previous: unknown = boundsMs[i - 1];
    const current: unknown = boundsMs[i];
    if (typeof previous === 'number' && typeof current === 'number' && !(current > previous)) {
      errors.push({ path: indexPath(childPath(path, 'boundsMs'), i), message: 'bounds must be strictly ascending' });
      break;
    }
  }
  if (counts.length !== boundsMs.length + 1) {
    errors.push({
      path: childPath(path, 'counts'),
      message: `must have one more entry than boundsMs (${boundsMs.length + 1}), has ${counts.length}`,
    });
  }
}

function intervalCrossFieldRules(input: PlainObject, errors: FieldError[]): void {
  const requests = input['requests'];
  const failed = input['errors'];
  if (typeof requests === 'number' && typeof failed === 'number' && failed > requests) {
    errors.push({
      path: childPath(ROOT_PATH, 'errors'),
      message: `must be <= requests (${failed} > ${requests})`,
    });
  }
  histogramRules(input, 'ttftMs', errors);
  histogramRules(input, 'durationMs', errors);
}

const validateInterval = createContractValidator<typeof TokenUsageIntervalSchema, TokenUsageInterval>({
  schema: TokenUsageIntervalSchema,
  defaults: { tenant: DEFAULT_TENANT },
  crossFieldRules: intervalCrossFieldRules,
});

export function validateTokenUsageInterval(
  input: unknown,
  opts?: ValidationOptions,
): ValidationResult<TokenUsageInterval> {
  return validateInterval(input, opts);
}
