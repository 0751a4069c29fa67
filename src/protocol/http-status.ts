/**
 * Error codes and HTTP statuses, both ways: what the reference server answers with, and what the
 * kit makes of a status that came without a code of ours (iR Engine). Apart from errors.ts, whose
 * codes every page loads, because only the server and the provisioning code need these.
 */
import { ErrorCode } from './errors.js';

const httpStatus: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  MISSING_ACCESS_TOKEN: 401,
  FORBIDDEN: 403,
  USER_NOT_AUTHORIZED: 403,
  NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INSTANCE_FULL: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  NO_CAPACITY: 503,
  STORE_UNAVAILABLE: 503,
};

/** The HTTP status the reference server answers with for a code (500 for codes it never sends). */
export function httpStatusOf(code: ErrorCode): number {
  return httpStatus[code] ?? 500;
}

/** The code that best describes an HTTP status, for answers that carry no code of ours (iR Engine). */
export function codeOfHttpStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
    case 422:
      return ErrorCode.BAD_REQUEST;
    case 401:
      return ErrorCode.UNAUTHORIZED;
    case 403:
      return ErrorCode.FORBIDDEN;
    case 404:
      return ErrorCode.NOT_FOUND;
    case 405:
      return ErrorCode.METHOD_NOT_ALLOWED;
    case 409:
      return ErrorCode.INSTANCE_FULL;
    case 413:
      return ErrorCode.PAYLOAD_TOO_LARGE;
    case 429:
      return ErrorCode.RATE_LIMITED;
    case 503:
      return ErrorCode.NO_CAPACITY;
    default:
      return status >= 500 ? ErrorCode.INTERNAL_ERROR : ErrorCode.BAD_REQUEST;
  }
}
