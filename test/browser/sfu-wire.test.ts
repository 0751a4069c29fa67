import { decode, encode } from '@msgpack/msgpack';
import { expect } from '@open-wc/testing';
import { IrError } from '../../src/core/errors.js';
import type { Action } from '../../src/protocol/index.js';
import type { InstanceSocket } from '../../src/transports/instance-socket/instance-socket.js';
import { ActionRequests } from '../../src/transports/mediasoup/action-requests.js';
import { decodeForwarded, encodeEnvelope } from '../../src/transports/mediasoup/data-envelope.js';
import { rejection } from './helpers.js';

/** What ActionRequests needs of a socket: `open` and `dispatch`; it records what was sent. */
function fakeSocket(): { socket: InstanceSocket; sent: Action[] } {
  const sent: Action[] = [];
  const socket = {
    open: true,
    dispatch: (action: Action) => {
      sent.push(action);
    },
  } as unknown as InstanceSocket;
  return { socket, sent };
}

describe('SFU data envelope', () => {
  it('round-trips strings, JSON values and binary as the host forwards them', () => {
    const bytes = new Uint8Array([1, 2, 255]);
    for (const [data, expected] of [
      ['text', 'text'],
      [
        { a: [1, null], b: 'x', skipped: undefined },
        { a: [1, null], b: 'x' },
      ],
      [7, 7],
    ] as const) {
      const sent = encodeEnvelope(data, 'ch', undefined);
      // The host re-frames the client's {ch, d} as [fromPeerIndex, {ch, d}].
      const { ch, d } = decode(sent) as { ch: string; d: unknown };
      const forwarded = decodeForwarded(encode([3, { ch, d }]));
      expect(sent.byteLength).to.be.greaterThan(0);
      expect(forwarded).to.deep.equal({ fromPeerIndex: 3, channel: 'ch', data: expected });
    }
    const binary = decodeForwarded(encode([1, { ch: 'bin', d: bytes }]));
    expect(binary?.data).to.be.instanceOf(ArrayBuffer);
    expect([...new Uint8Array(binary?.data as ArrayBuffer)]).to.deep.equal([1, 2, 255]);
  });

  it('refuses messages over the size limit with INVALID_ARGUMENT', () => {
    expect(() => encodeEnvelope(new ArrayBuffer(65 * 1024), undefined, undefined))
      .to.throw(IrError)
      .with.property('code', 'INVALID_ARGUMENT');
  });

  it('drops garbage instead of throwing', () => {
    expect(decodeForwarded(new Uint8Array([0xc1]))).to.equal(null);
    expect(decodeForwarded(encode({ ch: 'x', d: 1 }))).to.equal(null);
    expect(decodeForwarded(encode(['0', { ch: 'x', d: 1 }]))).to.equal(null);
    expect(decodeForwarded('text')).to.equal(null);
  });
});

describe('ActionRequests', () => {
  it('answers by requestID, else by the reply key, and leaves other actions alone', async () => {
    const { socket, sent } = fakeSocket();
    const requests = new ActionRequests(() => socket, 'me');
    const byId = requests.request({ action: { type: 'REQ' }, reply: 'REP', errors: ['ERR'] });
    const byKey = requests.request({
      action: { type: 'REQ2' },
      reply: 'REP2',
      errors: [],
      matches: (action) => action.direction === 'recv',
    });
    expect(sent.map((a) => a.requestID)).to.deep.equal(['me:1', 'me:2']);
    expect(requests.handle({ type: 'REP', requestID: 'other:1' })).to.equal(false);
    expect(requests.handle({ type: 'REP2', direction: 'send' })).to.equal(false);
    expect(requests.handle({ type: 'REP', requestID: 'me:1', ok: 1 })).to.equal(true);
    expect(requests.handle({ type: 'REP2', direction: 'recv' })).to.equal(true);
    expect((await byId).ok).to.equal(1);
    expect((await byKey).direction).to.equal('recv');
  });

  it('rejects on an error reply, a timeout, an abort and when the link ends', async () => {
    const { socket } = fakeSocket();
    const requests = new ActionRequests(() => socket, 'me');
    const refused = requests.request({ action: { type: 'REQ' }, reply: 'REP', errors: ['ERR'] });
    requests.handle({ type: 'ERR', requestID: 'me:1', error: 'NOT_FOUND' });
    const error = await rejection(refused);
    expect(IrError.is(error, 'TRANSPORT_FAILED')).to.equal(true);
    expect((error as Error).message).to.contain('NOT_FOUND');

    const slow = await rejection(
      requests.request({ action: { type: 'REQ' }, reply: 'REP', errors: [], timeoutMs: 20 }),
    );
    expect(IrError.is(slow, 'TIMEOUT')).to.equal(true);

    const controller = new AbortController();
    const aborted = requests.request({ action: { type: 'REQ' }, reply: 'REP', errors: [], signal: controller.signal });
    controller.abort(new DOMException('stop', 'AbortError'));
    expect((await rejection(aborted)) as DOMException).to.have.property('name', 'AbortError');

    const pending = requests.request({ action: { type: 'REQ' }, reply: 'REP', errors: [] });
    requests.rejectAll(IrError.invalidState('gone'));
    expect(IrError.is(await rejection(pending), 'INVALID_STATE')).to.equal(true);
  });

  it('refuses to send while the socket is not open', async () => {
    const requests = new ActionRequests(() => undefined, 'me');
    const error = await rejection(requests.request({ action: { type: 'REQ' }, reply: 'REP', errors: [] }));
    expect(IrError.is(error, 'INVALID_STATE')).to.equal(true);
  });
});
