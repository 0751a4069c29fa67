/**
 * Data producers and data consumers in mediasoup's shape: negotiated SCTP streams on a transport,
 * the stream id taken from (producer) or given in (consumer) `sctpStreamParameters`.
 */
import { randomUUID } from 'node:crypto';
import type { RTCDataChannel } from 'werift';
import type { SctpStreamParameters } from '../../protocol/index.js';
import type { WebRtcTransport } from './webrtc-transport.js';

abstract class DataEndpoint {
  readonly id = randomUUID();
  readonly transport: WebRtcTransport;
  readonly label: string;
  readonly protocol: string;
  readonly sctpStreamParameters: SctpStreamParameters;
  protected readonly channel: RTCDataChannel;
  #closed = false;
  readonly #closeListeners = new Set<() => void>();

  constructor(transport: WebRtcTransport, label: string, protocol: string, stream: SctpStreamParameters) {
    this.transport = transport;
    this.label = label;
    this.protocol = protocol;
    this.sctpStreamParameters = stream;
    this.channel = transport.openDataChannel(label, protocol, stream);
  }

  get closed(): boolean {
    return this.#closed;
  }

  onClose(listener: () => void): void {
    this.#closeListeners.add(listener);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.transport.closeDataChannel(this.channel);
    for (const listener of [...this.#closeListeners]) listener();
    this.#closeListeners.clear();
  }
}

/** Messages a client sends on one SCTP stream of its send transport. */
export class DataProducer extends DataEndpoint {
  /** Set by the owner; gets every message as a Buffer (strings arrive UTF-8 encoded). */
  onMessage: (data: Buffer) => void = () => undefined;

  constructor(transport: WebRtcTransport, label: string, protocol: string, stream: SctpStreamParameters) {
    super(transport, label, protocol, stream);
    this.channel.onMessage.subscribe((message) => {
      if (this.closed) return;
      this.onMessage(typeof message === 'string' ? Buffer.from(message) : message);
    });
  }
}

/** Messages the server sends on one SCTP stream of a client's receive transport. */
export class DataConsumer extends DataEndpoint {
  messagesSent = 0;

  /** False when the message was not sent (closed, or the association refused it). */
  send(data: Buffer): boolean {
    if (this.closed || !this.transport.connected) return false;
    try {
      this.channel.send(data);
      this.messagesSent++;
      return true;
    } catch {
      return false;
    }
  }
}
