// The price catalog (README "Costs"): a versioned JSON file named by PRICE_CATALOG_FILE, read and
// validated at boot (every problem named at once), then only looked up.
//
//   { "currency": "USD",
//     "models": [ { "match": "llama-3.1-8b" | "qwen*",
//                   "prices": [ { "validFrom": "2026-12-01T00:00:00Z",
//                                 "input": "0.20", "output": "0.60", "cachedInput": "0.05" } ] } ],
//     "gpus":   [ { "match": { "node": "gpu-node-*" } | { "gpuModel": "NVIDIA H100*" },
//                   "prices": [ { "validFrom": "…", "perGpuHour": "2.49" } ] } ],
//     "energy": [ { "validFrom": "…", "perKWh": "0.15" } ],
//     "budgets": [ { "tenant": "acme", "monthly": "500.00" } ] }
//
// Rules, in the order a lookup applies them:
//   1. the FIRST entry of `models` (of `gpus`) in file order whose `match` matches wins: an exact
//      name, or a pattern where `*` stands for any run of characters (the whole name must match); a
//      GPU entry matches on its node's name or on the GPU model;
//   2. within it, the price with the latest `validFrom` at or before the time of use applies, so a
//      price change never rewrites what was used before it (`energy` is one such list);
//   3. no entry, or a time before the entry's first `validFrom`: unpriced (counted, not costed).
// Amounts are decimal strings with at most 6 fractional digits (money.ts): token prices per million
// tokens, `cachedInput` (cached prompt tokens, a part of the input tokens) defaulting to `input`;
// GPU prices per GPU-hour; energy per kWh; budgets per UTC calendar month. `validFrom` is a whole
// UTC hour, so a price is constant over every hour bucket of the rollups. Only `currency` and
// `models` are required.
import { parseMicros } from './money';

const HOUR_MS = 3_600_000;
/** RFC 3339 with an explicit offset, as the rest of the API accepts times. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
const CURRENCY = /^[A-Z]{3}$/;

/** Micro-units of the currency per million tokens of each kind. */
export interface TokenPrice {
  validFromMs: number;
  input: bigint;
  output: bigint;
  cachedInput: bigint;
}

/** Micro-units of the currency per GPU-hour. */
export interface GpuPrice {
  validFromMs: number;
  perGpuHour: bigint;
}

/** Micro-units of the currency per kWh. */
export interface EnergyPrice {
  validFromMs: number;
  perKWh: bigint;
}

/** What a GPU entry can match: the GPU's node, or its model (when the GPU reported one). */
export interface GpuIdentity {
  node: string;
  gpuModel?: string;
}

interface ModelEntry {
  test: (model: string) => boolean;
  /** By validFrom, ascending. */
  prices: TokenPrice[];
}

interface GpuEntry {
  test: (gpu: GpuIdentity) => boolean;
  prices: GpuPrice[];
}

/** The price of a dated list in force at `timeMs`: the latest validFrom at or before it. */
function inForce<P extends { validFromMs: number }>(prices: readonly P[], timeMs: number): P | undefined {
  let found: P | undefined;
  for (const price of prices) {
    if (price.validFromMs > timeMs) break;
    found = price;
  }
  return found;
}

export class PriceCatalog {
  private readonly lookups = new Map<string, ModelEntry | null>();

  constructor(
    readonly currency: string,
    private readonly models: readonly ModelEntry[],
    private readonly gpus: readonly GpuEntry[] = [],
    private readonly energy: readonly EnergyPrice[] = [],
    /** Monthly budget per tenant, micro-units. */
    readonly budgets: ReadonlyMap<string, bigint> = new Map(),
  ) {}

  /** The price of `model`'s tokens used at `timeMs`, or undefined when they are unpriced. */
  tokenPrice(model: string, timeMs: number): TokenPrice | undefined {
    let entry = this.lookups.get(model);
    if (entry === undefined) {
      entry = this.models.find((m) => m.test(model)) ?? null;
      this.lookups.set(model, entry);
    }
    return entry === null ? undefined : inForce(entry.prices, timeMs);
  }

  /** The price of an hour of `gpu` at `timeMs`, or undefined when it is unpriced. */
  gpuPrice(gpu: GpuIdentity, timeMs: number): GpuPrice | undefined {
    const entry = this.gpus.find((g) => g.test(gpu));
    return entry === undefined ? undefined : inForce(entry.prices, timeMs);
  }

  /** The price of a kWh at `timeMs`, or undefined when energy is not priced then. */
  energyPrice(timeMs: number): EnergyPrice | undefined {
    return inForce(this.energy, timeMs);
  }

  /** Every instant at which some token price starts: a token-priced range is split there. */
  priceChanges(): number[] {
    return [...new Set(this.models.flatMap((m) => m.prices.map((p) => p.validFromMs)))].sort((a, b) => a - b);
  }
}

