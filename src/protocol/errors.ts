/**
 * Error codes shared by the kit and the reference server. The server puts them in HTTP error
 * bodies and in handshake `fail` answers; the kit puts them in `IrError.code`.
 */
import { namesOf } from './names.js';

export const ErrorCode = namesOf([
  // Answers of the reference server (HTTP status in http-status.ts).
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'INSTANCE_FULL',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'NO_CAPACITY',
  // The server's shared state (Redis) is unreachable for now.
  'STORE_UNAVAILABLE',
  'INTERNAL_ERROR',
  // Handshake failures written on the instance socket (PROTOCOL.md §2).
  'MISSING_ACCESS_TOKEN',
  'USER_NOT_FOUND',
  'USER_NOT_AUTHORIZED',
  'NOT_RESUMABLE',
  // Raised by the kit.
  'NETWORK_ERROR',
  'TIMEOUT',
  'PROTOCOL_ERROR',
  'INSTANCE_NOT_READY',
  'INVALID_STATE',
  'INVALID_ARGUMENT',
  'TRANSPORT_FAILED',
  'UNSUPPORTED',
]);
export type ErrorCode = keyof typeof ErrorCode;

/** Errors a client may retry (network trouble, server trouble), never errors in what it sent. */
export function isRetryableCode(code: ErrorCode): boolean {
  return (
    code === ErrorCode.NETWORK_ERROR ||
    code === ErrorCode.TIMEOUT ||
    code === ErrorCode.NO_CAPACITY ||
    code === ErrorCode.STORE_UNAVAILABLE ||
    code === ErrorCode.INTERNAL_ERROR ||
    code === ErrorCode.RATE_LIMITED ||
    code === ErrorCode.INSTANCE_NOT_READY ||
    code === ErrorCode.TRANSPORT_FAILED
  );
}
