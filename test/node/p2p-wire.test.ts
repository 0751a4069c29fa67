import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode } from '@msgpack/msgpack';
import { MAX_DATA_MESSAGE_BYTES } from '../../src/protocol/index.js';
import { decodeFrame, encodeData, encodeMediaState, parseCallMetadata } from '../../src/transports/p2p/p2p-wire.js';

/** What a DataConnection hands over: an ArrayBuffer of its own. */
function wire(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

describe('P2P wire frames', () => {
  it('round-trip strings, JSON and binary (as an ArrayBuffer)', () => {
    assert.deepEqual(decodeFrame(wire(encodeData('chat', 'hello'))), { kind: 'data', channel: 'chat', data: 'hello' });
    const json = { a: [1, 2.5, null, true], b: { c: 'd' } };
    assert.deepEqual(decodeFrame(wire(encodeData('state', json))), { kind: 'data', channel: 'state', data: json });
    const binary = decodeFrame(wire(encodeData('bin', new Uint8Array([0, 1, 255]).buffer)));
    assert.ok(typeof binary === 'object' && binary.kind === 'data');
    assert.ok(binary.data instanceof ArrayBuffer, 'binary comes back as an ArrayBuffer');
    assert.deepEqual([...new Uint8Array(binary.data)], [0, 1, 255]);
    const view = decodeFrame(wire(encodeData('bin', new Uint16Array([1, 2]))));
    assert.ok(typeof view === 'object' && view.kind === 'data' && view.data instanceof ArrayBuffer);
    assert.equal(view.data.byteLength, 4, 'a typed array travels as its bytes');
  });

  it('sends JSON-able values as their JSON value', () => {
    const frame = decodeFrame(wire(encodeData('c', { when: new Date(0), skip: undefined })));
    assert.deepEqual(frame, { kind: 'data', channel: 'c', data: { when: '1970-01-01T00:00:00.000Z' } });
  });

  it('refuses to encode oversized messages and what JSON cannot encode', () => {
    assert.throws(() => encodeData('c', new Uint8Array(MAX_DATA_MESSAGE_BYTES + 1)), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => encodeData('c', () => 1), { code: 'INVALID_ARGUMENT' });
  });

  it('carries media state as a control frame', () => {
    const state = { call: 'abc', sources: ['microphone', 'camera'] as const, paused: ['microphone'] as const };
    const frame = decodeFrame(
      wire(encodeMediaState({ ...state, sources: [...state.sources], paused: [...state.paused] })),
    );
    assert.deepEqual(frame, {
      kind: 'media',
      state: { call: 'abc', sources: ['microphone', 'camera'], paused: ['microphone'] },
    });
    assert.deepEqual(parseCallMetadata({ call: null, sources: [], paused: [] }), {
      call: null,
      sources: [],
      paused: [],
    });
  });

  it('says why it refuses garbage, oversized frames and wrong shapes', () => {
    const refusals = [
      decodeFrame('a string'),
      decodeFrame(wire(new Uint8Array([0xc1]))),
      decodeFrame(new ArrayBuffer(MAX_DATA_MESSAGE_BYTES + 1000)),
      decodeFrame(wire(encode({ ch: '', d: 1 }))),
      decodeFrame(wire(encode({ ch: 'x', d: 1, extra: true }))),
      decodeFrame(wire(encode([1, 2, 3]))),
      decodeFrame(wire(encode({ c: 'media', s: { call: 'x', sources: ['tuba'], paused: [] } }))),
      decodeFrame(wire(encode({ c: 'other' }))),
      parseCallMetadata('not an object'),
      parseCallMetadata({ call: 'x', sources: ['camera', 'camera', 'camera', 'camera', 'camera'], paused: [] }),
    ];
    for (const refusal of refusals) assert.equal(typeof refusal, 'string', `refused with a reason: ${String(refusal)}`);
    assert.match(String(refusals[0]), /not binary/);
    assert.match(String(refusals[1]), /not msgpack/);
    assert.match(String(refusals[2]), /oversized/);
  });
});