export type CatalogParse = { ok: true; catalog: PriceCatalog } | { ok: false; problems: string[] };

/** Parses and validates a catalog file's text; on failure, every problem with its JSON path. */
export function parsePriceCatalog(text: string): CatalogParse {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`not valid JSON: ${(error as Error).message}`] };
  }
  const problems: string[] = [];
  if (!isObject(raw)) return { ok: false, problems: ['must be a JSON object with "currency" and "models"'] };
  unknownKeys(raw, ['currency', 'models', 'gpus', 'energy', 'budgets'], '', problems);
  const currency = raw['currency'];
  if (typeof currency !== 'string' || !CURRENCY.test(currency)) {
    problems.push('currency: must be a three-letter ISO 4217 code such as "USD"');
  }
  const models: ModelEntry[] = [];
  if (!Array.isArray(raw['models'])) {
    problems.push('models: must be an array of { match, prices }');
  } else {
    raw['models'].forEach((entry, i) => {
      const model = parseModelEntry(entry, `models[${i}]`, problems);
      if (model !== undefined) models.push(model);
    });
  }
  const gpus = optionalList(raw['gpus'], 'gpus', problems, (entry, at) => parseGpuEntry(entry, at, problems));
  const energyList = raw['energy'] === undefined ? [] : raw['energy'];
  const energy = (
    Array.isArray(energyList) && energyList.length === 0
      ? []
      : parseDatedList(energyList, 'energy', problems, (price, at) =>
          parseDated(price, at, problems, { perKWh: 'a decimal string per kWh' }),
        )
  ).map(({ validFromMs, amounts }) => ({ validFromMs, perKWh: amounts['perKWh'] as bigint }));
  const budgets = parseBudgets(raw['budgets'], problems);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, catalog: new PriceCatalog(currency as string, models, gpus, energy, budgets) };
}

function parseModelEntry(entry: unknown, at: string, problems: string[]): ModelEntry | undefined {
  if (!isObject(entry)) {
    problems.push(`${at}: must be an object { match, prices }`);
    return undefined;
  }
  unknownKeys(entry, ['match', 'prices'], at, problems);
  const match = namePattern(entry['match'], `${at}.match`, 'a model name or a pattern with *', problems);
  const prices = parseDatedList(entry['prices'], `${at}.prices`, problems, (price, where) =>
    parseDated(price, where, problems, TOKEN_AMOUNTS),
  ).map(({ validFromMs, amounts }) => {
    const input = amounts['input'] as bigint;
    return { validFromMs, input, output: amounts['output'] as bigint, cachedInput: amounts['cachedInput'] ?? input };
  });
  return match === undefined ? undefined : { test: matcher(match), prices };
}

function parseGpuEntry(entry: unknown, at: string, problems: string[]): GpuEntry | undefined {
  if (!isObject(entry) || !isObject(entry['match'])) {
    problems.push(`${at}: must be an object { match: { node } or { gpuModel }, prices }`);
    return undefined;
  }
  unknownKeys(entry, ['match', 'prices'], at, problems);
  const on = entry['match'];
  const fields = Object.keys(on);
  if (fields.length !== 1 || (fields[0] !== 'node' && fields[0] !== 'gpuModel')) {
    problems.push(`${at}.match: must have exactly one of "node" or "gpuModel"`);
  }
  const field = fields[0] === 'gpuModel' ? 'gpuModel' : 'node';
  const pattern = namePattern(on[field], `${at}.match.${field}`, `a ${field} or a pattern with *`, problems);
  const prices = parseDatedList(entry['prices'], `${at}.prices`, problems, (price, where) =>
    parseDated(price, where, problems, { perGpuHour: 'a decimal string per GPU-hour' }),
  ).map(({ validFromMs, amounts }) => ({ validFromMs, perGpuHour: amounts['perGpuHour'] as bigint }));
  if (pattern === undefined || fields.length !== 1) return undefined;
  const test = matcher(pattern);
  return {
    test: (gpu) => (field === 'node' ? test(gpu.node) : gpu.gpuModel !== undefined && test(gpu.gpuModel)),
    prices,
  };
}

