/**
 * Parser for the Prometheus text exposition format 0.0.4: the body of a dcgm-exporter or vLLM
 * `/metrics` response (the producer's scrapers, SPEC §5), and of the services' own `/metrics`
 * (the pipeline bench, the end-to-end tests).
 *
 * It is a hand-written single pass over each line with no backtracking regexes, so its cost is
 * linear in the input. It never throws: a line it cannot read becomes an entry in `errors` and
 * the rest of the exposition is still used. Where the format leaves room it follows what the
 * Prometheus server accepts: blanks around label tokens, a trailing comma in a label set, and
 * escapes other than `\\`, `\"` and `\n` kept verbatim in label values.
 *
 * Values are JavaScript numbers: integers above 2^53 (DCGM's int64 blanks such as
 * 9223372036854775794) round to the nearest double, so callers compare them with thresholds
 * instead of testing for equality.
 */

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

export interface MetricMetadata {
  help?: string;
  type?: string;
}

export interface ExpositionError {
  /** 1-based line number. */
  line: number;
  message: string;
}

export interface Exposition {
  samples: PromSample[];
  /** Keyed by metric family name as written in `# HELP` / `# TYPE` (no `_bucket`/`_sum` suffix). */
  metadata: Map<string, MetricMetadata>;
  errors: ExpositionError[];
}

const METRIC_TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

const TAB = 0x09;
const SPACE = 0x20;
const QUOTE = 0x22;
const HASH = 0x23;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const BACKSLASH = 0x5c;
const LETTER_N = 0x6e;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

function isBlank(code: number): boolean {
  return code === SPACE || code === TAB;
}

