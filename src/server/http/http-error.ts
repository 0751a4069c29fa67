/** An error answer of the reference server: a code of the shared list, its HTTP status, a message. */
import { type ErrorBody, type ErrorCode, httpStatusOf } from '../../protocol/index.js';

export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds, for 429 and 503 (sent as Retry-After too). */
  readonly retryAfter: number | undefined;
  /** Extra response headers (Allow on 405). */
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryAfter?: number; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.code = code;
    this.status = httpStatusOf(code);
    this.retryAfter = options.retryAfter;
    this.headers = options.headers ?? {};
  }

  static badRequest(message: string): HttpError {
    return new HttpError('BAD_REQUEST', message);
  }

  static unauthorized(message: string): HttpError {
    return new HttpError('UNAUTHORIZED', message);
  }

  static forbidden(message: string): HttpError {
    return new HttpError('FORBIDDEN', message);
  }

  static notFound(message: string): HttpError {
    return new HttpError('NOT_FOUND', message);
  }

  static full(message: string): HttpError {
    return new HttpError('INSTANCE_FULL', message);
  }

  static noCapacity(message: string, retryAfter: number): HttpError {
    return new HttpError('NO_CAPACITY', message, { retryAfter });
  }

  body(): ErrorBody {
    return {
      status: this.status,
      code: this.code,
      message: this.message,
      ...(this.retryAfter === undefined ? {} : { retryAfter: this.retryAfter }),
    };
  }
}
