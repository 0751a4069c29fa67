/**
 * Data and media naming shared by the kit, the SFU host and the P2P adapter: data channel labels,
 * media tags (PROTOCOL.md §2) and the envelope of a data message.
 */

/** Media tags of iR Engine; a producer's `appData.mediaTag`. */
export const MediaTag = {
  webcamVideo: 'ee.core.webcamVideo.dataChannel',
  webcamAudio: 'ee.core.webcamAudio.dataChannel',
  screenshareVideo: 'ee.core.screenshareVideo.dataChannel',
  screenshareAudio: 'ee.core.screenshareAudio.dataChannel',
} as const;
export type MediaTag = (typeof MediaTag)[keyof typeof MediaTag];

/** What a local or remote track is, in the kit's words. */
export const MediaSource = {
  microphone: 'microphone',
  camera: 'camera',
  screen: 'screen',
  screenAudio: 'screenAudio',
} as const;
export type MediaSource = (typeof MediaSource)[keyof typeof MediaSource];

export const mediaTagOf: Record<MediaSource, MediaTag> = {
  microphone: MediaTag.webcamAudio,
  camera: MediaTag.webcamVideo,
  screen: MediaTag.screenshareVideo,
  screenAudio: MediaTag.screenshareAudio,
};

export function mediaSourceOf(tag: string): MediaSource | undefined {
  for (const [source, t] of Object.entries(mediaTagOf)) if (t === tag) return source as MediaSource;
  return undefined;
}

/** iR Engine's main data channel: unordered, maxRetransmits 1. */
export const UNRELIABLE_DATA_CHANNEL = 'ee.core.ecs.dataChannel';
/** Ours: ordered and reliable, for `send(data, {reliable: true})`. */
export const RELIABLE_DATA_CHANNEL = 'ir.rooms.reliableDataChannel';

/** The default `channel` of `send()` and `ir-message`. */
export const DEFAULT_MESSAGE_CHANNEL = 'default';

/**
 * A data message as a client sends it (msgpack-encoded on the wire): the app's channel name, the
 * data, and optionally the peerIDs it is for (absent: everyone else). Binary data travels as
 * msgpack bin and comes back as an ArrayBuffer. The SFU host forwards `[fromPeerIndex,
 * {ch, d}]` to each recipient; P2P sends `{ch, d}` straight to the peer.
 */
export interface DataEnvelope {
  ch: string;
  d: unknown;
  to?: string[];
}

/** Largest encoded data message, both paths; bigger ones are refused with INVALID_ARGUMENT. */
export const MAX_DATA_MESSAGE_BYTES = 64 * 1024;

/** The bytes of a view, as an ArrayBuffer of their own. */
export function binaryCopy(view: ArrayBufferView): ArrayBuffer {
  const copy = new Uint8Array(view.byteLength);
  copy.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  return copy.buffer;
}
