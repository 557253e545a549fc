// Typed, validated configuration read from environment variables.
// Every app declares its variables once; `readEnv` returns a typed object or throws one
// ConfigValidationError that names every bad variable (never its value: values may be secrets).

export type EnvSource = Readonly<Record<string, string | undefined>>;

export interface EnvVar<T> {
  readonly description: string;
  readonly secret: boolean;
  /** Returns the parsed value, or a problem sentence (without the variable's value). */
  parse(raw: string | undefined): { ok: true; value: T } | { ok: false; problem: string };
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.name = 'ConfigValidationError';
  }
}

interface BaseOptions<T> {
  description: string;
  /** When absent the variable is required. */
  default?: T;
  secret?: boolean;
}

function makeVar<T>(
  opts: BaseOptions<T>,
  convert: (raw: string) => { ok: true; value: T } | { ok: false; problem: string },
): EnvVar<T> {
  return {
    description: opts.description,
    secret: opts.secret ?? false,
    parse(raw) {
      if (raw === undefined || raw.trim() === '') {
        return opts.default === undefined
          ? { ok: false, problem: 'is required but not set' }
          : { ok: true, value: opts.default };
      }
      return convert(raw.trim());
    },
  };
}

export const env = {
  string(opts: BaseOptions<string> & { pattern?: RegExp; patternHint?: string }): EnvVar<string> {
    return makeVar(opts, (raw) =>
      opts.pattern && !opts.pattern.test(raw)
        ? { ok: false, problem: `must be ${opts.patternHint ?? `a string matching ${String(opts.pattern)}`}` }
        : { ok: true, value: raw },
    );
  },
  int(opts: BaseOptions<number> & { min?: number; max?: number }): EnvVar<number> {
    const min = opts.min ?? Number.MIN_SAFE_INTEGER;
    const max = opts.max ?? Number.MAX_SAFE_INTEGER;
    return makeVar(opts, (raw) => {
      const value = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
      return Number.isSafeInteger(value) && value >= min && value <= max
        ? { ok: true, value }
        : { ok: false, problem: `must be an integer from ${min} to ${max}` };
    });
  },
  bool(opts: BaseOptions<boolean>): EnvVar<boolean> {
    return makeVar(opts, (raw) => {
      const lower = raw.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(lower)) return { ok: true, value: true };
      if (['0', 'false', 'no', 'off'].includes(lower)) return { ok: true, value: false };
      return { ok: false, problem: 'must be one of true, false, 1, 0, yes, no, on, off' };
    });
  },
  oneOf<const T extends string>(values: readonly T[], opts: BaseOptions<T>): EnvVar<T> {
    return makeVar(opts, (raw) =>
      (values as readonly string[]).includes(raw)
        ? { ok: true, value: raw as T }
        : { ok: false, problem: `must be one of ${values.join(', ')}` },
    );
  },
  /** Comma-separated list of non-empty items. */
  list(opts: BaseOptions<readonly string[]> & { itemPattern?: RegExp; itemHint?: string }): EnvVar<readonly string[]> {
    return makeVar(opts, (raw) => {
      const items = raw.split(',').map((s) => s.trim());
      if (items.some((s) => s === ''))
        return { ok: false, problem: 'must be a comma-separated list without empty items' };
      if (opts.itemPattern && items.some((s) => !opts.itemPattern?.test(s))) {
        return {
          ok: false,
          problem: `every item must be ${opts.itemHint ?? `of the form ${String(opts.itemPattern)}`}`,
        };
      }
      return { ok: true, value: items };
    });
  },
  /** A variable with its own parser; `convert` returns the value or a problem (no value echoed). */
  custom<T>(
    opts: BaseOptions<T>,
    convert: (raw: string) => { ok: true; value: T } | { ok: false; problem: string },
  ): EnvVar<T> {
    return makeVar(opts, convert);
  },
  url(opts: BaseOptions<string> & { protocols: readonly string[] }): EnvVar<string> {
    return makeVar(opts, (raw) => {
      let protocol: string;
      try {
        protocol = new URL(raw).protocol.replace(/:$/, '');
      } catch {
        return { ok: false, problem: 'must be a valid URL' };
      }
      return opts.protocols.includes(protocol)
        ? { ok: true, value: raw }
        : { ok: false, problem: `must be a URL with scheme ${opts.protocols.join(' or ')}` };
    });
  },
};

export type EnvSpec = Record<string, EnvVar<unknown>>;
export type EnvValues<S extends EnvSpec> = { readonly [K in keyof S]: S[K] extends EnvVar<infer T> ? T : never };

/** Reads every variable of `spec`; throws one ConfigValidationError listing all problems. */
export function readEnv<S extends EnvSpec>(spec: S, source: EnvSource): EnvValues<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(spec)) {
    const result = variable.parse(source[name]);
    if (result.ok) out[name] = result.value;
    else problems.push(`${name} ${result.problem} (${variable.description})`);
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return out as EnvValues<S>;
}

/** Names of the variables marked secret, for log redaction and leak tests. */
export function secretValues(spec: EnvSpec, source: EnvSource): string[] {
  return Object.entries(spec)
    .filter(([, v]) => v.secret)
    .map(([name]) => source[name])
    .filter((v): v is string => typeof v === 'string' && v.length > 0);
}