function parseBudgets(value: unknown, problems: string[]): Map<string, bigint> {
  const budgets = new Map<string, bigint>();
  optionalList(value, 'budgets', problems, (entry, at) => {
    if (!isObject(entry)) {
      problems.push(`${at}: must be an object { tenant, monthly }`);
      return undefined;
    }
    unknownKeys(entry, ['tenant', 'monthly'], at, problems);
    const tenant = entry['tenant'];
    const monthly = typeof entry['monthly'] === 'string' ? parseMicros(entry['monthly']) : undefined;
    if (typeof tenant !== 'string' || tenant.length === 0 || tenant.length > 256) {
      problems.push(`${at}.tenant: must be a tenant name, 1-256 characters`);
    } else if (budgets.has(tenant)) {
      problems.push(`${at}.tenant: ${JSON.stringify(tenant)} has a budget already`);
    }
    if (monthly === undefined) {
      problems.push(
        `${at}.monthly: must be a decimal string per UTC calendar month, at most 6 decimals, such as "500.00"`,
      );
    }
    if (typeof tenant === 'string' && monthly !== undefined && !budgets.has(tenant)) budgets.set(tenant, monthly);
    return undefined;
  });
  return budgets;
}

const TOKEN_AMOUNTS: Record<string, string> = {
  input: 'a decimal string per million tokens',
  output: 'a decimal string per million tokens',
  'cachedInput?': 'a decimal string per million tokens',
};

interface Dated {
  validFromMs: number;
  amounts: Record<string, bigint | undefined>;
}

/**
 * An object { validFrom, <amounts> }: `amounts` names each amount field (a trailing `?` makes it
 * optional) with what it must be. Undefined, with its problems pushed, when anything is wrong.
 */
function parseDated(
  value: unknown,
  at: string,
  problems: string[],
  amounts: Record<string, string>,
): Dated | undefined {
  const names = Object.keys(amounts).map((n) => n.replace(/\?$/, ''));
  if (!isObject(value)) {
    problems.push(`${at}: must be an object { validFrom, ${names.join(', ')} }`);
    return undefined;
  }
  unknownKeys(value, ['validFrom', ...names], at, problems);
  let ok = true;
  const validFrom = value['validFrom'];
  let validFromMs = Number.NaN;
  if (typeof validFrom !== 'string' || !RFC3339.test(validFrom) || Number.isNaN(Date.parse(validFrom))) {
    problems.push(`${at}.validFrom: must be an RFC 3339 date-time such as "2026-12-01T00:00:00Z"`);
    ok = false;
  } else if (Date.parse(validFrom) % HOUR_MS !== 0) {
    problems.push(`${at}.validFrom: must be a whole UTC hour (prices are constant over each hour bucket)`);
    ok = false;
  } else {
    validFromMs = Date.parse(validFrom);
  }
  const parsed: Record<string, bigint | undefined> = {};
  for (const [spec, what] of Object.entries(amounts)) {
    const name = spec.replace(/\?$/, '');
    const raw = value[name];
    if (raw === undefined && spec.endsWith('?')) continue;
    const micros = typeof raw === 'string' ? parseMicros(raw) : undefined;
    if (micros === undefined) {
      problems.push(`${at}.${name}: must be ${what}, at most 6 decimals, such as "0.25"`);
      ok = false;
    }
    parsed[name] = micros;
  }
  return ok ? { validFromMs, amounts: parsed } : undefined;
}

/** A non-empty list of dated prices in increasing validFrom order. */
function parseDatedList(
  value: unknown,
  at: string,
  problems: string[],
  parse: (item: unknown, at: string) => Dated | undefined,
): Dated[] {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(`${at}: must be a non-empty array of prices, each with a validFrom`);
    return [];
  }
  const out: Dated[] = [];
  value.forEach((item, i) => {
    const dated = parse(item, `${at}[${i}]`);
    if (dated === undefined) return;
    const previous = out[out.length - 1];
    if (previous !== undefined && dated.validFromMs <= previous.validFromMs) {
      problems.push(`${at}[${i}].validFrom: must be later than the price before it`);
    }
    out.push(dated);
  });
  return out;
}

/** An optional top-level array; its items parsed by `parse` (undefined results left out). */
function optionalList<T>(
  value: unknown,
  at: string,
  problems: string[],
  parse: (item: unknown, at: string) => T | undefined,
): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push(`${at}: must be an array`);
    return [];
  }
  return value.flatMap((item, i) => {
    const parsed = parse(item, `${at}[${i}]`);
    return parsed === undefined ? [] : [parsed];
  });
}

function namePattern(value: unknown, at: string, what: string, problems: string[]): string | undefined {
  if (typeof value === 'string' && value.length > 0 && value.length <= 256) return value;
  problems.push(`${at}: must be ${what}, 1-256 characters`);
  return undefined;
}

/** An exact name, or a pattern where `*` is any run of characters; the whole name must match. */
export function matcher(match: string): (model: string) => boolean {
  if (!match.includes('*')) return (model) => model === match;
  const source = match
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const pattern = new RegExp(`^${source}$`, 's');
  return (model) => pattern.test(model);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKeys(value: Record<string, unknown>, known: readonly string[], at: string, problems: string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) problems.push(`${at === '' ? '' : `${at}.`}${key}: unknown field`);
  }
}
