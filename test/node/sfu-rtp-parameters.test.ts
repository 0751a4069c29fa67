/** The router's parameter logic and keyframe detection, without the network. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isH264KeyFrame, isVp8KeyFrame } from '../../src/server/sfu/consumer.js';
import {
  canConsume,
  consumerRtpParameters,
  ParameterError,
  producerRtp,
  ROUTER_RTP_CAPABILITIES,
} from '../../src/server/sfu/rtp-parameters.js';

const h264 = (profile: string, mode = 1) => ({
  mimeType: 'video/H264',
  payloadType: 107,
  clockRate: 90000,
  parameters: { 'packetization-mode': mode, 'profile-level-id': profile, 'level-asymmetry-allowed': 1 },
});

describe('SFU parameters', () => {
  it("takes an H264 producer of the router's profile and packetization mode, any level", () => {
    const rtp = producerRtp('video', {
      codecs: [h264('42e034'), { mimeType: 'video/rtx', payloadType: 108, clockRate: 90000, parameters: { apt: 107 } }],
      encodings: [{ ssrc: 1, rtx: { ssrc: 2 } }],
    });
    assert.equal(rtp.routerCodec.mimeType, 'video/H264');
    assert.equal(rtp.payloadType, 107);
    assert.deepEqual(rtp.rtx, { payloadType: 108, ssrc: 2 });
    assert.throws(() => producerRtp('video', { codecs: [h264('640c1f')], encodings: [{ ssrc: 1 }] }), ParameterError);
    assert.throws(
      () => producerRtp('video', { codecs: [h264('42e01f', 0)], encodings: [{ ssrc: 1 }] }),
      ParameterError,
    );
    assert.throws(() => producerRtp('audio', { codecs: [h264('42e01f')], encodings: [{ ssrc: 1 }] }), ParameterError);
  });

  it("gives a consumer the device's payload types, the router's codec parameters, RTX and a MID", () => {
    const rtp = producerRtp('video', { codecs: [h264('42e01f')], encodings: [{ ssrc: 1 }] });
    assert.ok(canConsume(rtp, ROUTER_RTP_CAPABILITIES));
    assert.equal(
      canConsume(rtp, { codecs: ROUTER_RTP_CAPABILITIES.codecs.filter((c) => c.mimeType !== 'video/H264') }),
      false,
    );
    const params = consumerRtpParameters(rtp, ROUTER_RTP_CAPABILITIES, '3');
    assert.equal(params.mid, '3');
    assert.deepEqual(
      params.codecs.map((c) => [c.mimeType, c.payloadType, c.parameters]),
      [
        ['video/H264', 103, { 'level-asymmetry-allowed': 1, 'packetization-mode': 1, 'profile-level-id': '42e01f' }],
        ['video/rtx', 104, { apt: 103 }],
      ],
    );
    assert.ok(params.encodings![0]!.ssrc && params.encodings![0]!.rtx?.ssrc);
    assert.deepEqual(
      params.headerExtensions!.map((h) => h.uri),
      ['urn:ietf:params:rtp-hdrext:sdes:mid', 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time'],
    );
  });

  it('tells VP8 and H264 keyframes from other packets', () => {
    assert.equal(isVp8KeyFrame(Buffer.from([0x10, 0x00, 0x9d, 0x01, 0x2a])), true);
    assert.equal(isVp8KeyFrame(Buffer.from([0x10, 0x01, 0x00])), false);
    assert.equal(isVp8KeyFrame(Buffer.from([0x00, 0x00, 0x00])), false, 'not the start of a frame');
    // Extended descriptor with a 15-bit picture id, then a keyframe header.
    assert.equal(isVp8KeyFrame(Buffer.from([0x90, 0x80, 0x81, 0x23, 0x00])), true);
    assert.equal(isH264KeyFrame(Buffer.from([0x65, 0x88])), true, 'IDR slice');
    assert.equal(isH264KeyFrame(Buffer.from([0x41, 0x9a])), false, 'non-IDR slice');
    assert.equal(
      isH264KeyFrame(Buffer.from([0x18, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce])),
      true,
      'STAP-A with SPS',
    );
    assert.equal(isH264KeyFrame(Buffer.from([0x7c, 0x85, 0x00])), true, 'FU-A start of an IDR');
    assert.equal(isH264KeyFrame(Buffer.from([0x7c, 0x05, 0x00])), false, 'FU-A middle of an IDR');
  });
});
