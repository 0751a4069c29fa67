/** Bad media actions get the right error reply (or a closed transport), never a crash and never an effect on another peer. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encode } from '@msgpack/msgpack';
import { MediasoupAction as M, MAX_DATA_MESSAGE_BYTES, RELIABLE_DATA_CHANNEL } from '../../src/protocol/index.js';
import type { RunningServer } from '../../src/server/index.js';
import { MEDIA_LIMITS } from '../../src/server/instance/media-signaling.js';
import { ROUTER_RTP_CAPABILITIES } from '../../src/server/sfu/rtp-parameters.js';
import { eventually, request, start } from './helpers.js';
import { transportClient } from './sfu-client.js';
import { SfuPeer, worldInstance } from './sfu-peer.js';

const TAG = 'ee.core.webcamAudio.dataChannel';
const opus = (ssrc: number) => ({
  codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
  encodings: [{ ssrc }],
});

describe('SFU signaling with bad input', () => {
  let server: RunningServer;
  let a: SfuPeer;
  let b: SfuPeer;
  let aSend: string;
  let aRecv: string;

  before(async () => {
    server = await start({ rtcConnectTimeoutMs: 1500 });
    const instanceId = await worldInstance(server, 'bad');
    a = await SfuPeer.join(server, instanceId, 'bad', 'A');
    b = await SfuPeer.join(server, instanceId, 'bad', 'B');
    aSend = (await a.transport('send')).id;
    aRecv = (await a.transport('recv')).id;
  });
  after(async () => {
    await a.close();
    await b.close();
    await server.close();
  });

  const create = (peer: SfuPeer, fields: Record<string, unknown>) =>
    peer.request({ type: M.TRANSPORT_REQUEST_CREATE, ...fields }, [
      M.TRANSPORT_CREATED,
      M.TRANSPORT_REQUEST_ERROR_CREATE,
    ]);
  const produce = (peer: SfuPeer, fields: Record<string, unknown>) =>
    peer.request({ type: M.MEDIA_CREATE_PRODUCER, kind: 'audio', appData: { mediaTag: TAG }, ...fields }, [
      M.MEDIA_PRODUCER_CREATED,
      M.MEDIA_CREATE_PRODUCER_ERROR,
    ]);
  const connect = (peer: SfuPeer, fields: Record<string, unknown>) =>
    peer.request({ type: M.TRANSPORT_REQUEST_CONNECT, ...fields }, [
      M.TRANSPORT_CONNECTED,
      M.TRANSPORT_REQUEST_ERROR_CONNECT,
    ]);

  it('refuses a transport request without a valid direction', async () => {
    const reply = await create(a, { direction: 'sideways' });
    assert.equal(reply.type, M.TRANSPORT_REQUEST_ERROR_CREATE);
    assert.equal(reply.error, 'INVALID_ARGUMENT');
  });

  it("refuses to connect an unknown transport, another peer's, or one with a malformed fingerprint", async () => {
    const fingerprints = [{ algorithm: 'sha-256', value: 'AB:CD' }];
    const unknown = await connect(a, { transportID: 'nope', dtlsParameters: { role: 'client', fingerprints } });
    assert.equal(unknown.type, M.TRANSPORT_REQUEST_ERROR_CONNECT);
    assert.equal(unknown.error, 'NOT_FOUND');
    const others = await connect(b, { transportID: aSend, dtlsParameters: { role: 'client', fingerprints } });
    assert.equal(others.error, 'NOT_FOUND');
    const twice = await connect(a, { transportID: aSend, dtlsParameters: { role: 'client', fingerprints } });
    assert.equal(twice.error, 'INVALID_STATE');
    const created = await create(b, { direction: 'send' });
    const garbage = await connect(b, {
      transportID: created.transportID,
      dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: 'not hex' }] },
    });
    assert.equal(garbage.error, 'INVALID_ARGUMENT');
    const noFingerprint = await connect(b, { transportID: created.transportID, dtlsParameters: { fingerprints: [] } });
    assert.equal(noFingerprint.error, 'INVALID_ARGUMENT');
  });

  it('closes a transport whose DTLS certificate does not match the fingerprint', async () => {
    const created = await create(b, { direction: 'recv' });
    const client = await transportClient(created as never);
    const wrong = client.dtlsParameters.fingerprints.map((f) => ({
      ...f,
      value:
        f.value.replace(/^..:/, '00:') === f.value ? f.value.replace(/^..:/, '11:') : f.value.replace(/^..:/, '00:'),
    }));
    const reply = await connect(b, {
      transportID: created.transportID,
      dtlsParameters: { role: 'client', fingerprints: wrong },
    });
    assert.equal(reply.type, M.TRANSPORT_CONNECTED);
    void client.start().catch(() => undefined);
    const consume = () =>
      b.request({ type: M.DATA_REQUEST_CONSUMER, dataChannel: RELIABLE_DATA_CHANNEL }, [
        M.DATA_CREATED_CONSUMER,
        M.DATA_REQUEST_CONSUMER_ERROR,
      ]);
    // Once closed, the transport is gone: B has no recv transport left to consume on.
    await eventually(async () => (await consume()).type === M.DATA_REQUEST_CONSUMER_ERROR, 'the transport to close');
    await client.close();
  });

  it('closes a transport that is never connected', async () => {
    const created = await create(b, { direction: 'send' });
    await eventually(
      async () => {
        const reply = await produce(b, { transportID: created.transportID, rtpParameters: opus(9) });
        return reply.type === M.MEDIA_CREATE_PRODUCER_ERROR && reply.error === 'NOT_FOUND';
      },
      'the unconnected transport to close',
      6000,
    );
  });

  it('refuses producers with bad parameters, on the wrong direction, on unknown transports, past the limit', async () => {
    const video = await produce(a, { transportID: aSend, kind: 'video', rtpParameters: opus(1) });
    assert.equal(video.error, 'UNSUPPORTED');
    const h264 = await produce(a, {
      transportID: aSend,
      kind: 'video',
      rtpParameters: {
        codecs: [{ mimeType: 'video/H265', payloadType: 96, clockRate: 90000 }],
        encodings: [{ ssrc: 2 }],
      },
    });
    assert.equal(h264.error, 'UNSUPPORTED');
    const noSsrc = await produce(a, { transportID: aSend, rtpParameters: { codecs: opus(3).codecs } });
    assert.equal(noSsrc.error, 'UNSUPPORTED');
    const garbage = await produce(a, { transportID: aSend, rtpParameters: 'lots' });
    assert.equal(garbage.error, 'INVALID_ARGUMENT');
    const wrongWay = await produce(a, { transportID: aRecv, rtpParameters: opus(4) });
    assert.equal(wrongWay.error, 'WRONG_DIRECTION');
    const unknown = await produce(a, { transportID: 'nope', rtpParameters: opus(5) });
    assert.equal(unknown.error, 'NOT_FOUND');
    const others = await produce(b, { transportID: aSend, rtpParameters: opus(6) });
    assert.equal(others.error, 'NOT_FOUND');
    for (let i = 0; i < MEDIA_LIMITS.producersPerTransport; i++) {
      const ok = await produce(a, {
        transportID: aSend,
        rtpParameters: opus(100 + i),
        appData: { mediaTag: `tag-${i}` },
      });
      assert.equal(ok.type, M.MEDIA_PRODUCER_CREATED);
    }
    const over = await produce(a, { transportID: aSend, rtpParameters: opus(200), appData: { mediaTag: 'one-more' } });
    assert.equal(over.error, 'LIMIT_REACHED');
  });

  it('refuses consumers of unknown producers, without a recv transport, or with capabilities that cannot consume', async () => {
    const consume = (peer: SfuPeer, fields: Record<string, unknown>) =>
      peer.request({ type: M.MEDIA_REQUEST_CONSUMER, ...fields }, [
        M.MEDIA_CREATED_CONSUMER,
        M.MEDIA_REQUEST_CONSUMER_ERROR,
      ]);
    const unknown = await consume(a, { peerID: b.peerID, mediaTag: TAG, rtpCapabilities: ROUTER_RTP_CAPABILITIES });
    assert.equal(unknown.type, M.MEDIA_REQUEST_CONSUMER_ERROR);
    assert.equal(unknown.error, 'NOT_FOUND');
    assert.equal(unknown.peerID, b.peerID);
    assert.equal(unknown.mediaTag, TAG);
    const incapable = await consume(a, { peerID: a.peerID, mediaTag: 'tag-0', rtpCapabilities: { codecs: [] } });
    assert.equal(incapable.error, 'UNSUPPORTED');
    const noRecv = await consume(b, { peerID: a.peerID, mediaTag: 'tag-0', rtpCapabilities: ROUTER_RTP_CAPABILITIES });
    assert.equal(noRecv.error, 'INVALID_STATE');
    const garbage = await consume(a, { peerID: 7 });
    assert.equal(garbage.error, 'INVALID_ARGUMENT');
  });

  it('refuses data producers and consumers it cannot make', async () => {
    const produceData = (fields: Record<string, unknown>) =>
      a.request({ type: M.DATA_REQUEST_PRODUCER, dataChannel: RELIABLE_DATA_CHANNEL, ...fields }, [
        M.DATA_PRODUCER_CREATED,
        M.DATA_REQUEST_PRODUCER_ERROR,
      ]);
    assert.equal(
      (await produceData({ transportID: aRecv, sctpStreamParameters: { streamId: 1 } })).error,
      'WRONG_DIRECTION',
    );
    assert.equal(
      (await produceData({ transportID: aSend, sctpStreamParameters: { streamId: 99_999 } })).error,
      'INVALID_ARGUMENT',
    );
    assert.equal(
      (await produceData({ transportID: aSend, sctpStreamParameters: { streamId: 2000 } })).error,
      'INVALID_ARGUMENT',
    );
    assert.equal(
      (await produceData({ transportID: aSend, sctpStreamParameters: { streamId: 5 } })).type,
      M.DATA_PRODUCER_CREATED,
    );
    assert.equal(
      (await produceData({ transportID: aSend, sctpStreamParameters: { streamId: 5 } })).error,
      'INVALID_ARGUMENT',
    );
    const consumer = await a.request({ type: M.DATA_REQUEST_CONSUMER, dataChannel: 'made.up' }, [
      M.DATA_CREATED_CONSUMER,
      M.DATA_REQUEST_CONSUMER_ERROR,
    ]);
    assert.equal(consumer.error, 'NOT_FOUND');
    assert.equal(consumer.dataChannel, 'made.up');
  });

  it('drops oversized and malformed data messages without disturbing anyone', async () => {
    const send = [...a.transports.values()].find((t) => t.info.direction === 'send')!.client;
    const channel = send.channel(5, RELIABLE_DATA_CHANNEL, true);
    await eventually(() => channel.readyState === 'open', 'the data channel to open');
    channel.send(Buffer.alloc(MAX_DATA_MESSAGE_BYTES + 10));
    channel.send(Buffer.from(encode({ ch: 42 })));
    channel.send(Buffer.from([0xc1]));
    a.send({ type: `${M.MEDIA_CONSUMER_PAUSED}`, consumerID: 'nope', paused: true });
    a.send({ type: M.MEDIA_CLOSED_PRODUCER, producerID: 'not-mine' }, 'all');
    a.send({ type: M.TRANSPORT_CREATED, transportID: 'forged' }, 'all');
    const health = await request<Record<string, unknown>>(`${server.apiUrl}/health`);
    assert.equal(health.status, 200);
    assert.ok(!b.joined.socket.hasAction(M.MEDIA_CLOSED_PRODUCER, (x) => x.producerID === 'not-mine'));
    assert.ok(!b.joined.socket.hasAction(M.TRANSPORT_CREATED, (x) => x.transportID === 'forged'));
    const still = await create(b, { direction: 'recv' });
    assert.equal(still.type, M.TRANSPORT_CREATED);
  });

  it('refuses more transports than a peer may have', async () => {
    const replies = await Promise.all(
      Array.from({ length: MEDIA_LIMITS.transportsPerPeer + 1 }, () => create(a, { direction: 'recv' })),
    );
    assert.ok(replies.some((r) => r.type === M.TRANSPORT_REQUEST_ERROR_CREATE && r.error === 'LIMIT_REACHED'));
    assert.equal(replies.find((r) => r.type === M.TRANSPORT_REQUEST_ERROR_CREATE)?.direction, 'recv');
  });
});
