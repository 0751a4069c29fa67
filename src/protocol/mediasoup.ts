/**
 * Media signaling on the instance socket (PROTOCOL.md §2, `ee.engine.network.mediasoup.*`): the
 * action names, mediasoup's parameter formats and the payload schemas the SFU host validates.
 */
import * as v from 'valibot';

export { MEDIASOUP_ACTION_PREFIX, MediasoupAction } from './mediasoup-actions.js';

/** Error strings of the host's error replies (the `error` field). */
export const MediaErrorCode = {
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  NOT_FOUND: 'NOT_FOUND',
  WRONG_DIRECTION: 'WRONG_DIRECTION',
  LIMIT_REACHED: 'LIMIT_REACHED',
  UNSUPPORTED: 'UNSUPPORTED',
  INVALID_STATE: 'INVALID_STATE',
  TRANSPORT_FAILED: 'TRANSPORT_FAILED',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const;
export type MediaErrorCode = (typeof MediaErrorCode)[keyof typeof MediaErrorCode];

const Str = v.pipe(v.string(), v.maxLength(256));
const SmallId = v.pipe(v.string(), v.minLength(1), v.maxLength(128));
const Params = v.record(v.string(), v.union([v.string(), v.number(), v.boolean()]));
const Uint32 = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff));
const PayloadType = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(127));

export const RtcpFeedback = v.object({ type: Str, parameter: v.optional(Str) });
export type RtcpFeedback = v.InferOutput<typeof RtcpFeedback>;

export const RtpCodecCapability = v.object({
  kind: v.picklist(['audio', 'video']),
  mimeType: Str,
  preferredPayloadType: v.optional(PayloadType),
  clockRate: Uint32,
  channels: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(8))),
  parameters: v.optional(Params),
  rtcpFeedback: v.optional(v.pipe(v.array(RtcpFeedback), v.maxLength(32))),
});
export type RtpCodecCapability = v.InferOutput<typeof RtpCodecCapability>;

export const RtpHeaderExtensionCapability = v.object({
  kind: v.picklist(['audio', 'video']),
  uri: Str,
  preferredId: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(255)),
  preferredEncrypt: v.optional(v.boolean()),
  direction: v.optional(Str),
});
export type RtpHeaderExtensionCapability = v.InferOutput<typeof RtpHeaderExtensionCapability>;

export const RtpCapabilities = v.object({
  codecs: v.optional(v.pipe(v.array(RtpCodecCapability), v.maxLength(64))),
  headerExtensions: v.optional(v.pipe(v.array(RtpHeaderExtensionCapability), v.maxLength(64))),
});
export type RtpCapabilities = v.InferOutput<typeof RtpCapabilities>;

export const RtpCodecParameters = v.object({
  mimeType: Str,
  payloadType: PayloadType,
  clockRate: Uint32,
  channels: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(8))),
  parameters: v.optional(Params),
  rtcpFeedback: v.optional(v.pipe(v.array(RtcpFeedback), v.maxLength(32))),
});
export type RtpCodecParameters = v.InferOutput<typeof RtpCodecParameters>;

export const RtpHeaderExtensionParameters = v.object({
  uri: Str,
  id: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(255)),
  encrypt: v.optional(v.boolean()),
  parameters: v.optional(Params),
});
export type RtpHeaderExtensionParameters = v.InferOutput<typeof RtpHeaderExtensionParameters>;

export const RtpEncodingParameters = v.looseObject({
  ssrc: v.optional(Uint32),
  rid: v.optional(Str),
  rtx: v.optional(v.object({ ssrc: Uint32 })),
  dtx: v.optional(v.boolean()),
  scalabilityMode: v.optional(Str),
  maxBitrate: v.optional(v.number()),
});
export type RtpEncodingParameters = v.InferOutput<typeof RtpEncodingParameters>;

export const RtpParameters = v.object({
  mid: v.optional(Str),
  codecs: v.pipe(v.array(RtpCodecParameters), v.minLength(1), v.maxLength(32)),
  headerExtensions: v.optional(v.pipe(v.array(RtpHeaderExtensionParameters), v.maxLength(32))),
  encodings: v.optional(v.pipe(v.array(RtpEncodingParameters), v.maxLength(8))),
  rtcp: v.optional(
    v.object({ cname: v.optional(Str), reducedSize: v.optional(v.boolean()), mux: v.optional(v.boolean()) }),
  ),
});
export type RtpParameters = v.InferOutput<typeof RtpParameters>;

export const DtlsFingerprint = v.object({ algorithm: Str, value: v.pipe(v.string(), v.maxLength(512)) });
export const DtlsParameters = v.object({
  role: v.optional(v.picklist(['auto', 'client', 'server'])),
  fingerprints: v.pipe(v.array(DtlsFingerprint), v.minLength(1), v.maxLength(8)),
});
export type DtlsParameters = v.InferOutput<typeof DtlsParameters>;

export const SctpStreamParameters = v.object({
  streamId: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65534)),
  ordered: v.optional(v.boolean()),
  maxPacketLifeTime: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  maxRetransmits: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});
export type SctpStreamParameters = v.InferOutput<typeof SctpStreamParameters>;

const AppData = v.optional(v.record(v.string(), v.unknown()));

export const TransportRequestCreate = v.object({
  direction: v.picklist(['send', 'recv']),
  sctpCapabilities: v.optional(
    v.object({ numStreams: v.object({ OS: v.optional(v.number()), MIS: v.optional(v.number()) }) }),
  ),
});
export const TransportRequestConnect = v.object({
  requestID: v.optional(Str),
  transportID: SmallId,
  dtlsParameters: DtlsParameters,
});
export const MediaCreateProducer = v.object({
  requestID: v.optional(Str),
  transportID: SmallId,
  kind: v.picklist(['audio', 'video']),
  rtpParameters: RtpParameters,
  paused: v.optional(v.boolean()),
  appData: v.looseObject({ mediaTag: Str, channelId: v.optional(v.nullable(Str)) }),
});
export const MediaRequestConsumer = v.object({
  peerID: Str,
  mediaTag: Str,
  rtpCapabilities: RtpCapabilities,
  channelID: v.optional(v.nullable(Str)),
});
export const MediaConsumerPaused = v.object({ consumerID: SmallId, paused: v.boolean() });
export const MediaProducerPaused = v.object({ producerID: SmallId, paused: v.boolean() });
export const MediaClosedProducer = v.object({ producerID: SmallId });
export const MediaClosedConsumer = v.object({ consumerID: SmallId });
export const DataRequestProducer = v.object({
  requestID: v.optional(Str),
  transportID: SmallId,
  protocol: v.optional(Str),
  sctpStreamParameters: SctpStreamParameters,
  dataChannel: Str,
  appData: AppData,
});
export const DataRequestConsumer = v.object({ dataChannel: Str });
