'use strict';
// Typed, validated configuration read from environment variables.
// Every app declares its variables once; `readEnv` returns a typed object or throws one
// ConfigValidationError that names every bad variable (never its value: values may be secrets).
Object.defineProperty(exports, '__esModule', { value: true });
exports.env = exports.ConfigValidationError = void 0;
exports.readEnv = readEnv;
exports.secretValues = secretValues;
class ConfigValidationError extends Error {
  problems;
  constructor(problems) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.problems = problems;
    this.name = 'ConfigValidationError';
  }
}
exports.ConfigValidationError = ConfigValidationError;
function makeVar(opts, convert) {
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
exports.env = {
  string(opts) {
    return makeVar(opts, (raw) =>
      opts.pattern && !opts.pattern.test(raw)
        ? { ok: false, problem: `must be ${opts.patternHint ?? `a string matching ${String(opts.pattern)}`}` }
        : { ok: true, value: raw },
    );
  },
  int(opts) {
    const min = opts.min ?? Number.MIN_SAFE_INTEGER;
    const max = opts.max ?? Number.MAX_SAFE_INTEGER;
    return makeVar(opts, (raw) => {
      const value = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
      return Number.isSafeInteger(value) && value >= min && value <= max
        ? { ok: true, value }
        : { ok: false, problem: `must be an integer from ${min} to ${max}` };
    });
  },
  bool(opts) {
    return makeVar(opts, (raw) => {
      const lower = raw.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(lower)) return { ok: true, value: true };
      if (['0', 'false', 'no', 'off'].includes(lower)) return { ok: true, value: false };
      return { ok: false, problem: 'must be one of true, false, 1, 0, yes, no, on, off' };
    });
  },
  oneOf(values, opts) {
    return makeVar(opts, (raw) =>
      values.includes(raw) ? { ok: true, value: raw } : { ok: false, problem: `must be one of ${values.join(', ')}` },
    );
  },
  /** Comma-separated list of non-empty items. */
  list(opts) {
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
  url(opts) {
    return makeVar(opts, (raw) => {
      let protocol;
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
/** Reads every variable of `spec`; throws one ConfigValidationError listing all problems. */
function readEnv(spec, source) {
  const problems = [];
  const out = {};
  for (const [name, variable] of Object.entries(spec)) {
    const result = variable.parse(source[name]);
    if (result.ok) out[name] = result.value;
    else problems.push(`${name} ${result.problem} (${variable.description})`);
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return out;
}
/** Names of the variables marked secret, for log redaction and leak tests. */
function secretValues(spec, source) {
  return Object.entries(spec)
    .filter(([, v]) => v.secret)
    .map(([name]) => source[name])
    .filter((v) => typeof v === 'string' && v.length > 0);
}
//# sourceMappingURL=env.js.map
