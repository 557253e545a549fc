/** Unwrap a ValidationResult in tests, failing with the field errors spelled out. */
import type { FieldError, ValidationResult } from '../validation-result';
import { formatFieldErrors } from '../validation-result';

export function expectValid<T>(result: ValidationResult<T>): T {
  if (!result.ok) throw new Error(`expected a valid event, got: ${formatFieldErrors(result.errors)}`);
  return result.value;
}

export function expectInvalid<T>(result: ValidationResult<T>): FieldError[] {
  if (result.ok) throw new Error(`expected validation errors, got a valid event: ${JSON.stringify(result.value)}`);
  return result.errors;
}
