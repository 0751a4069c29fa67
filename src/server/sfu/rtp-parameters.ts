/**
 * The router's RTP capabilities and the parameter logic mediasoup's router does: checking a
 * producer's parameters against the router, and deriving a consumer's parameters from a producer
 * and the consuming device's capabilities. Only the codecs we forward (Opus, VP8).
 */
import { randomBytes } from 'node:crypto';
import type {
  RtcpFeedback,
  RtpCapabilities,
  RtpCodecCapability,
  RtpCodecParameters,
  RtpHeaderExtensionParameters,
  RtpParameters,
} from '../../protocol/index.js';

export const HeaderExtensionUri = {
  mid: 'urn:ietf:params:rtp-hdrext:sdes:mid',
  absSendTime: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  audioLevel: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
} as const;

const VIDEO_FEEDBACK: RtcpFeedback[] = [
  { type: 'nack' },
  { type: 'nack', parameter: 'pli' },
  { type: 'ccm', parameter: 'fir' },
  { type: 'goog-remb' },
];

/** What every router offers; mediasoup-client's Device.load() takes it as is. */
export const ROUTER_RTP_CAPABILITIES: Required<RtpCapabilities> = {
  codecs: [
    {
      kind: 'audio',
      mimeType: 'audio/opus',
      preferredPayloadType: 100,
      clockRate: 48000,
      channels: 2,
      parameters: { useinbandfec: 1, minptime: 10 },
      rtcpFeedback: [],
    },
    {
      kind: 'video',
      mimeType: 'video/VP8',
      preferredPayloadType: 101,
      clockRate: 90000,
      parameters: {},
      rtcpFeedback: VIDEO_FEEDBACK,
    },
    { kind: 'video', mimeType: 'video/rtx', preferredPayloadType: 102, clockRate: 90000, parameters: { apt: 101 } },
    {
      kind: 'video',
      mimeType: 'video/H264',
      preferredPayloadType: 103,
      clockRate: 90000,
      parameters: { 'level-asymmetry-allowed': 1, 'packetization-mode': 1, 'profile-level-id': '42e01f' },
      rtcpFeedback: VIDEO_FEEDBACK,
    },
    { kind: 'video', mimeType: 'video/rtx', preferredPayloadType: 104, clockRate: 90000, parameters: { apt: 103 } },
  ],
  headerExtensions: [
    { kind: 'audio', uri: HeaderExtensionUri.mid, preferredId: 1, preferredEncrypt: false, direction: 'sendrecv' },
    { kind: 'video', uri: HeaderExtensionUri.mid, preferredId: 1, preferredEncrypt: false, direction: 'sendrecv' },
    {
      kind: 'audio',
      uri: HeaderExtensionUri.absSendTime,
      preferredId: 4,
      preferredEncrypt: false,
      direction: 'sendrecv',
    },
    {
      kind: 'video',
      uri: HeaderExtensionUri.absSendTime,
      preferredId: 4,
      preferredEncrypt: false,
      direction: 'sendrecv',
    },
    {
      kind: 'audio',
      uri: HeaderExtensionUri.audioLevel,
      preferredId: 10,
      preferredEncrypt: false,
      direction: 'sendrecv',
    },
  ],
};

export type MediaKind = 'audio' | 'video';

interface CodecLike {
  mimeType: string;
  clockRate: number;
  channels?: number;
  parameters?: Record<string, string | number | boolean>;
}

function sameCodec(a: CodecLike, b: RtpCodecCapability): boolean {
  if (a.mimeType.toLowerCase() !== b.mimeType.toLowerCase() || a.clockRate !== b.clockRate) return false;
  if (b.mimeType.toLowerCase() === 'video/h264') {
    // Same packetization mode and profile (profile_idc + constraint flags); the level may differ.
    const mode = (c: CodecLike) => Number(c.parameters?.['packetization-mode'] ?? 0);
    const profile = (c: CodecLike) =>
      String(c.parameters?.['profile-level-id'] ?? '42001f')
        .slice(0, 4)
        .toLowerCase();
    return mode(a) === mode(b) && profile(a) === profile(b);
  }
  return b.kind !== 'audio' || (a.channels ?? 1) === (b.channels ?? 1);
}

function routerCodecOf(kind: MediaKind, codec: CodecLike) {
  return ROUTER_RTP_CAPABILITIES.codecs.find((c) => c.kind === kind && sameCodec(codec, c));
}

/** A producer's parameters, as the forwarding path needs them. */
export interface ProducerRtp {
  kind: MediaKind;
  routerCodec: RtpCodecCapability;
  payloadType: number;
  /** Media SSRCs announced by the encodings (may be empty; then the MID tells the streams apart). */
  ssrcs: number[];
  mid: string | undefined;
  cname: string;
  /** Header extension ids in the producer's packets, by URI. */
  extensionIds: Map<string, number>;
  /** The sender retransmits what we NACK (on its RTX stream when it has one). */
  nack: boolean;
  /** The sender's RTX stream (RFC 4588), if it negotiated one. */
  rtx: { payloadType: number; ssrc: number } | undefined;
}

export class ParameterError extends Error {}

