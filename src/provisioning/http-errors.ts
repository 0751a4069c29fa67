/** Turns failed fetches and error answers into `IrError`s with the shared codes. */
import { IrError } from '../core/errors.js';
import { codeOfHttpStatus, ErrorAnswer, ErrorCode, parseWire } from '../protocol/index.js';

const knownCodes = new Set<string>(Object.values(ErrorCode));

/** Builds the error for a non-2xx answer: our `code` when the body has one, else the status's code. */
export async function errorOfResponse(response: Response, what: string): Promise<IrError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // A proxy's HTML error page or an empty body: the status alone says enough.
  }
  const parsed = parseWire(ErrorAnswer, body);
  const answer = parsed.ok ? parsed.value : {};
  const code =
    typeof answer.code === 'string' && knownCodes.has(answer.code)
      ? (answer.code as ErrorCode)
      : codeOfHttpStatus(response.status);
  const headerRetryAfter = Number(response.headers.get('retry-after'));
  const retryAfter = answer.retryAfter ?? (Number.isFinite(headerRetryAfter) ? headerRetryAfter : undefined);
  const message = answer.message ?? `${what} answered ${response.status}`;
  const retryable = response.status >= 500 || response.status === 429;
  return new IrError(code, message, {
    status: response.status,
    retryable,
    ...(retryAfter ? { retryAfter } : {}),
  });
}

/** A fetch that failed before any answer: the network, CORS or DNS. */
export function networkError(error: unknown, what: string): IrError {
  return new IrError('NETWORK_ERROR', `${what} failed: could not reach the server`, { cause: error });
}

export function protocolError(message: string, what: string): IrError {
  return new IrError('PROTOCOL_ERROR', `${what} answered something unexpected: ${message}`, { retryable: false });
}
