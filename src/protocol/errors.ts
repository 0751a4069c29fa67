/**
 * Error codes shared by the kit and the reference server. The server puts them in HTTP error
 * bodies and in handshake `fail` answers; the kit puts them in `IrError.code`.
 */
export const ErrorCode = {
  // Answers of the reference server (HTTP status in httpStatusOf).
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  INSTANCE_FULL: 'INSTANCE_FULL',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  RATE_LIMITED: 'RATE_LIMITED',
  NO_CAPACITY: 'NO_CAPACITY',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
  // Handshake failures written on the instance socket (PROTOCOL.md §2).
  MISSING_ACCESS_TOKEN: 'MISSING_ACCESS_TOKEN',
  USER_NOT_FOUND: 'USER_NOT_FOUND',
  USER_NOT_AUTHORIZED: 'USER_NOT_AUTHORIZED',
  // Raised by the kit.
  NETWORK_ERROR: 'NETWORK_ERROR',
  TIMEOUT: 'TIMEOUT',
  PROTOCOL_ERROR: 'PROTOCOL_ERROR',
  INSTANCE_NOT_READY: 'INSTANCE_NOT_READY',
  INVALID_STATE: 'INVALID_STATE',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  TRANSPORT_FAILED: 'TRANSPORT_FAILED',
  UNSUPPORTED: 'UNSUPPORTED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes the instance socket may send in `{status: "fail", error}`. */
export const HandshakeFailCode = {
  MISSING_ACCESS_TOKEN: ErrorCode.MISSING_ACCESS_TOKEN,
  USER_NOT_FOUND: ErrorCode.USER_NOT_FOUND,
  USER_NOT_AUTHORIZED: ErrorCode.USER_NOT_AUTHORIZED,
  INSTANCE_FULL: ErrorCode.INSTANCE_FULL,
  INTERNAL_ERROR: ErrorCode.INTERNAL_ERROR,
} as const;
export type HandshakeFailCode = (typeof HandshakeFailCode)[keyof typeof HandshakeFailCode];

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

/** Errors a client may retry (network trouble, server trouble), never errors in what it sent. */
export function isRetryableCode(code: ErrorCode): boolean {
  return (
    code === ErrorCode.NETWORK_ERROR ||
    code === ErrorCode.TIMEOUT ||
    code === ErrorCode.NO_CAPACITY ||
    code === ErrorCode.INTERNAL_ERROR ||
    code === ErrorCode.RATE_LIMITED ||
    code === ErrorCode.INSTANCE_NOT_READY ||
    code === ErrorCode.TRANSPORT_FAILED
  );
}
