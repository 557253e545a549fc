/**
 * One simulated inference request of a model: its token counts (log-normal, prefix-cache hits in
 * vLLM's 16-token blocks), its latencies (queueing that grows with the load, prefill per uncached
 * prompt token, decode per output token) and how it ended (stop, length or error).
 */
import { clamp } from './numbers';
import type { ModelProfile, TokenDistribution } from './profiles';
import type { Xoshiro128 } from './prng';

/** Requests ask for one of these max_tokens (capped by the model's outputTokens.max). */
const MAX_TOKENS_CHOICES = [256, 512, 1_024, 2_048, 4_096, 8_192];
/** vLLM's prefix cache works in blocks of 16 tokens. */
const PREFIX_BLOCK_TOKENS = 16;
/** The contracts' upper bound of durationMs: one day. */
const MAX_DURATION_MS = 86_400_000;

/** The request-dependent fields of a token usage event. */
export interface RequestShape {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
  ttftMs?: number;
  durationMs: number;
  status: 'ok' | 'error';
  finishReason: string;
}

/** The token counts and latencies of one request; `load` is the diurnal factor at its time. */
export function drawRequest(rng: Xoshiro128, model: ModelProfile, load: number, errorRate: number): RequestShape {
  const inputTokens = drawTokens(rng, model.inputTokens);
  let cachedInputTokens: number | undefined;
  if (rng.uniform() < model.prefixCacheHitRate) {
    const share = 0.2 + 0.75 * rng.uniform();
    cachedInputTokens = Math.floor((inputTokens * share) / PREFIX_BLOCK_TOKENS) * PREFIX_BLOCK_TOKENS;
  }
  const prefillTokens = inputTokens - (cachedInputTokens ?? 0);
  const queueMs = rng.exponential(model.queueDelayMs * load);
  const ttft = model.ttftBaseMs + queueMs + prefillTokens * model.prefillMsPerInputToken * rng.jitter(0.1);

  const cached = cachedInputTokens !== undefined && cachedInputTokens > 0 ? { cachedInputTokens } : {};
  if (rng.uniform() < errorRate) {
    // Failures: mostly before the first token (no ttft), otherwise after a few tokens.
    const outputTokens = rng.uniform() < 0.6 ? 0 : 1 + Math.floor(rng.uniform() * 32);
    const decodeMs = outputTokens * model.perOutputTokenMs * rng.jitter(0.2);
    const ttftMs = Math.round(ttft);
    const durationMs = Math.min(MAX_DURATION_MS, Math.round(ttft + decodeMs));
    return outputTokens === 0
      ? { inputTokens, ...cached, outputTokens, durationMs, status: 'error', finishReason: 'error' }
      : { inputTokens, ...cached, outputTokens, ttftMs, durationMs, status: 'error', finishReason: 'error' };
  }

  const maxTokens = Math.min(
    model.outputTokens.max,
    MAX_TOKENS_CHOICES[Math.floor(rng.uniform() * MAX_TOKENS_CHOICES.length)] ?? 4_096,
  );
  const wanted = drawTokens(rng, model.outputTokens);
  const outputTokens = Math.min(wanted, maxTokens);
  const decodeMs = Math.max(0, outputTokens - 1) * model.perOutputTokenMs * rng.jitter(0.15);
  const ttftMs = Math.round(ttft);
  return {
    inputTokens,
    ...cached,
    outputTokens,
    ttftMs,
    // Rounding is monotonic, so ttftMs <= durationMs holds after it.
    durationMs: Math.min(MAX_DURATION_MS, Math.round(ttft + decodeMs)),
    status: 'ok',
    finishReason: wanted >= maxTokens ? 'length' : 'stop',
  };
}

function drawTokens(rng: Xoshiro128, distribution: TokenDistribution): number {
  return clamp(Math.round(distribution.median * Math.exp(distribution.sigma * rng.normal())), 1, distribution.max);
}
