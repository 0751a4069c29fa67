/**
 * Provisioning over HTTP: `GET {apiUrl}/instance-provision` with a per-request timeout, retried with
 * backoff on network errors, 5xx and iR Engine's all-null answer, never on 4xx.
 */
import { delay, isAbortOf, timeoutSignal } from '../core/abort.js';
import { IrError } from '../core/errors.js';
import type { InstanceSpec } from '../core/instance-spec.js';
import { createLogger } from '../core/logger.js';
import { InstanceAnswer, isEmptyInstanceAnswer, type ProvisionedInstance, parseWire } from '../protocol/index.js';
import { errorOfResponse, networkError, protocolError } from './http-errors.js';
import type { Provisioner, ProvisionOptions } from './provisioner.js';
import { ExponentialBackoffPolicy, type RetryPolicy } from './retry-policy.js';

const log = createLogger('provisioning');

export interface HttpProvisionerOptions {
  /** Per-request timeout in ms. */
  requestTimeoutMs: number;
  retryPolicy: RetryPolicy;
  fetch: typeof fetch;
}

/** The query of PROTOCOL.md §1 for a spec. */
export function provisionUrl(spec: InstanceSpec, token: string): string {
  let url: URL;
  try {
    url = new URL(`${spec.apiUrl.replace(/\/+$/, '')}/instance-provision`);
  } catch {
    throw IrError.invalidArgument(`api-url is not a URL: ${spec.apiUrl}`);
  }
  const q = url.searchParams;
  if (spec.kind === 'media') {
    if (!spec.channelId) throw IrError.invalidArgument('a media instance needs a channelId');
    q.set('channelId', spec.channelId);
  } else {
    if (!spec.locationId) throw IrError.invalidArgument('a world instance needs a locationId');
    q.set('locationId', spec.locationId);
  }
  if (spec.instanceId) q.set('instanceId', spec.instanceId);
  if (spec.roomCode) q.set('roomCode', spec.roomCode);
  if (spec.createPrivateRoom) q.set('createPrivateRoom', 'true');
  if (spec.sceneId) q.set('sceneId', spec.sceneId);
  if (spec.topology) q.set('topology', spec.topology);
  q.set('token', token);
  return url.href;
}

/** An answer validated and normalised (iR Engine may send the port as a string). */
export function toProvisionedInstance(answer: InstanceAnswer): ProvisionedInstance {
  const instance: ProvisionedInstance = {
    id: answer.id ?? '',
    roomCode: answer.roomCode ?? '',
    p2p: answer.p2p === true,
  };
  if (answer.ipAddress) instance.ipAddress = answer.ipAddress;
  if (answer.port != null) instance.port = Number(answer.port);
  if (answer.channelId) instance.channelId = answer.channelId;
  if (answer.iceServers) instance.iceServers = answer.iceServers;
  if (answer.peerServer) instance.peerServer = answer.peerServer;
  return instance;
}

export class HttpProvisioner implements Provisioner {
  readonly options: HttpProvisionerOptions;

  constructor(options: Partial<HttpProvisionerOptions> = {}) {
    this.options = {
      requestTimeoutMs: 10_000,
      retryPolicy: new ExponentialBackoffPolicy({ initialDelayMs: 500, maxAttempts: 6, maxElapsedMs: 30_000 }),
      fetch: (input, init) => globalThis.fetch(input, init),
      ...options,
    };
  }

  async provision(spec: InstanceSpec, { token, signal, retry = true }: ProvisionOptions): Promise<ProvisionedInstance> {
    const url = provisionUrl(spec, token);
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      try {
        return await this.#once(url, signal);
      } catch (error) {
        if (!retry || isAbortOf(error, signal) || !(error instanceof IrError) || !error.retryable) throw error;
        const wait = this.options.retryPolicy.nextRetryDelayMs({ attempt, elapsedMs: Date.now() - started, error });
        if (wait === null) throw error;
        log.debug(`provisioning failed (${error.code}), retrying in ${wait} ms`);
        await delay(wait, signal);
      }
    }
  }

  async #once(url: string, parent: AbortSignal | undefined): Promise<ProvisionedInstance> {
    const what = 'instance-provision';
    const timeout = timeoutSignal(this.options.requestTimeoutMs, parent, what);
    try {
      let response: Response;
      try {
        response = await this.options.fetch(url, { signal: timeout.signal, headers: { accept: 'application/json' } });
      } catch (error) {
        throw timeout.signal.aborted ? timeout.signal.reason : networkError(error, what);
      }
      if (!response.ok) throw await errorOfResponse(response, what);
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        if (timeout.signal.aborted) throw timeout.signal.reason;
        throw protocolError('not JSON', what);
      }
      const parsed = parseWire(InstanceAnswer, body);
      if (!parsed.ok) throw protocolError(parsed.message, what);
      if (isEmptyInstanceAnswer(parsed.value)) {
        throw new IrError('NO_CAPACITY', 'no instance server is free', { retryable: true });
      }
      const instance = toProvisionedInstance(parsed.value);
      if (!instance.p2p && (!instance.ipAddress || !instance.port)) {
        throw protocolError('an SFU instance without ipAddress and port', what);
      }
      return instance;
    } finally {
      timeout.clear();
    }
  }
}
