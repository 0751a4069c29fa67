/** A joined peer speaking the media actions through the real Primus client, with werift transports. */
import { randomUUID } from 'node:crypto';
import { MediasoupAction as M } from '../../src/protocol/index.js';
import type { RunningServer } from '../../src/server/index.js';
import { guest, type Joined, join, provisionOk } from './helpers.js';
import { type ServerTransportInfo, type TransportClient, transportClient } from './sfu-client.js';

export type ActionFields = Record<string, unknown>;

/** MEDIA_CREATE_PRODUCER of an Opus track on `transportID` with one SSRC. */
export const opusProducer = (transportID: string, ssrc: number) => ({
  type: M.MEDIA_CREATE_PRODUCER,
  transportID,
  kind: 'audio',
  paused: false,
  rtpParameters: {
    mid: '0',
    codecs: [
      { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] },
    ],
    headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 }],
    encodings: [{ ssrc }],
    rtcp: { cname: 'x' },
  },
  appData: { mediaTag: 'ee.core.webcamAudio.dataChannel', channelId: null },
});

export class SfuPeer {
  readonly joined: Joined;
  readonly transports = new Map<string, { info: ActionFields; client: TransportClient }>();

  constructor(joined: Joined) {
    this.joined = joined;
  }

  static async join(server: RunningServer, instanceId: string, locationId: string, name = 'Peer'): Promise<SfuPeer> {
    const { accessToken } = await guest(server, name);
    return new SfuPeer(await join(server, accessToken, { instanceId, locationId }));
  }

  get peerID(): string {
    return this.joined.socket.peerID;
  }

  get host(): string {
    return this.joined.success.hostPeerID;
  }

  /** Sends one action to the host. */
  send(fields: ActionFields & { type: string }, to: string = this.host): void {
    this.joined.socket.write([{ ...fields, $to: to, $uuid: randomUUID() }]);
  }

  /** Sends a request with a fresh requestID and waits for the action answering it (any of `types`). */
  async request(fields: ActionFields & { type: string }, types: string[]): Promise<ActionFields> {
    const requestID = randomUUID();
    this.send({ ...fields, requestID });
    const frame = await this.joined.socket.waitFor<unknown[]>(
      (m) => Array.isArray(m) && m.some((a) => matches(a, types, requestID)),
      `${types.join(' | ')} for ${fields.type}`,
    );
    return frame.find((a) => matches(a, types, requestID)) as ActionFields;
  }

  waitForAction(type: string, where?: (a: ActionFields) => boolean): Promise<ActionFields> {
    return this.joined.socket.waitForAction(type, where);
  }

  /** TRANSPORT_REQUEST_CREATE, then a werift client connected through TRANSPORT_REQUEST_CONNECT. */
  async transport(direction: 'send' | 'recv'): Promise<{ id: string; client: TransportClient }> {
    const created = await this.request(
      {
        type: M.TRANSPORT_REQUEST_CREATE,
        peerID: this.peerID,
        direction,
        sctpCapabilities: { numStreams: { OS: 1024, MIS: 1024 } },
      },
      [M.TRANSPORT_CREATED, M.TRANSPORT_REQUEST_ERROR_CREATE],
    );
    if (created.type !== M.TRANSPORT_CREATED) throw new Error(`transport refused: ${JSON.stringify(created)}`);
    const client = await transportClient(created as unknown as ServerTransportInfo);
    const id = created.transportID as string;
    this.transports.set(id, { info: created, client });
    const connected = await this.request(
      { type: M.TRANSPORT_REQUEST_CONNECT, transportID: id, dtlsParameters: client.dtlsParameters },
      [M.TRANSPORT_CONNECTED, M.TRANSPORT_REQUEST_ERROR_CONNECT],
    );
    if (connected.type !== M.TRANSPORT_CONNECTED) throw new Error(`connect refused: ${JSON.stringify(connected)}`);
    await client.start();
    return { id, client };
  }

  async close(): Promise<void> {
    this.joined.socket.close();
    await Promise.all([...this.transports.values()].map((t) => t.client.close()));
  }
}

function matches(a: unknown, types: string[], requestID: string): boolean {
  return (
    typeof a === 'object' &&
    a !== null &&
    types.includes((a as { type?: string }).type ?? '') &&
    (a as { requestID?: unknown }).requestID === requestID
  );
}

export async function worldInstance(server: RunningServer, locationId: string): Promise<string> {
  const { accessToken } = await guest(server, 'Provisioner');
  return (await provisionOk(server, { locationId, token: accessToken })).id;
}
