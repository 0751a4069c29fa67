/**
 * Fuzz (fast-check) of the instance socket: frames in the handshake and after it (arbitrary JSON,
 * non-arrays, huge and deep values, bad action fields, mediasoup actions with garbage payloads).
 * The server answers or closes with a reason, never crashes, and a peer in the same instance sees
 * no spoofed `$peer`, no change to its own presence, and keeps getting heartbeats. `FUZZ_RUNS`
 * sets the suite's total (default 10,000; this file takes 35%); `FUZZ_SEED` replays a run.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ActionType, MediasoupAction } from '../../src/protocol/index.js';
import type { RunningServer } from '../../src/server/index.js';
import {
  closeMessage,
  guest,
  type Joined,
  join,
  provisionOk,
  rawSocket,
  request,
  start,
  type TestSocket,
  UNLIMITED,
} from './helpers.js';

const TOTAL = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const runs = (share: number) => Math.max(1, Math.round(TOTAL * share));

const CLOSE_REASONS = ['PROTOCOL_ERROR', 'INSTANCE_ENDED', 'KICKED', 'REPLACED'];
const FAIL_CODES = ['MISSING_ACCESS_TOKEN', 'USER_NOT_FOUND', 'USER_NOT_AUTHORIZED', 'INSTANCE_FULL'];

type Frame = Record<string, unknown> | unknown[];

function isAction(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'type' in value;
}

describe('fuzz: instance socket frames', () => {
  let server: RunningServer;
  let token = '';
  let target = { instanceId: '', locationId: 'fuzz' };
  let observer: Joined;
  /** peerIDs the fuzz sockets used: the only senders (besides the host) the observer may see. */
  const fuzzPeers = new Set<string>();
  const sockets: TestSocket[] = [];
  /** How many of the observer's messages were already checked. */
  let checked = 0;

  before(async () => {
    server = await start({
      // Limits would turn most cases into 429s; the fuzz wants them to reach the code behind.
      ...UNLIMITED,
      config: { locations: { fuzz: { maxUsersPerInstance: 10_000 } } },
    });
    token = (await guest(server, 'Fuzzer')).accessToken;
    const instance = await provisionOk(server, { locationId: 'fuzz', token });
    target = { instanceId: instance.id, locationId: 'fuzz' };
    observer = await join(server, (await guest(server, 'Observer')).accessToken, target);
    sockets.push(observer.socket);
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    await server.close();
  });

  /** What the observer may see: host presence, and actions whose `$peer` is their real sender. */
  function assertObserverUntouched(label: string): void {
    const self = observer.socket.peerID;
    const host = observer.success.hostPeerID;
    assert.equal(observer.socket.isEnded, false, `${label}: the observer's socket was closed`);
    for (const message of observer.socket.messages.slice(checked)) {
      checked++;
      if (!Array.isArray(message)) continue;
      for (const action of message) {
        assert.ok(isAction(action), `${label}: a non-action reached the observer: ${JSON.stringify(action)}`);
        const from = action.$peer;
        assert.ok(
          from === host || (typeof from === 'string' && fuzzPeers.has(from)),
          `${label}: an action with $peer ${JSON.stringify(from)} reached the observer: ${JSON.stringify(action).slice(0, 300)}`,
        );
        if (action.type === ActionType.PEER_JOINED || action.type === ActionType.PEER_LEFT) {
          assert.equal(from, host, `${label}: presence not from the host: ${JSON.stringify(action).slice(0, 300)}`);
          assert.notEqual(action.peerID, self, `${label}: the observer was announced as joined or left`);
        }
      }
    }
  }

  const peerIdLike = () =>
    fc.oneof(
      fc.constant(null).map(() => observer.socket.peerID),
      fc.constant(null).map(() => observer.success.hostPeerID),
      fc.uuid().map(String),
      fc.string({ maxLength: 20 }),
      fc.constantFrom('all', '', 'server'),
    );
  const garbage = () =>
    fc.oneof(
      { depthSize: 'small' },
      fc.jsonValue({ maxDepth: 3 }),
      peerIdLike(),
      fc.constantFrom(-1, 0, 1e308, 2 ** 53, 'send', 'recv', 'audio', 'video', true, null),
    );
  /** Valid-typed values with a rare wrong one. */
  const mostly = <T>(valid: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 30, arbitrary: valid as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: garbage() });
  const mediaType = () => fc.constantFrom(...Object.values(MediasoupAction));
  const action = () =>
    fc.record(
      {
        type: fc.oneof(
          { weight: 20, arbitrary: mediaType() },
          { weight: 5, arbitrary: fc.constantFrom(ActionType.PEER_JOINED, ActionType.PEER_LEFT, 'app.move') },
          { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) },
          { weight: 1, arbitrary: fc.oneof(fc.constantFrom('', 'x'.repeat(300)), garbage()) },
        ),
        // Routing fields of the wrong type close the socket (the frame schema refuses them); mostly
        // well-typed values let the frame reach routing and the media host.
        $peer: mostly(peerIdLike()),
        $to: mostly(fc.oneof(peerIdLike(), fc.array(peerIdLike(), { maxLength: 4 }))),
        $cache: mostly(fc.oneof(fc.boolean(), fc.constant({ removePrevious: true }))),
        $time: mostly(fc.integer()),
        $network: mostly(fc.string({ maxLength: 20 })),
        $topic: mostly(fc.constantFrom('world', 'media', '')),
        $uuid: mostly(fc.uuid().map(String)),
        requestID: fc.oneof(fc.string({ maxLength: 10 }), garbage()),
        peerID: peerIdLike(),
        userID: garbage(),
        peerIndex: garbage(),
        transportID: fc.oneof(
          { weight: 2, arbitrary: fc.constant(null).map(() => fuzzerTransports[0] ?? 'none') },
          { weight: 1, arbitrary: fc.constant(null).map(() => fuzzerTransports[1] ?? 'none') },
          garbage(),
        ),
        producerID: garbage(),
        consumerID: garbage(),
        dataProducerID: garbage(),
        direction: garbage(),
        kind: fc.oneof(fc.constantFrom('audio', 'video'), garbage()),
        mediaTag: garbage(),
        paused: garbage(),
        dtlsParameters: garbage(),
        rtpParameters: fc.oneof(
          fc.integer({ min: 1, max: 2 ** 32 - 1 }).map((ssrc) => ({
            codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
            encodings: [{ ssrc }],
          })),
          garbage(),
        ),
        rtpCapabilities: garbage(),
        sctpCapabilities: fc.oneof(fc.constant({ numStreams: { OS: 1024, MIS: 1024 } }), garbage()),
        sctpStreamParameters: garbage(),
        appData: fc.oneof(fc.record({ mediaTag: fc.constantFrom('cam-audio', 'screen-audio', '') }), garbage()),
        label: garbage(),
        protocol: garbage(),
      },
      { requiredKeys: ['type'] },
    );
  /** A media request with every field its type needs, mostly well-formed, naming real transports and producers. */
  const mediaRequest = () =>
    fc.record({
      type: mediaType(),
      requestID: fc.string({ maxLength: 10 }),
      transportID: fc.oneof(
        { weight: 3, arbitrary: fc.constant(null).map(() => fuzzerTransports[0] ?? 'none') },
        { weight: 2, arbitrary: fc.constant(null).map(() => fuzzerTransports[1] ?? 'none') },
        { weight: 1, arbitrary: garbage() },
      ),
      producerID: fc.oneof(
        fc.constant(null).map(() => lastOwn('producerID')),
        garbage(),
      ),
      consumerID: fc.oneof(
        fc.constant(null).map(() => lastOwn('consumerID')),
        garbage(),
      ),
      direction: mostly(fc.constantFrom('send', 'recv')),
      kind: mostly(fc.constantFrom('audio', 'audio', 'video')),
      paused: mostly(fc.boolean()),
      rtpParameters: mostly(
        fc.integer({ min: 1, max: 2 ** 32 - 1 }).map((ssrc) => ({
          codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
          encodings: [{ ssrc }],
        })),
      ),
      dtlsParameters: mostly(fc.constant({ role: 'client', fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD' }] })),
      appData: mostly(fc.record({ mediaTag: fc.constantFrom('cam-audio', 'screen-audio', 'mic') })),
      peerID: peerIdLike(),
      mediaTag: mostly(fc.constantFrom('cam-audio', 'screen-audio', 'mic')),
      rtpCapabilities: fc.oneof(
        fc.constant(null).map(() => observer.success.routerRtpCapabilities),
        garbage(),
      ),
      sctpStreamParameters: mostly(fc.constant({ streamId: 7, ordered: true })),
      label: fc.oneof(fc.string({ maxLength: 10 }), garbage()),
      $to: fc.constant(null).map(() => observer.success.hostPeerID),
    });
  /** The latest id the host handed the fuzz socket under `field` (a producer, a consumer). */
  function lastOwn(field: string): string {
    const messages = fuzzer?.socket.messages ?? [];
    for (let i = messages.length - 1; i >= 0; i--) {
      const message = messages[i];
      if (!Array.isArray(message)) continue;
      for (const a of message) {
        const value = (a as Record<string, unknown>)[field];
        if (typeof value === 'string') return value;
      }
    }
    return 'none';
  }
  const frame = (): fc.Arbitrary<unknown> =>
    fc.oneof(
      { weight: 30, arbitrary: fc.array(fc.oneof(action(), mediaRequest()), { maxLength: 4 }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
      { weight: 1, arbitrary: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          Array.from({ length: 300 }, () => ({ type: 'app.many' })),
          [{ type: 'app.big', data: 'x'.repeat(100 * 1024) }],
          [{ type: 'app.deep', data: JSON.parse(`${'['.repeat(2000)}${']'.repeat(2000)}`) as unknown }],
          [{ type: 'app.too-big', data: 'x'.repeat(200 * 1024) }],
          { accessToken: token, peerID: randomUUID() },
        ),
      },
    );

  /** A joined fuzz socket, replaced when the server closes it (which it may, with a reason). */
  let fuzzer: Joined | null = null;
  let syncs = 0;

  /** The current fuzz socket's real transports (send, recv), so fuzzed requests can name them. */
  let fuzzerTransports: string[] = [];

  async function currentFuzzer(): Promise<Joined> {
    if (fuzzer && !fuzzer.socket.isEnded) return fuzzer;
    fuzzer = await join(server, token, target);
    fuzzPeers.add(fuzzer.socket.peerID);
    sockets.push(fuzzer.socket);
    fuzzerTransports = [];
    for (const direction of ['send', 'recv']) {
      const requestID = `create-${direction}-${++syncs}`;
      fuzzer.socket.write([{ type: MediasoupAction.TRANSPORT_REQUEST_CREATE, direction, requestID }]);
      const created = await fuzzer.socket.waitForAction(
        MediasoupAction.TRANSPORT_CREATED,
        (a) => a.requestID === requestID,
        `the fuzz socket's ${direction} transport`,
      );
      fuzzerTransports.push(String(created.transportID));
    }
    return fuzzer;
  }

  /**
   * A request the host answers at once (an error for a connect without a transport): once its
   * answer is back, every frame sent before it was handled.
   */
  async function sync(socket: TestSocket): Promise<'answered' | 'closed'> {
    const requestID = `sync-${++syncs}`;
    socket.write([{ type: MediasoupAction.TRANSPORT_REQUEST_CONNECT, requestID }]);
    try {
      await socket.waitForAction(
        MediasoupAction.TRANSPORT_REQUEST_ERROR_CONNECT,
        (a) => a.requestID === requestID,
        `the answer to ${requestID}`,
      );
      return 'answered';
    } catch (error) {
      if (!socket.isEnded) throw error;
      return 'closed';
    }
  }

  it(`handles ${runs(0.3)} fuzzed frames after the handshake without harm to another peer`, async () => {
    let closed = 0;
    await fc.assert(
      fc.asyncProperty(frame(), async (data) => {
        const { socket } = await currentFuzzer();
        socket.write(data as Frame);
        if ((await sync(socket)) === 'closed') {
          closed++;
          const reason = closeMessage(socket)?.closeReason;
          assert.ok(
            reason === undefined || CLOSE_REASONS.includes(String(reason)),
            `closed with ${JSON.stringify(reason)} after ${JSON.stringify(data).slice(0, 300)}`,
          );
        }
        assertObserverUntouched(`after ${JSON.stringify(data).slice(0, 300)}`);
      }),
      { numRuns: runs(0.3), seed: SEED },
    );
    await assertStillServed(`${closed} fuzz sockets were closed`);
  });

  it(`answers ${runs(0.05)} fuzzed handshakes with success, a fail code or a close reason`, async () => {
    const authLike = fc.record(
      {
        accessToken: fc.oneof(
          fc.constant(null).map(() => token),
          fc.constantFrom('', 'x', `${token}x`),
          garbage(),
        ),
        peerID: fc.oneof(fc.constant('<self>'), peerIdLike(), garbage()),
        inviteCode: fc.oneof(fc.stringMatching(/^[1-9]{6}$/), garbage()),
        extra: garbage(),
      },
      { requiredKeys: [] },
    );
    const query = fc.record({
      peerID: fc.oneof({ weight: 6, arbitrary: fc.constant('<fresh>') }, fc.string({ maxLength: 40 })),
      instanceId: fc.oneof(
        { weight: 6, arbitrary: fc.constant('<live>') },
        fc.string({ maxLength: 40 }),
        fc.uuid().map(String),
      ),
      locationId: fc.oneof({ weight: 6, arbitrary: fc.constant('fuzz') }, fc.string({ maxLength: 20 })),
      roomCode: fc.option(fc.oneof(fc.stringMatching(/^[1-9]{6}$/), fc.string({ maxLength: 8 })), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(
        query,
        fc.array(fc.oneof(authLike, frame()), { minLength: 0, maxLength: 2 }),
        async (q, frames) => {
          const peerID = q.peerID === '<fresh>' ? randomUUID() : q.peerID;
          fuzzPeers.add(peerID);
          const socket = rawSocket(server, {
            instanceId: q.instanceId === '<live>' ? target.instanceId : q.instanceId,
            locationId: q.locationId,
            peerID,
            ...(q.roomCode === undefined ? {} : { roomCode: q.roomCode }),
          });
          try {
            for (const f of frames) {
              const data = isAuth(f) && f.peerID === '<self>' ? { ...f, peerID } : f;
              socket.write(data as Frame);
            }
            socket.write({ accessToken: token, peerID });
            const outcome = await socket.waitFor<Record<string, unknown>>(
              (m) =>
                !Array.isArray(m) && ('closeReason' in m || (typeof m.status === 'string' && m.status !== 'pending')),
              'a handshake answer or a close reason',
            );
            if ('closeReason' in outcome) assert.ok(CLOSE_REASONS.includes(String(outcome.closeReason)));
            else if (outcome.status === 'fail')
              assert.ok(FAIL_CODES.includes(String(outcome.error)), String(outcome.error));
            else assert.equal(outcome.status, 'success');
          } finally {
            socket.close();
            await socket.waitForEnd('the fuzz socket to close');
          }
          assertObserverUntouched(`handshake ${JSON.stringify({ q, frames }).slice(0, 300)}`);
        },
      ),
      { numRuns: runs(0.05), seed: SEED },
    );
    await assertStillServed('after the handshake fuzz');
  });

  /** The observer still gets heartbeats and answers; its presence is intact for a newcomer. */
  async function assertStillServed(label: string): Promise<void> {
    const beats = observer.socket.messages.filter((m) => Array.isArray(m) && m.length === 0).length;
    await observer.socket.waitFor(
      (m) =>
        Array.isArray(m) &&
        m.length === 0 &&
        observer.socket.messages.filter((x) => Array.isArray(x) && x.length === 0).length > beats,
      `a new [] heartbeat for the observer (${label})`,
    );
    assert.equal(await sync(observer.socket), 'answered', `the host still answers the observer (${label})`);
    const health = await request(`${server.apiUrl}/health`);
    assert.equal(health.status, 200);
    const newcomer = await join(server, token, target);
    sockets.push(newcomer.socket);
    const presence = newcomer.success.cachedActions.filter(
      (a) => a.type === ActionType.PEER_JOINED && a.peerID === observer.socket.peerID,
    );
    assert.equal(presence.length, 1, `the observer's PEER_JOINED is cached once (${label})`);
    assert.equal(presence[0]!.$peer, observer.success.hostPeerID);
    assert.equal(presence[0]!.name, 'Observer');
    for (const cached of newcomer.success.cachedActions) {
      assert.ok(
        cached.$peer === observer.success.hostPeerID || fuzzPeers.has(String(cached.$peer)),
        `a cached action claims $peer ${JSON.stringify(cached.$peer)} (${label})`,
      );
    }
    newcomer.socket.close();
    assertObserverUntouched(label);
  }
});

function isAuth(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'peerID' in value;
}