/** Checks a producer's parameters against the router; throws ParameterError when it cannot be forwarded. */
export function producerRtp(kind: MediaKind, params: RtpParameters): ProducerRtp {
  const media = params.codecs.find((c) => !/\/(rtx|red|ulpfec|flexfec)$/i.test(c.mimeType));
  if (!media) throw new ParameterError('no media codec in rtpParameters.codecs');
  if (!media.mimeType.toLowerCase().startsWith(`${kind}/`)) {
    throw new ParameterError(`codec ${media.mimeType} is not of kind ${kind}`);
  }
  const routerCodec = routerCodecOf(kind, media);
  if (!routerCodec) throw new ParameterError(`the router does not support ${media.mimeType}/${media.clockRate}`);
  const ssrcs = (params.encodings ?? []).map((e) => e.ssrc).filter((s): s is number => s !== undefined);
  const extensionIds = new Map<string, number>();
  for (const ext of params.headerExtensions ?? []) if (ext.id <= 14) extensionIds.set(ext.uri, ext.id);
  const rtxCodec = params.codecs.find(
    (c) => /\/rtx$/i.test(c.mimeType) && Number(c.parameters?.apt) === media.payloadType,
  );
  const rtxSsrc = params.encodings?.[0]?.rtx?.ssrc;
  if (ssrcs.length === 0 && (params.mid === undefined || !extensionIds.has(HeaderExtensionUri.mid))) {
    throw new ParameterError('encodings carry no ssrc and there is no MID to tell the stream apart');
  }
  return {
    kind,
    routerCodec,
    payloadType: media.payloadType,
    ssrcs: ssrcs.slice(0, 1),
    mid: params.mid,
    cname: params.rtcp?.cname ?? randomBytes(8).toString('hex'),
    extensionIds,
    nack: kind === 'video' && (media.rtcpFeedback ?? []).some((fb) => fb.type === 'nack' && !fb.parameter),
    rtx:
      rtxCodec && rtxSsrc !== undefined && ssrcs.length > 0
        ? { payloadType: rtxCodec.payloadType, ssrc: rtxSsrc }
        : undefined,
  };
}

/** mediasoup's router.canConsume(): the device can receive the producer's codec. */
export function canConsume(producer: ProducerRtp, caps: RtpCapabilities): boolean {
  return (caps.codecs ?? []).some((c) => c.kind === producer.kind && sameCodec(c, producer.routerCodec));
}

const CONSUMED_EXTENSIONS: Record<MediaKind, string[]> = {
  audio: [HeaderExtensionUri.mid, HeaderExtensionUri.absSendTime, HeaderExtensionUri.audioLevel],
  video: [HeaderExtensionUri.mid, HeaderExtensionUri.absSendTime],
};

export function randomSsrc(): number {
  return randomBytes(4).readUInt32BE(0) || 1;
}

/** A consumer's parameters: the device's payload type and extension ids, a fresh SSRC, its MID. */
export function consumerRtpParameters(producer: ProducerRtp, caps: RtpCapabilities, mid: string): RtpParameters {
  const capCodec = (caps.codecs ?? []).find((c) => c.kind === producer.kind && sameCodec(c, producer.routerCodec));
  if (!capCodec || capCodec.preferredPayloadType === undefined) {
    throw new ParameterError('the rtpCapabilities cannot consume this producer');
  }
  const routerFeedback = producer.routerCodec.rtcpFeedback ?? [];
  const rtcpFeedback = (capCodec.rtcpFeedback ?? []).filter((fb) =>
    routerFeedback.some((r) => r.type === fb.type && (r.parameter ?? '') === (fb.parameter ?? '')),
  );
  const codec: RtpCodecParameters = {
    mimeType: producer.routerCodec.mimeType,
    payloadType: capCodec.preferredPayloadType,
    clockRate: producer.routerCodec.clockRate,
    ...(producer.routerCodec.channels ? { channels: producer.routerCodec.channels } : {}),
    parameters: { ...(producer.routerCodec.parameters ?? {}) },
    rtcpFeedback,
  };
  const capRtx = (caps.codecs ?? []).find(
    (c) =>
      c.kind === 'video' &&
      /\/rtx$/i.test(c.mimeType) &&
      Number(c.parameters?.apt) === capCodec.preferredPayloadType &&
      c.preferredPayloadType !== undefined,
  );
  const rtx: RtpCodecParameters | null =
    producer.kind === 'video' && capRtx
      ? {
          mimeType: 'video/rtx',
          payloadType: capRtx.preferredPayloadType!,
          clockRate: producer.routerCodec.clockRate,
          parameters: { apt: capCodec.preferredPayloadType },
          rtcpFeedback: [],
        }
      : null;
  const headerExtensions: RtpHeaderExtensionParameters[] = [];
  for (const ext of caps.headerExtensions ?? []) {
    if (ext.kind !== producer.kind || !CONSUMED_EXTENSIONS[producer.kind].includes(ext.uri)) continue;
    if (ext.preferredId > 14 || headerExtensions.some((h) => h.uri === ext.uri)) continue;
    headerExtensions.push({ uri: ext.uri, id: ext.preferredId, encrypt: false, parameters: {} });
  }
  return {
    mid,
    codecs: rtx ? [codec, rtx] : [codec],
    headerExtensions,
    encodings: [rtx ? { ssrc: randomSsrc(), rtx: { ssrc: randomSsrc() } } : { ssrc: randomSsrc() }],
    rtcp: { cname: producer.cname, reducedSize: true, mux: true },
  };
}
