/** The SFU engine alone, with werift clients: transports, RTP forwarding with rewriting, data, close cascades. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  GenericNack,
  PictureLossIndication,
  ReceiverEstimatedMaxBitrate,
  RtcpPayloadSpecificFeedback,
  RtcpSrPacket,
  RtcpTransportLayerFeedback,
  type RtpPacket,
} from 'werift';
import { SfuEngine } from '../../src/server/sfu/engine.js';
import type { Router } from '../../src/server/sfu/router.js';
import { ROUTER_RTP_CAPABILITIES } from '../../src/server/sfu/rtp-parameters.js';
import { eventually } from './helpers.js';
import { OPUS_FRAME, rtpHeader, type TransportClient, transportClient, VP8_KEYFRAME } from './sfu-client.js';

const NUM_STREAMS = { OS: 1024, MIS: 1024 };

async function connectedPair(router: Router, direction: 'send' | 'recv') {
  const transport = await router.createWebRtcTransport({
    numStreams: NUM_STREAMS,
    appData: { peerId: 'p', direction },
  });
  const client = await transportClient(transport);
  transport.connect({ dtlsParameters: client.dtlsParameters });
  await client.start();
  await eventually(() => transport.connected, 'the server side of the transport to connect');
  return { transport, client };
}

const opusParameters = (ssrc: number) => ({
  mid: '0',
  codecs: [
    { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] },
  ],
  headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 }],
  encodings: [{ ssrc }],
  rtcp: { cname: 'c' },
});

const vp8Parameters = (ssrc: number) => ({
  mid: '1',
  codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {}, rtcpFeedback: [] }],
  headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 }],
  encodings: [{ ssrc }],
});

describe('SFU engine', () => {
  let engine: SfuEngine;
  let router: Router;
  const clients: TransportClient[] = [];

  beforeEach(() => {
    engine = new SfuEngine({ listenIp: '127.0.0.1', announcedAddress: '127.0.0.1', connectTimeoutMs: 5000 });
    router = engine.createRouter();
  });
  afterEach(async () => {
    engine.close();
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  /** A connected sender and receiver, with the sender's producer relayed to one consumer. */
  async function relay(
    kind: 'audio' | 'video',
    rtpParameters: ReturnType<typeof opusParameters | typeof vp8Parameters>,
  ) {
    const send = await connectedPair(router, 'send');
    const recv = await connectedPair(router, 'recv');
    clients.push(send.client, recv.client);
    const producer = send.transport.produce({
      kind,
      rtpParameters,
      appData: { peerId: 'a', mediaTag: kind === 'audio' ? 't' : 'v', channelId: null },
    });
    const consumer = recv.transport.consume({
      producerId: producer.id,
      rtpCapabilities: ROUTER_RTP_CAPABILITIES,
      appData: { peerId: 'b' },
    });
    return { send, recv, producer, consumer };
  }

  it('creates a transport with ICE-lite parameters, one 127.0.0.1 candidate and a sha-256 fingerprint', async () => {
    const t = await router.createWebRtcTransport({
      numStreams: NUM_STREAMS,
      appData: { peerId: 'p', direction: 'send' },
    });
    assert.equal(t.iceParameters.iceLite, true);
    assert.ok(t.iceParameters.usernameFragment && t.iceParameters.password);
    assert.equal(t.iceCandidates.length, 1);
    assert.equal(t.iceCandidates[0]!.ip, '127.0.0.1');
    assert.equal(t.iceCandidates[0]!.protocol, 'udp');
    assert.ok(t.dtlsParameters.fingerprints.some((f) => f.algorithm === 'sha-256'));
    assert.deepEqual(t.sctpParameters, { port: 5000, OS: 1024, MIS: 1024, maxMessageSize: 262_144 });
    assert.equal(engine.counts.transports, 1);
    t.close();
    assert.equal(engine.counts.transports, 0);
  });

  it("forwards a producer's RTP to a consumer with its own SSRC, payload type, sequence numbers and MID", async () => {
    const { send, recv, consumer } = await relay('audio', opusParameters(1111));
    const received: RtpPacket[] = [];
    recv.client.onRtp((p) => received.push(p));
    for (let i = 0; i < 20; i++) {
      send.client.sendRtp(
        rtpHeader({ ssrc: 1111, payloadType: 111, seq: 60_000 + i, timestamp: i * 960, mid: '0' }),
        OPUS_FRAME,
      );
    }
    await eventually(() => received.length >= 18, 'forwarded RTP packets');
    const first = received[0]!.header;
    assert.equal(first.ssrc, consumer.ssrc);
    assert.notEqual(first.ssrc, 1111);
    assert.equal(first.payloadType, 100);
    const mid = first.extensions.find((e) => e.id === 1);
    assert.equal(mid?.payload.toString(), consumer.rtpParameters.mid);
    const seqs = received.map((p) => p.header.sequenceNumber);
    for (let i = 1; i < seqs.length; i++) assert.equal((seqs[i]! - seqs[i - 1]!) & 0xffff, 1);
    assert.deepEqual(received[0]!.payload, OPUS_FRAME);
  });

  it("leaves no gap in a consumer's sequence numbers for padding it does not forward", async () => {
    const send = await connectedPair(router, 'send');
    const recv = await connectedPair(router, 'recv');
    clients.push(send.client, recv.client);
    const producer = send.transport.produce({
      kind: 'audio',
      rtpParameters: opusParameters(8888),
      appData: { peerId: 'a', mediaTag: 't', channelId: null },
    });
    recv.transport.consume({
      producerId: producer.id,
      rtpCapabilities: ROUTER_RTP_CAPABILITIES,
      appData: { peerId: 'b' },
    });
    const received: RtpPacket[] = [];
    recv.client.onRtp((p) => received.push(p));
    for (const [seq, payload] of [
      [10, OPUS_FRAME],
      [11, Buffer.alloc(0)],
      [12, Buffer.alloc(0)],
      [13, OPUS_FRAME],
    ] as const) {
      send.client.sendRtp(rtpHeader({ ssrc: 8888, payloadType: 111, seq, timestamp: seq * 960 }), payload);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await eventually(() => received.length === 2, 'the two packets with payload');
    assert.equal((received[1]!.header.sequenceNumber - received[0]!.header.sequenceNumber) & 0xffff, 1);
    assert.equal(received[1]!.header.timestamp, 13 * 960);
  });

  it('starts a video consumer at a keyframe, relays its PLI to the producer and sends the producer REMB', async () => {
    const send = await connectedPair(router, 'send');
    const recv = await connectedPair(router, 'recv');
    clients.push(send.client, recv.client);
    const producer = send.transport.produce({
      kind: 'video',
      rtpParameters: vp8Parameters(2222),
      appData: { peerId: 'a', mediaTag: 'v', channelId: null },
    });
    let plis = 0;
    const rembs: bigint[] = [];
    send.client.onRtcp((p) => {
      if (p instanceof RtcpPayloadSpecificFeedback && p.feedback instanceof PictureLossIndication) plis++;
      if (p instanceof RtcpPayloadSpecificFeedback && p.feedback instanceof ReceiverEstimatedMaxBitrate) {
        rembs.push(p.feedback.bitrate);
      }
    });
    recv.transport.consume({
      producerId: producer.id,
      rtpCapabilities: ROUTER_RTP_CAPABILITIES,
      appData: { peerId: 'b' },
    });
    const received: RtpPacket[] = [];
    recv.client.onRtp((p) => received.push(p));
    const delta = Buffer.from([0x10, 0x01, 0x01, 0x02]);
    send.client.sendRtp(rtpHeader({ ssrc: 2222, payloadType: 96, seq: 1, timestamp: 0, mid: '1' }), delta);
    await eventually(() => plis > 0, 'a PLI for the new consumer');
    send.client.sendRtp(rtpHeader({ ssrc: 2222, payloadType: 96, seq: 2, timestamp: 3000, mid: '1' }), VP8_KEYFRAME);
    await eventually(() => received.length > 0, 'the keyframe');
    assert.deepEqual(received[0]!.payload, VP8_KEYFRAME);
    assert.equal(received[0]!.header.payloadType, 101);
    await eventually(() => rembs.length > 0, 'a REMB for the video sender');
    assert.ok(rembs[0]! >= 1_000_000n, `REMB of ${rembs[0]} bit/s`);
  });

  it("NACKs a gap in a video producer's sequence numbers", async () => {
    const send = await connectedPair(router, 'send');
    clients.push(send.client);
    const params = vp8Parameters(6666);
    params.codecs[0]!.rtcpFeedback = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] as never;
    send.transport.produce({
      kind: 'video',
      rtpParameters: params,
      appData: { peerId: 'a', mediaTag: 'v', channelId: null },
    });
    const nacked: number[][] = [];
    send.client.onRtcp((p) => {
      if (p instanceof RtcpTransportLayerFeedback && p.feedback instanceof GenericNack) nacked.push(p.feedback.lost);
    });
    for (const seq of [65_533, 65_534, 1]) {
      send.client.sendRtp(rtpHeader({ ssrc: 6666, payloadType: 96, seq, timestamp: seq * 3000 }), VP8_KEYFRAME);
      // One packet per turn of the event loop keeps them in order on the wire.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await eventually(() => nacked.length > 0, 'a NACK for the gap');
    assert.deepEqual(nacked[0], [65_535, 0]);
  });

  it('retransmits what a consumer NACKs and sends it sender reports', async () => {
    const { send, recv, consumer } = await relay('audio', opusParameters(5555));
    const seqs: number[] = [];
    recv.client.onRtp((p) => seqs.push(p.header.sequenceNumber));
    let reports = 0;
    recv.client.onRtcp((p) => {
      if (p instanceof RtcpSrPacket && p.ssrc === consumer.ssrc) reports++;
    });
    for (let i = 0; i < 5; i++) {
      send.client.sendRtp(rtpHeader({ ssrc: 5555, payloadType: 111, seq: i, timestamp: i * 960 }), OPUS_FRAME);
    }
    await eventually(() => seqs.length === 5, 'the five packets');
    const lost = seqs[2]!;
    recv.client.sendRtcp([
      new RtcpTransportLayerFeedback({
        feedback: new GenericNack({ senderSsrc: 1, mediaSourceSsrc: consumer.ssrc, lost: [lost] }),
      }),
    ]);
    await eventually(() => seqs.length === 6, 'the retransmission');
    assert.equal(seqs[5], lost);
    await eventually(() => reports > 0, 'a sender report for the consumer stream');
  });

  it("unwraps a producer's RTX retransmissions and retransmits to a consumer over its RTX stream", async () => {
    const params = vp8Parameters(9001);
    params.codecs.push({ mimeType: 'video/rtx', payloadType: 97, clockRate: 90000, parameters: { apt: 96 } } as never);
    params.encodings = [{ ssrc: 9001, rtx: { ssrc: 9002 } } as never];
    const { send, recv, consumer } = await relay('video', params);
    const rtx = consumer.rtpParameters.encodings![0]!.rtx!;
    assert.deepEqual(consumer.rtpParameters.codecs[1], {
      mimeType: 'video/rtx',
      payloadType: 102,
      clockRate: 90000,
      parameters: { apt: 101 },
      rtcpFeedback: [],
    });
    const received: RtpPacket[] = [];
    recv.client.onRtp((p) => received.push(p));
    send.client.sendRtp(rtpHeader({ ssrc: 9001, payloadType: 96, seq: 1, timestamp: 0 }), VP8_KEYFRAME);
    await eventually(() => received.length === 1, 'the keyframe');
    const delta = Buffer.from([0x10, 0x01, 0x07]);
    send.client.sendRtp(
      rtpHeader({ ssrc: 9002, payloadType: 97, seq: 500, timestamp: 3000 }),
      Buffer.concat([Buffer.from([0x00, 0x05]), delta]),
    );
    await eventually(() => received.length === 2, 'the unwrapped retransmission');
    const [first, second] = received as [RtpPacket, RtpPacket];
    assert.equal(second.header.ssrc, consumer.ssrc);
    assert.equal(second.header.payloadType, 101);
    assert.equal((second.header.sequenceNumber - first.header.sequenceNumber) & 0xffff, 4);
    assert.deepEqual(second.payload, delta);

    recv.client.sendRtcp([
      new RtcpTransportLayerFeedback({
        feedback: new GenericNack({
          senderSsrc: 1,
          mediaSourceSsrc: consumer.ssrc,
          lost: [first.header.sequenceNumber],
        }),
      }),
    ]);
    await eventually(() => received.length === 3, 'the retransmission over RTX');
    const resent = received[2]!;
    assert.equal(resent.header.ssrc, rtx.ssrc);
    assert.equal(resent.header.payloadType, 102);
    assert.equal(resent.payload.readUInt16BE(0), first.header.sequenceNumber);
    assert.deepEqual(resent.payload.subarray(2), VP8_KEYFRAME);
  });

  it('carries data both ways on negotiated SCTP streams', async () => {
    const send = await connectedPair(router, 'send');
    const recv = await connectedPair(router, 'recv');
    clients.push(send.client, recv.client);
    const dataProducer = send.transport.produceData({
      label: 'chan',
      sctpStreamParameters: { streamId: 3, ordered: true },
    });
    const got: Buffer[] = [];
    dataProducer.onMessage = (b) => got.push(b);
    const out = send.client.channel(3, 'chan', true);
    await eventually(() => out.readyState === 'open', 'the client data channel to open');
    out.send(Buffer.from('hello'));
    await eventually(() => got.length === 1, 'the message at the data producer');
    assert.equal(got[0]!.toString(), 'hello');

    const dataConsumer = recv.transport.consumeData({ label: 'chan', ordered: false });
    assert.deepEqual(dataConsumer.sctpStreamParameters, { streamId: 0, ordered: false, maxRetransmits: 1 });
    const incoming = recv.client.channel(dataConsumer.sctpStreamParameters.streamId, 'chan', false);
    const seen: string[] = [];
    incoming.onMessage.subscribe((m) => seen.push(m.toString()));
    await eventually(() => incoming.readyState === 'open', 'the receiving data channel to open');
    await eventually(() => {
      dataConsumer.send(Buffer.from('back'));
      return seen.length > 0;
    }, 'the message at the client');
    assert.equal(seen[0], 'back');
  });

  it('closing a transport closes its producers, their consumers and its data endpoints; counts return to 0', async () => {
    const { send, recv, consumer } = await relay('audio', opusParameters(3333));
    send.transport.produceData({ label: 'chan', sctpStreamParameters: { streamId: 1 } });
    recv.transport.consumeData({ label: 'chan', ordered: true });
    let reason = '';
    consumer.onClose((r) => {
      reason = r;
    });
    assert.deepEqual(engine.counts, { transports: 2, producers: 1, consumers: 1, dataProducers: 1, dataConsumers: 1 });
    send.transport.close();
    assert.equal(reason, 'producer-closed');
    assert.deepEqual(engine.counts, { transports: 1, producers: 0, consumers: 0, dataProducers: 0, dataConsumers: 1 });
    router.close();
    assert.deepEqual(engine.counts, { transports: 0, producers: 0, consumers: 0, dataProducers: 0, dataConsumers: 0 });
  });

  it('closes a transport whose client presents another certificate than its fingerprint says', async () => {
    const transport = await router.createWebRtcTransport({
      numStreams: NUM_STREAMS,
      appData: { peerId: 'p', direction: 'send' },
    });
    const client = await transportClient(transport);
    clients.push(client);
    const wrong = client.dtlsParameters.fingerprints.map((f) => ({
      ...f,
      value: f.value.replace(/^../, f.value.startsWith('00') ? '11' : '00'),
    }));
    let reason = '';
    transport.onClose((r) => {
      reason = r;
    });
    transport.connect({ dtlsParameters: { role: 'client', fingerprints: wrong } });
    void client.start().catch(() => undefined);
    await eventually(() => transport.closed, 'the transport to close');
    assert.equal(reason, 'dtls-failed');
    assert.equal(engine.counts.transports, 0);
  });

  it('shrugs off garbage datagrams (STUN-, DTLS- and RTP-looking) and still connects', async () => {
    const transport = await router.createWebRtcTransport({
      numStreams: NUM_STREAMS,
      appData: { peerId: 'p', direction: 'send' },
    });
    const { ip, port } = transport.iceCandidates[0]!;
    const garbage = async () => {
      const socket = createSocket('udp4');
      for (const first of [0x00, 0x01, 0x16, 0x17, 0x80, 0x90, 0xc8, 0xff]) {
        for (let i = 0; i < 10; i++) {
          const datagram = randomBytes(1 + i * 37);
          datagram[0] = first;
          await new Promise<void>((resolve) => socket.send(datagram, port, ip, () => resolve()));
        }
      }
      socket.close();
    };
    await garbage();
    const client = await transportClient(transport);
    clients.push(client);
    transport.connect({ dtlsParameters: client.dtlsParameters });
    await client.start();
    await eventually(() => transport.connected, 'the transport to connect after the garbage');
    await garbage();
    const producer = transport.produce({
      kind: 'audio',
      rtpParameters: opusParameters(77),
      appData: { peerId: 'a', mediaTag: 't', channelId: null },
    });
    client.sendRtp(rtpHeader({ ssrc: 77, payloadType: 111, seq: 1, timestamp: 0 }), OPUS_FRAME);
    await eventually(() => producer.packetsForwarded > 0, 'RTP still arriving after more garbage');
    assert.equal(transport.closed, false);
  });

  it('closes a transport that is never connected after the timeout', async () => {
    const quick = new SfuEngine({ listenIp: '127.0.0.1', announcedAddress: '127.0.0.1', connectTimeoutMs: 200 });
    const t = await quick
      .createRouter()
      .createWebRtcTransport({ numStreams: NUM_STREAMS, appData: { peerId: 'p', direction: 'recv' } });
    await eventually(() => t.closed, 'the unconnected transport to close');
    assert.equal(quick.counts.transports, 0);
    quick.close();
  });
});
