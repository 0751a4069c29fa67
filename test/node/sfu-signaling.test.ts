/** The instance socket's media actions against a real server: transports, the host's data fan-out, producers and consumers, cleanup. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { decode, encode } from '@msgpack/msgpack';
import { RtcpRrPacket, type RtpPacket } from 'werift';
import { MediasoupAction as M, RELIABLE_DATA_CHANNEL, UNRELIABLE_DATA_CHANNEL } from '../../src/protocol/index.js';
import type { RunningServer } from '../../src/server/index.js';
import { ROUTER_RTP_CAPABILITIES } from '../../src/server/sfu/rtp-parameters.js';
import { eventually, guest, join, request, start } from './helpers.js';
import { OPUS_FRAME, rtpHeader } from './sfu-client.js';
import { opusProducer, SfuPeer, worldInstance } from './sfu-peer.js';

type Health = Record<string, number | string>;

describe('SFU signaling on the instance socket', () => {
  let server: RunningServer;
  const peers: SfuPeer[] = [];
  let instanceId = '';

  beforeEach(async () => {
    server = await start();
  });
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.close()));
    await server.close();
  });

  async function joinPeers(count: number): Promise<SfuPeer[]> {
    instanceId = await worldInstance(server, 'lobby');
    for (let i = 0; i < count; i++) peers.push(await SfuPeer.join(server, instanceId, 'lobby', `P${i}`));
    return peers.slice(-count);
  }

  const health = async () => (await request<Health>(`${server.apiUrl}/health`)).body;

  it('puts the router capabilities (Opus; VP8 and H264 with RTX) in the handshake', async () => {
    const [a] = await joinPeers(1);
    const caps = a!.joined.success.routerRtpCapabilities as typeof ROUTER_RTP_CAPABILITIES;
    assert.deepEqual(
      caps.codecs.map((c) => c.mimeType),
      ['audio/opus', 'video/VP8', 'video/rtx', 'video/H264', 'video/rtx'],
    );
  });

  it('fans data out as msgpack [fromPeerIndex, {ch, d}] to the other peers, only to `to` when given', async () => {
    const [a, b, c] = await joinPeers(3);
    const aSend = await a!.transport('send');
    const receivers = await Promise.all(
      [b!, c!].map(async (peer) => {
        const recv = await peer.transport('recv');
        const created = await peer.request({ type: M.DATA_REQUEST_CONSUMER, dataChannel: RELIABLE_DATA_CHANNEL }, [
          M.DATA_CREATED_CONSUMER,
          M.DATA_REQUEST_CONSUMER_ERROR,
        ]);
        assert.equal(created.type, M.DATA_CREATED_CONSUMER);
        assert.equal(created.dataChannel, RELIABLE_DATA_CHANNEL);
        assert.equal(created.transportID, recv.id);
        const stream = created.sctpStreamParameters as { streamId: number; ordered: boolean };
        assert.equal(stream.ordered, true);
        const channel = recv.client.channel(stream.streamId, RELIABLE_DATA_CHANNEL, true);
        const got: unknown[] = [];
        channel.onMessage.subscribe((m) => got.push(decode(Uint8Array.from(m as Buffer))));
        return got;
      }),
    );
    const produced = await a!.request(
      {
        type: M.DATA_REQUEST_PRODUCER,
        transportID: aSend.id,
        protocol: 'msgpack',
        sctpStreamParameters: { streamId: 1, ordered: true },
        dataChannel: RELIABLE_DATA_CHANNEL,
        appData: {},
      },
      [M.DATA_PRODUCER_CREATED, M.DATA_REQUEST_PRODUCER_ERROR],
    );
    assert.equal(produced.type, M.DATA_PRODUCER_CREATED);
    assert.ok(produced.producerID);
    const out = aSend.client.channel(1, RELIABLE_DATA_CHANNEL, true);
    await eventually(() => out.readyState === 'open', 'the data producer channel to open');
    const bytes = new Uint8Array([1, 2, 3]);
    out.send(Buffer.from(encode({ ch: 'chat', d: { text: 'hi', bytes } })));
    out.send(Buffer.from(encode({ ch: 'dm', d: 'only c', to: [c!.peerID] })));
    out.send(Buffer.from('not msgpack at all \xc1'));
    const [toB, toC] = receivers as [unknown[], unknown[]];
    await eventually(() => toC.length === 2, 'both messages at C');
    await eventually(() => toB.length === 1, 'the broadcast at B');
    const index = a!.joined.success.peerIndex;
    assert.deepEqual(toB[0], [index, { ch: 'chat', d: { text: 'hi', bytes } }]);
    assert.deepEqual(toC[1], [index, { ch: 'dm', d: 'only c' }]);
    assert.equal(toB.length, 1);
  });

  it('announces producers to all (cached for late joiners), consumes them with rewritten RTP, and closes consumers with the producer', async () => {
    const [a, b] = await joinPeers(2);
    const aSend = await a!.transport('send');
    const bRecv = await b!.transport('recv');
    const created = await a!.request(opusProducer(aSend.id, 4242), [
      M.MEDIA_PRODUCER_CREATED,
      M.MEDIA_CREATE_PRODUCER_ERROR,
    ]);
    assert.equal(created.type, M.MEDIA_PRODUCER_CREATED);
    assert.equal(created.peerID, a!.peerID);
    assert.equal(created.mediaTag, 'ee.core.webcamAudio.dataChannel');
    const producerID = created.producerID as string;
    await b!.waitForAction(M.MEDIA_PRODUCER_CREATED, (x) => x.producerID === producerID);

    const consumer = await b!.request(
      {
        type: M.MEDIA_REQUEST_CONSUMER,
        peerID: a!.peerID,
        mediaTag: 'ee.core.webcamAudio.dataChannel',
        rtpCapabilities: ROUTER_RTP_CAPABILITIES,
        channelID: null,
      },
      [M.MEDIA_CREATED_CONSUMER, M.MEDIA_REQUEST_CONSUMER_ERROR],
    );
    assert.equal(consumer.type, M.MEDIA_CREATED_CONSUMER);
    assert.equal(consumer.producerID, producerID);
    assert.equal(consumer.peerID, a!.peerID);
    assert.equal(consumer.kind, 'audio');
    assert.equal(consumer.consumerType, 'simple');
    assert.equal(consumer.transportID, bRecv.id);
    const rtp = consumer.rtpParameters as { encodings: { ssrc: number }[]; mid: string };
    const received: RtpPacket[] = [];
    bRecv.client.onRtp((p) => received.push(p));
    for (let i = 0; i < 10; i++) {
      aSend.client.sendRtp(
        rtpHeader({ ssrc: 4242, payloadType: 111, seq: i, timestamp: i * 960, mid: '0' }),
        OPUS_FRAME,
      );
    }
    await eventually(() => received.length >= 8, 'RTP at the consumer');
    assert.equal(received[0]!.header.ssrc, rtp.encodings[0]!.ssrc);
    assert.equal(received[0]!.header.payloadType, 100);

    const late = await SfuPeer.join(server, instanceId, 'lobby', 'Late');
    peers.push(late);
    assert.ok(
      late.joined.success.cachedActions.some((x) => x.type === M.MEDIA_PRODUCER_CREATED && x.producerID === producerID),
    );

    a!.send({ type: M.MEDIA_CLOSED_PRODUCER, producerID }, 'all');
    const closed = await b!.waitForAction(M.MEDIA_CLOSED_CONSUMER);
    assert.equal(closed.consumerID, consumer.consumerID);
    await b!.waitForAction(M.MEDIA_CLOSED_PRODUCER, (x) => x.producerID === producerID);
    assert.equal((await health()).producers, 0);
  });

  it('pauses producers and consumers; late joiners get the latest pause state of each producer only', async () => {
    const [a, b] = await joinPeers(2);
    const aSend = await a!.transport('send');
    const bRecv = await b!.transport('recv');
    const { producerID } = await a!.request(opusProducer(aSend.id, 515), [M.MEDIA_PRODUCER_CREATED]);
    const consumer = await b!.request(
      {
        type: M.MEDIA_REQUEST_CONSUMER,
        peerID: a!.peerID,
        mediaTag: 'ee.core.webcamAudio.dataChannel',
        rtpCapabilities: ROUTER_RTP_CAPABILITIES,
      },
      [M.MEDIA_CREATED_CONSUMER],
    );
    assert.equal(consumer.paused, false);
    assert.equal(consumer.producerPaused, false);
    const timestamps: number[] = [];
    bRecv.client.onRtp((p) => timestamps.push(p.header.timestamp));
    // The server's receiver reports tell A how far its packets got.
    let reported = -1;
    aSend.client.onRtcp((p) => {
      if (p instanceof RtcpRrPacket) reported = Math.max(reported, ...p.reports.map((r) => r.highestSequence));
    });
    let seq = 0;
    const burst = () => {
      for (let i = 0; i < 5; i++, seq++) {
        aSend.client.sendRtp(rtpHeader({ ssrc: 515, payloadType: 111, seq, timestamp: seq * 960 }), OPUS_FRAME);
      }
      return seq - 1;
    };
    a!.send({ type: M.MEDIA_PRODUCER_PAUSED, producerID, paused: true, globalMute: false }, 'all');
    a!.send({ type: M.MEDIA_PRODUCER_PAUSED, producerID, paused: false, globalMute: false }, 'all');
    a!.send({ type: M.MEDIA_PRODUCER_PAUSED, producerID, paused: true, globalMute: false }, 'all');
    await b!.waitForAction(M.MEDIA_PRODUCER_PAUSED, (x) => x.producerID === producerID);
    const late = await SfuPeer.join(server, instanceId, 'lobby', 'Late');
    peers.push(late);
    const paused = late.joined.success.cachedActions.filter((x) => x.type === M.MEDIA_PRODUCER_PAUSED);
    assert.equal(paused.length, 1);
    assert.equal(paused[0]!.paused, true);
    const whilePaused = burst();
    await eventually(() => reported >= whilePaused, 'the server to receive the packets sent while paused');
    a!.send({ type: M.MEDIA_PRODUCER_PAUSED, producerID, paused: false, globalMute: false }, 'all');
    await late.waitForAction(M.MEDIA_PRODUCER_PAUSED, (x) => x.paused === false);
    burst();
    await eventually(() => timestamps.length === 5, 'packets after resume');
    assert.ok(
      timestamps.every((t) => t >= 5 * 960),
      'nothing sent while paused was forwarded',
    );
    b!.send({ type: M.MEDIA_CONSUMER_PAUSED, consumerID: consumer.consumerID, paused: true });
    b!.send({ type: M.MEDIA_CLOSED_CONSUMER, consumerID: 'not-mine' });
    // Actions are handled in order: this reply means the consumer is paused.
    await b!.request({ type: M.DATA_REQUEST_CONSUMER, dataChannel: RELIABLE_DATA_CHANNEL }, [M.DATA_CREATED_CONSUMER]);
    const whileConsumerPaused = burst();
    await eventually(
      () => reported >= whileConsumerPaused,
      'the server to receive the packets for the paused consumer',
    );
    b!.send({ type: M.MEDIA_CONSUMER_PAUSED, consumerID: consumer.consumerID, paused: false });
    await b!.request({ type: M.DATA_REQUEST_CONSUMER, dataChannel: UNRELIABLE_DATA_CHANNEL }, [
      M.DATA_CREATED_CONSUMER,
    ]);
    burst();
    await eventually(() => timestamps.length === 10, 'packets after the consumer resumed');
    assert.ok(
      timestamps.slice(5).every((t) => t >= 15 * 960),
      'nothing was forwarded to the paused consumer',
    );
  });

  it('closes what a socket made when a newer socket of the same peer replaces it', async () => {
    instanceId = await worldInstance(server, 'lobby');
    const { accessToken } = await guest(server, 'Twice');
    const first = new SfuPeer(await join(server, accessToken, { instanceId, locationId: 'lobby' }));
    peers.push(first);
    await first.transport('send');
    assert.equal((await health()).transports, 1);
    const again = new SfuPeer(
      await join(server, accessToken, { instanceId, locationId: 'lobby', peerID: first.peerID }),
    );
    peers.push(again);
    await eventually(async () => (await health()).transports === 0, "the replaced socket's transport to close");
    await again.transport('recv');
    assert.equal((await health()).transports, 1);
  });

  it('closes everything a peer made when its socket goes; the health counts return to 0', async () => {
    const [a, b] = await joinPeers(2);
    const aSend = await a!.transport('send');
    await a!.transport('recv');
    await b!.transport('recv');
    await a!.request(opusProducer(aSend.id, 777), [M.MEDIA_PRODUCER_CREATED]);
    await b!.request(
      {
        type: M.MEDIA_REQUEST_CONSUMER,
        peerID: a!.peerID,
        mediaTag: 'ee.core.webcamAudio.dataChannel',
        rtpCapabilities: ROUTER_RTP_CAPABILITIES,
      },
      [M.MEDIA_CREATED_CONSUMER],
    );
    await b!.request({ type: M.DATA_REQUEST_CONSUMER, dataChannel: UNRELIABLE_DATA_CHANNEL }, [
      M.DATA_CREATED_CONSUMER,
    ]);
    const before = await health();
    assert.deepEqual([before.transports, before.producers, before.consumers, before.dataConsumers], [3, 1, 1, 1]);
    await a!.close();
    await b!.waitForAction(M.MEDIA_CLOSED_CONSUMER);
    await eventually(async () => (await health()).transports === 1, "A's transports to close");
    await b!.close();
    await eventually(async () => {
      const h = await health();
      return (
        h.transports === 0 && h.producers === 0 && h.consumers === 0 && h.dataProducers === 0 && h.dataConsumers === 0
      );
    }, 'every count back to 0');
  });
});
