/**
 * The host's media-signaling actions as the kit reads them (PROTOCOL.md §2). Only the fields the
 * adapter uses are checked here; mediasoup-client validates the parameter objects it is handed
 * (ICE, DTLS, SCTP, RTP) itself and throws a TypeError on bad ones, which the adapter turns into
 * a PROTOCOL_ERROR.
 */
import type {
  DtlsParameters,
  IceCandidate,
  IceParameters,
  RtpParameters,
  SctpParameters,
  SctpStreamParameters,
} from 'mediasoup-client/types';
import * as v from 'valibot';

/** Action types of the media signaling, shared with the host. */
export { MediasoupAction as Media } from '../../protocol/mediasoup-actions.js';

const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(256));
const Params = v.looseObject({});

export const TransportCreated = v.object({
  transportID: Id,
  direction: v.picklist(['send', 'recv']),
  iceParameters: v.looseObject({ usernameFragment: v.string(), password: v.string() }),
  iceCandidates: v.array(v.looseObject({ ip: v.string(), port: v.number() })),
  dtlsParameters: v.looseObject({ fingerprints: v.array(Params) }),
  sctpParameters: v.optional(v.looseObject({ port: v.number(), OS: v.number(), MIS: v.number() })),
  iceServers: v.optional(v.array(v.looseObject({ urls: v.union([v.string(), v.array(v.string())]) }))),
});

/** The transport options of a TRANSPORT_CREATED, typed for mediasoup-client (which validates them). */
export function transportOptionsOf(created: v.InferOutput<typeof TransportCreated>) {
  return {
    id: created.transportID,
    iceParameters: created.iceParameters as IceParameters,
    iceCandidates: created.iceCandidates as unknown as IceCandidate[],
    dtlsParameters: created.dtlsParameters as unknown as DtlsParameters,
    ...(created.sctpParameters ? { sctpParameters: created.sctpParameters as SctpParameters } : {}),
    iceServers: (created.iceServers ?? []) as RTCIceServer[],
  };
}

export const ProducerCreated = v.object({
  producerID: Id,
  peerID: v.optional(v.string()),
  mediaTag: v.string(),
  channelID: v.optional(v.nullable(v.string())),
  $peer: v.optional(v.string()),
});

export const ConsumerCreated = v.object({
  consumerID: Id,
  producerID: Id,
  peerID: v.string(),
  mediaTag: v.string(),
  kind: v.picklist(['audio', 'video']),
  rtpParameters: v.looseObject({ codecs: v.array(Params) }),
  paused: v.optional(v.boolean()),
  producerPaused: v.optional(v.boolean()),
});

export function rtpParametersOf(created: v.InferOutput<typeof ConsumerCreated>): RtpParameters {
  return created.rtpParameters as unknown as RtpParameters;
}

export const ProducerPaused = v.object({ producerID: Id, paused: v.boolean() });
export const ClosedProducer = v.object({ producerID: Id });
export const ClosedConsumer = v.object({ consumerID: Id });
export const DataProducerCreated = v.object({ producerID: Id });

export const DataConsumerCreated = v.object({
  consumerID: Id,
  producerID: Id,
  dataChannel: v.string(),
  sctpStreamParameters: v.looseObject({ streamId: v.number() }),
  protocol: v.optional(v.string()),
});

export function sctpStreamParametersOf(created: v.InferOutput<typeof DataConsumerCreated>): SctpStreamParameters {
  return created.sctpStreamParameters as SctpStreamParameters;
}

/** What the SFU host forwards on a data consumer: msgpack `[fromPeerIndex, {ch, d}]`. */
export const ForwardedData = v.tuple([
  v.pipe(v.number(), v.integer()),
  v.object({ ch: v.pipe(v.string(), v.maxLength(256)), d: v.unknown() }),
]);
