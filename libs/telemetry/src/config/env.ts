// Typed, validated configuration read from environment variables.
// Every app declares its variables once; `readEnv` returns a typed object or throws one
// ConfigValidationError that names every bad variable (never its value: values may be secrets).
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type EnvSource = Readonly<Record<string, string | undefined>>;

type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** The other variables of a spec, for rules that span several of them. */
export interface ParsedEnv {
  /** The parsed value; undefined when the variable is invalid or not in the spec. */
  get(name: string): unknown;
  /** Whether the variable is in the spec and parsed (rules skip variables already reported). */
  valid(name: string): boolean;
}

export interface EnvVar<T> {
  readonly description: string;
  readonly secret: boolean;
  /** Returns the parsed value, or a problem sentence (without the variable's value). */
  parse(raw: string | undefined): Parsed<T>;
  /**
   * A rule over this variable and others, checked after every variable parsed: a problem
   * sentence (naming the other variables, never values), or undefined when it holds.
   */
  check?(value: T, others: ParsedEnv): string | undefined;
}

/** A file named by a variable, read at boot. */
export interface LoadedFile {
  path: string;
  contents: string;
}

/** What a file variable must hold; checked at boot so a wrong file fails there, not at first use. */
export type FileContent = 'text' | 'pem-certificates' | 'pem-private-key' | 'pem-certificate-and-key';

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
  check?: (value: T, others: ParsedEnv) => string | undefined;
}

function makeVar<T>(opts: BaseOptions<T>, convert: (raw: string) => Parsed<T>): EnvVar<T> {
  return {
    description: opts.description,
    secret: opts.secret ?? false,
    ...(opts.check === undefined ? {} : { check: opts.check }),
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

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const PEM_PRIVATE_KEY = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]+?-----END (?:[A-Z]+ )?PRIVATE KEY-----/;

/** Why `contents` is not `kind`, or undefined when it is (never quoting the contents). */
function fileContentProblem(contents: string, kind: FileContent): string | undefined {
  if (contents.trim() === '') return 'names an empty file';
  const needsCert = kind === 'pem-certificates' || kind === 'pem-certificate-and-key';
  const needsKey = kind === 'pem-private-key' || kind === 'pem-certificate-and-key';
  if (needsCert && !PEM_CERTIFICATE.test(contents)) return 'must name a PEM file with at least one certificate';
  if (needsKey) {
    const key = PEM_PRIVATE_KEY.exec(contents)?.[0];
    if (key === undefined) return 'must name a PEM file with a private key';
    try {
      createPrivateKey(key);
    } catch {
      return 'must name a PEM file with an unencrypted private key that can be read';
    }
  }
  return undefined;
}

function readFileVar(path: string, kind: FileContent): Parsed<LoadedFile> {
  let contents: string;
  try {
    contents = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { ok: false, problem: `names a file that cannot be read (${typeof code === 'string' ? code : 'error'})` };
  }
  // A password file written by `echo` or an editor ends with a newline that is not part of it.
  if (kind === 'text') contents = contents.replace(/\r?\n$/, '');
  const problem = fileContentProblem(contents, kind);
  return problem === undefined ? { ok: true, value: { path, contents } } : { ok: false, problem };
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
  /**
   * An optional path to a file that is read at boot; the value is the file's contents (null when
   * the variable is unset). A missing, unreadable or malformed file is a problem of this variable.
   */
  file(opts: Omit<BaseOptions<LoadedFile | null>, 'default'> & { content: FileContent }): EnvVar<LoadedFile | null> {
    return makeVar<LoadedFile | null>({ ...opts, default: null }, (raw) => readFileVar(raw, opts.content));
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

/**
 * Reads every variable of `spec`, then checks the rules that span variables; throws one
 * ConfigValidationError listing all problems.
 */
export function readEnv<S extends EnvSpec>(spec: S, source: EnvSource): EnvValues<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  const valid = new Set<string>();
  for (const [name, variable] of Object.entries(spec)) {
    const result = variable.parse(source[name]);
    if (result.ok) {
      out[name] = result.value;
      valid.add(name);
    } else problems.push(`${name} ${result.problem} (${variable.description})`);
  }
  const others: ParsedEnv = { get: (name) => out[name], valid: (name) => valid.has(name) };
  for (const [name, variable] of Object.entries(spec)) {
    if (!valid.has(name) || variable.check === undefined) continue;
    const problem = variable.check(out[name], others);
    if (problem !== undefined) problems.push(`${name} ${problem}`);
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return out as EnvValues<S>;
}

/**
 * The values of the variables marked secret (for a file variable, the file's contents), for log
 * redaction and leak tests.
 */
export function secretValues(spec: EnvSpec, source: EnvSource): string[] {
  const values: string[] = [];
  for (const [name, variable] of Object.entries(spec)) {
    const raw = source[name];
    if (!variable.secret || raw === undefined || raw.trim() === '') continue;
    const parsed = variable.parse(raw);
    const value: unknown = parsed.ok ? parsed.value : raw;
    if (typeof value === 'string') values.push(value);
    else if (isLoadedFile(value)) values.push(value.contents);
  }
  return values.filter((v) => v.length > 0);
}

function isLoadedFile(value: unknown): value is LoadedFile {
  return typeof value === 'object' && value !== null && typeof (value as LoadedFile).contents === 'string';
}
