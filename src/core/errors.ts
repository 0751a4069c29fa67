/** The kit's one error type: a code from the shared list, a cause, and whether a retry may help. */
import { type ErrorCode, isRetryableCode } from '../protocol/errors.js';

export { ErrorCode } from '../protocol/errors.js';

export interface IrErrorOptions {
  cause?: unknown;
  /** Defaults to what the code implies (network and server trouble are retryable). */
  retryable?: boolean;
  /** HTTP status, when the error came from an HTTP answer. */
  status?: number;
  /** Seconds the server asked us to wait (Retry-After). */
  retryAfter?: number;
}

export class IrError extends Error {
  override readonly name = 'IrError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message: string, options: IrErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? isRetryableCode(code);
    this.status = options.status;
    this.retryAfter = options.retryAfter;
  }

  /** mediasoup-client's InvalidStateError: the call is not possible in the current state. */
  static invalidState(message: string): IrError {
    return new IrError('INVALID_STATE', message);
  }

  /** A bad argument from the caller (mediasoup-client throws TypeError for these). */
  static invalidArgument(message: string): IrError {
    return new IrError('INVALID_ARGUMENT', message);
  }

  static is(error: unknown, code?: ErrorCode): error is IrError {
    return error instanceof IrError && (code === undefined || error.code === code);
  }
}
