/**
 * The SFU media engine of the reference server, in the place of a mediasoup worker: it makes one
 * router per instance and keeps the process-wide counts the health endpoint shows.
 *
 * The calls the instance host makes are mediasoup's, in mediasoup's parameter formats, so a real
 * worker could take this engine's place: `router.rtpCapabilities`, `router.canConsume({producerId,
 * rtpCapabilities})`, `router.createWebRtcTransport()`, `transport.connect({dtlsParameters})`,
 * `transport.produce({kind, rtpParameters, paused, appData})`, `transport.consume({producerId,
 * rtpCapabilities, paused})`, `transport.produceData({sctpStreamParameters, label, protocol})`,
 * `pause()` / `resume()` / `close()` and close listeners on each. Differences: these calls are
 * synchronous (mediasoup's return promises), and `consumeData` names a label instead of a data
 * producer, because the host's data producers are virtual (it fans messages out itself).
 */
import { RTCDtlsTransport } from 'werift';
import { Router, type SfuCounts } from './router.js';

export interface SfuOptions {
  /** Address the transports' UDP sockets bind; default the server's bind address. */
  listenIp: string;
  /** Address in the ICE candidates; what clients send media to. */
  announcedAddress: string;
  /** Inclusive UDP port range; default any free port. */
  portRange?: [number, number];
  /** A transport not connected (DTLS up) this long after creation is closed; default 30 s. */
  connectTimeoutMs?: number;
}

export const SFU_DEFAULTS = {
  connectTimeoutMs: 30_000,
  /** SCTP message size we announce; data messages are bounded by MAX_DATA_MESSAGE_BYTES anyway. */
  maxMessageSize: 262_144,
} as const;

export class SfuEngine {
  readonly counts: SfuCounts = { transports: 0, producers: 0, consumers: 0, dataProducers: 0, dataConsumers: 0 };
  readonly options: SfuOptions;
  readonly #routers = new Set<Router>();

  constructor(options: SfuOptions) {
    this.options = options;
    // werift makes one DTLS certificate per process, on first use (some 25 ms): not on a first join.
    RTCDtlsTransport.SetupCertificate().catch(() => undefined);
  }

  createRouter(): Router {
    const router = new Router({
      listenIp: this.options.listenIp,
      announcedAddress: this.options.announcedAddress,
      ...(this.options.portRange ? { portRange: this.options.portRange } : {}),
      connectTimeoutMs: this.options.connectTimeoutMs ?? SFU_DEFAULTS.connectTimeoutMs,
      maxMessageSize: SFU_DEFAULTS.maxMessageSize,
      counts: this.counts,
    });
    this.#routers.add(router);
    return router;
  }

  closeRouter(router: Router): void {
    router.close();
    this.#routers.delete(router);
  }

  close(): void {
    for (const router of this.#routers) router.close();
    this.#routers.clear();
  }
}

export { Router, type SfuCounts } from './router.js';
export { ROUTER_RTP_CAPABILITIES } from './rtp-parameters.js';
export { WebRtcTransport } from './webrtc-transport.js';
