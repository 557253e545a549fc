// Test helpers shared by the unit and integration tiers (never imported by app code).
import { Clock } from '../clock';
import { DomainError } from '../errors/domain-error';
import { ProblemException } from '../http/problem';

/** A clock stopped at one instant. */
export class FixedClock extends Clock {
  constructor(private readonly fixedMs: number) {
    super();
  }

  override nowMs(): number {
    return this.fixedMs;
  }
}

/** The error `fn` throws, which must be an instance of `type`. */
export function thrownBy<E extends Error>(type: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name}`);
}

/** The ProblemException `fn` throws. */
export function problemOf(fn: () => unknown): ProblemException {
  return thrownBy(ProblemException, fn);
}

/** The error `promise` rejects with, which must be an instance of `type`. */
export async function rejectionBy<E extends Error>(
  type: abstract new (...args: never[]) => E,
  promise: Promise<unknown>,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name}`);
}

/** The ProblemException `promise` rejects with. */
export function problemOfAsync(promise: Promise<unknown>): Promise<ProblemException> {
  return rejectionBy(ProblemException, promise);
}

/** The DomainError `fn` throws. */
export function domainErrorOf(fn: () => unknown): DomainError {
  return thrownBy(DomainError, fn);
}

/** The DomainError `promise` rejects with. */
export function domainErrorOfAsync(promise: Promise<unknown>): Promise<DomainError> {
  return rejectionBy(DomainError, promise);
}