function isLetterOrUnderscore(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || code === 0x5f;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** `[a-zA-Z_:]` starts a metric name, `[a-zA-Z0-9_:]` continues it; label names have no colon. */
function isMetricNameChar(code: number, first: boolean): boolean {
  return isLetterOrUnderscore(code) || code === 0x3a || (!first && isDigit(code));
}

function isLabelNameChar(code: number, first: boolean): boolean {
  return isLetterOrUnderscore(code) || (!first && isDigit(code));
}

// One optional dot that must be followed by the fraction, so the pattern has a single way to match
// and no input can make it backtrack more than linearly.
const DECIMAL_PATTERN = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const NAN_PATTERN = /^nan$/i;
const INFINITY_PATTERN = /^([+-]?)inf(?:inity)?$/i;
const INTEGER_PATTERN = /^-?[0-9]+$/;

/**
 * A sample value or `le` bound as Go's ParseFloat reads it: decimals with an optional exponent,
 * `NaN`, `+Inf`, `-Inf` (any case). Hexadecimal floats are not supported. `undefined` if unreadable.
 */
export function parsePromFloat(token: string): number | undefined {
  if (DECIMAL_PATTERN.test(token)) return Number(token);
  if (NAN_PATTERN.test(token)) return Number.NaN;
  const infinity = INFINITY_PATTERN.exec(token);
  if (infinity) return infinity[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return undefined;
}

/** `\\` and `\n` are the only escapes in HELP text; anything else after a backslash is kept. */
function unescapeHelp(text: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  let segmentStart = 0;
  for (let i = 0; i < text.length; i += 1) {
    if (text.charCodeAt(i) !== BACKSLASH || i + 1 >= text.length) continue;
    const next = text.charCodeAt(i + 1);
    if (next !== BACKSLASH && next !== LETTER_N) continue;
    out += text.slice(segmentStart, i) + (next === LETTER_N ? '\n' : '\\');
    i += 1;
    segmentStart = i + 1;
  }
  return out + text.slice(segmentStart);
}

function setLabel(labels: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') {
    // A plain assignment would set the object's prototype instead of a property.
    Object.defineProperty(labels, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    labels[name] = value;
  }
}

/** Reads one line at a time; a method returning `false` or `undefined` has set `message`. */
class LineParser {
  message = '';
  private line = '';
  private pos = 0;

  reset(line: string, start: number): void {
    this.line = line;
    this.pos = start;
    this.message = '';
  }

  sample(): PromSample | undefined {
    const name = this.metricName();
    if (name === undefined) return undefined;
    const labels: Record<string, string> = {};
    const afterName = this.line.charCodeAt(this.pos);
    if (this.pos < this.line.length && !isBlank(afterName) && afterName !== OPEN_BRACE) {
      return this.fail(`invalid character in metric name at column ${this.pos + 1}`);
    }
    this.skipBlanks();
    if (this.line.charCodeAt(this.pos) === OPEN_BRACE) {
      this.pos += 1;
      if (!this.labelSet(labels)) return undefined;
      this.skipBlanks();
    }
    const valueToken = this.token();
    if (valueToken === '') return this.fail('missing sample value');
    const value = parsePromFloat(valueToken);
    if (value === undefined) return this.fail(`invalid sample value at column ${this.pos - valueToken.length + 1}`);
    this.skipBlanks();
    const sample: PromSample = { name, labels, value };
    const timestampToken = this.token();
    if (timestampToken !== '') {
      if (!INTEGER_PATTERN.test(timestampToken)) {
        return this.fail(`invalid timestamp at column ${this.pos - timestampToken.length + 1}`);
      }
      sample.timestampMs = Number(timestampToken);
      this.skipBlanks();
    }
    if (this.pos < this.line.length) return this.fail(`unexpected text at column ${this.pos + 1}`);
    return sample;
  }

  /** After `#`: HELP and TYPE lines update `metadata`; every other comment is ignored. */
  comment(metadata: Map<string, MetricMetadata>): boolean {
    this.skipBlanks();
    const keyword = this.token();
    if (keyword !== 'HELP' && keyword !== 'TYPE') return true;
    this.skipBlanks();
    const name = this.metricName();
    if (name === undefined) return false;
    if (this.pos < this.line.length && !isBlank(this.line.charCodeAt(this.pos))) {
      return this.reject(`invalid character in metric name at column ${this.pos + 1}`);
    }
    this.skipBlanks();
    let entry = metadata.get(name);
    if (keyword === 'HELP') {
      if (entry?.help !== undefined) return this.reject(`second HELP line for ${name}`);
      entry ??= {};
      entry.help = unescapeHelp(this.line.slice(this.pos));
    } else {
      const type = this.token();
      this.skipBlanks();
      if (!METRIC_TYPES.has(type) || this.pos < this.line.length) {
        return this.reject(`unknown metric type for ${name}`);
      }
      if (entry?.type !== undefined) return this.reject(`second TYPE line for ${name}`);
      entry ??= {};
      entry.type = type;
    }
    metadata.set(name, entry);
    return true;
  }

  /** After `{`; leaves `pos` after the closing `}`. */
  private labelSet(labels: Record<string, string>): boolean {
    for (;;) {
      this.skipBlanks();
      if (this.line.charCodeAt(this.pos) === CLOSE_BRACE) {
        this.pos += 1;
        return true;
      }
      const nameStart = this.pos;
      while (this.pos < this.line.length && isLabelNameChar(this.line.charCodeAt(this.pos), this.pos === nameStart)) {
        this.pos += 1;
      }
      if (this.pos === nameStart) return this.reject(`expected a label name at column ${this.pos + 1}`);
      const labelName = this.line.slice(nameStart, this.pos);
      this.skipBlanks();
      if (this.line.charCodeAt(this.pos) !== EQUALS) {
        return this.reject(`expected "=" after label ${labelName}`);
      }
      this.pos += 1;
      this.skipBlanks();
      if (this.line.charCodeAt(this.pos) !== QUOTE) {
        return this.reject(`expected a quoted value for label ${labelName}`);
      }
      this.pos += 1;
      const labelValue = this.quoted();
      if (labelValue === undefined) return this.reject(`unterminated value for label ${labelName}`);
      if (Object.hasOwn(labels, labelName)) return this.reject(`duplicate label ${labelName}`);
      setLabel(labels, labelName, labelValue);
      this.skipBlanks();
      const separator = this.line.charCodeAt(this.pos);
      if (separator === COMMA) {
        this.pos += 1;
      } else if (separator !== CLOSE_BRACE) {
        return this.reject(`expected "," or "}" at column ${this.pos + 1}`);
      }
    }
  }

  /** After the opening quote; leaves `pos` after the closing one. */
  private quoted(): string | undefined {
    const line = this.line;
    let out = '';
    let segmentStart = this.pos;
    for (let i = this.pos; i < line.length; i += 1) {
      const code = line.charCodeAt(i);
      if (code === QUOTE) {
        this.pos = i + 1;
        return out + line.slice(segmentStart, i);
      }
      if (code === BACKSLASH) {
        if (i + 1 >= line.length) return undefined;
        const next = line.charCodeAt(i + 1);
        out += line.slice(segmentStart, i);
        if (next === LETTER_N) out += '\n';
        else if (next === QUOTE || next === BACKSLASH) out += line[i + 1];
        else out += line.slice(i, i + 2);
        i += 1;
        segmentStart = i + 1;
      }
    }
    return undefined;
  }

  private metricName(): string | undefined {
    const start = this.pos;
    while (this.pos < this.line.length && isMetricNameChar(this.line.charCodeAt(this.pos), this.pos === start)) {
      this.pos += 1;
    }
    if (this.pos === start) return this.fail(`expected a metric name at column ${start + 1}`);
    return this.line.slice(start, this.pos);
  }

  /** The run of non-blank characters at `pos` ('' at the end of the line). */
  private token(): string {
    const start = this.pos;
    while (this.pos < this.line.length && !isBlank(this.line.charCodeAt(this.pos))) this.pos += 1;
    return this.line.slice(start, this.pos);
  }

  private skipBlanks(): void {
    while (this.pos < this.line.length && isBlank(this.line.charCodeAt(this.pos))) this.pos += 1;
  }

  private fail(message: string): undefined {
    this.message = message;
    return undefined;
  }

  private reject(message: string): false {
    this.message = message;
    return false;
  }
}

export function parsePrometheusText(text: string): Exposition {
  const exposition: Exposition = { samples: [], metadata: new Map(), errors: [] };
  const parser = new LineParser();
  let lineStart = 0;
  let lineNumber = 0;
  while (lineStart <= text.length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd === -1) lineEnd = text.length;
    lineNumber += 1;
    const contentEnd = lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 0x0d ? lineEnd - 1 : lineEnd;
    const line = text.slice(lineStart, contentEnd);
    lineStart = lineEnd + 1;

    let first = 0;
    while (first < line.length && isBlank(line.charCodeAt(first))) first += 1;
    if (first === line.length) continue;
    if (line.charCodeAt(first) === HASH) {
      parser.reset(line, first + 1);
      if (!parser.comment(exposition.metadata)) exposition.errors.push({ line: lineNumber, message: parser.message });
      continue;
    }
    parser.reset(line, first);
    const sample = parser.sample();
    if (sample) exposition.samples.push(sample);
    else exposition.errors.push({ line: lineNumber, message: parser.message });
  }
  return exposition;
}
