// A credential held in memory (a password, a private key) that cannot end up in a log line,
// an error message or a JSON document by accident: it prints as "[redacted]" everywhere and
// gives its value only to an explicit `reveal()`, at the one place a client library needs it.
import { inspect } from 'node:util';

const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
