/**
 * Request/response over the instance socket: the host answers a request with another action, found
 * by the request's `requestID` when the reply echoes it, else by a key of the reply (iR Engine
 * echoes no `requestID` for some requests). Every request has a timeout and honours an AbortSignal.
 */
import { IrError } from '../../core/errors.js';
import type { Action } from '../../protocol/index.js';
import type { InstanceSocket } from '../instance-socket/instance-socket.js';

export interface RequestSpec {
  /** The action to send; `requestID` is added. */
  action: { type: string; [field: string]: unknown };
  /** The reply types that answer it. */
  reply: string;
  /** Error reply types; their `error` field becomes the IrError message. */
  errors: readonly string[];
  /** For replies without `requestID`: whether this action answers the request. */
  matches?(action: Action): boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Pending {
  spec: RequestSpec;
  requestID: string;
  resolve(action: Action): void;
  reject(error: unknown): void;
  cleanup(): void;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** Error codes of the host's error replies that are worth a retry later. */
const RETRYABLE_REPLY_ERRORS = new Set(['TRANSPORT_FAILED', 'INTERNAL_ERROR', 'LIMIT_REACHED']);

export class ActionRequests {
  readonly #socket: () => InstanceSocket | undefined;
  readonly #pending = new Set<Pending>();
  readonly #prefix: string;
  #sequence = 0;

  /**
   * `socket` is read at send time. `prefix` (our peerID) keeps our requestIDs apart from other
   * peers' in the broadcast replies.
   */
  constructor(socket: () => InstanceSocket | undefined, prefix: string) {
    this.#socket = socket;
    this.#prefix = prefix;
  }

  request(spec: RequestSpec): Promise<Action> {
    const socket = this.#socket();
    if (!socket?.open) return Promise.reject(IrError.invalidState('the instance socket is not open'));
    const signal = spec.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const requestID = `${this.#prefix}:${++this.#sequence}`;
    return new Promise<Action>((resolve, reject) => {
      const timeoutMs = spec.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
      const timer = setTimeout(
        () => settle.reject(new IrError('TIMEOUT', `no answer to ${shortType(spec.action.type)} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onAbort = () => settle.reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle: Pending = {
        spec,
        requestID,
        resolve: (action) => {
          settle.cleanup();
          resolve(action);
        },
        reject: (error) => {
          settle.cleanup();
          reject(error);
        },
        cleanup: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.#pending.delete(settle);
        },
      };
      this.#pending.add(settle);
      socket.dispatch({ ...spec.action, requestID });
    });
  }

  /** Offers an incoming action to the pending requests; true when it answered one. */
  handle(action: Action): boolean {
    const requestID = typeof action.requestID === 'string' ? action.requestID : undefined;
    for (const pending of this.#pending) {
      const { spec } = pending;
      const isReply = action.type === spec.reply;
      const isError = spec.errors.includes(action.type);
      if (!isReply && !isError) continue;
      const answers = requestID !== undefined ? requestID === pending.requestID : (spec.matches?.(action) ?? false);
      if (!answers) continue;
      if (isReply) pending.resolve(action);
      else pending.reject(replyError(spec.action.type, action));
      return true;
    }
    return false;
  }

  /** Fails every pending request (the link ended). */
  rejectAll(error: IrError): void {
    for (const pending of [...this.#pending]) pending.reject(error);
  }
}

function shortType(type: string): string {
  return type.slice(type.lastIndexOf('.') + 1);
}

function replyError(request: string, reply: Action): IrError {
  const code = typeof reply.error === 'string' ? reply.error : 'unknown error';
  const message = `the host refused ${shortType(request)}: ${code}`;
  return new IrError('TRANSPORT_FAILED', message, { retryable: RETRYABLE_REPLY_ERRORS.has(code) });
}
