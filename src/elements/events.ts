/** The kit's DOM events: one class per event with a typed `detail`; all bubble and are composed. */
import type { IrError } from '../core/errors.js';
import type { ConnectionState, InstanceInfo, Peer } from '../core/instance-spec.js';

/** A participant of a media channel; `muted` is true while the microphone is off or paused. */
export interface Participant {
  peerID: string;
  name: string;
  audio?: MediaStreamTrack;
  video?: MediaStreamTrack;
  screen?: MediaStreamTrack;
  muted: boolean;
  speaking: boolean;
}

const init = { bubbles: true, composed: true } as const;

export interface IrStateChangeDetail {
  state: ConnectionState;
  previous: ConnectionState;
  /**
   * Why: an error code, `closed`, `left`, `removed from the DOM`, `pagehide`, … `connected` with
   * `resumed` is the way back from a dropped socket that kept the same peer and media.
   */
  reason?: string;
  /** While `reconnecting`: the try of this recovery, from 1; each new try is a new event. */
  attempt?: number;
}
export class IrStateChangeEvent extends CustomEvent<IrStateChangeDetail> {
  static readonly type = 'ir-state-change';
  constructor(detail: IrStateChangeDetail) {
    super(IrStateChangeEvent.type, { ...init, detail });
  }
}

export class IrInstanceProvisionedEvent extends CustomEvent<{ instance: InstanceInfo }> {
  static readonly type = 'ir-instance-provisioned';
  constructor(detail: { instance: InstanceInfo }) {
    super(IrInstanceProvisionedEvent.type, { ...init, detail });
  }
}

export class IrPeerJoinEvent extends CustomEvent<{ peer: Peer }> {
  static readonly type = 'ir-peer-join';
  constructor(detail: { peer: Peer }) {
    super(IrPeerJoinEvent.type, { ...init, detail });
  }
}

export class IrPeerLeaveEvent extends CustomEvent<{ peer: Peer }> {
  static readonly type = 'ir-peer-leave';
  constructor(detail: { peer: Peer }) {
    super(IrPeerLeaveEvent.type, { ...init, detail });
  }
}

export interface IrMessageDetail {
  from: string;
  channel: string;
  data: unknown;
}
export class IrMessageEvent extends CustomEvent<IrMessageDetail> {
  static readonly type = 'ir-message';
  constructor(detail: IrMessageDetail) {
    super(IrMessageEvent.type, { ...init, detail });
  }
}

export class IrErrorEvent extends CustomEvent<{ error: IrError }> {
  static readonly type = 'ir-error';
  constructor(detail: { error: IrError }) {
    super(IrErrorEvent.type, { ...init, detail });
  }
}

export class IrParticipantJoinEvent extends CustomEvent<{ participant: Participant }> {
  static readonly type = 'ir-participant-join';
  constructor(detail: { participant: Participant }) {
    super(IrParticipantJoinEvent.type, { ...init, detail });
  }
}

export class IrParticipantLeaveEvent extends CustomEvent<{ participant: Participant }> {
  static readonly type = 'ir-participant-leave';
  constructor(detail: { participant: Participant }) {
    super(IrParticipantLeaveEvent.type, { ...init, detail });
  }
}

/** `audio` / `video`: microphone / camera; `screen` / `screenAudio`: a screen share's tracks. */
export type TrackSource = 'audio' | 'video' | 'screen' | 'screenAudio';
export interface IrTrackDetail {
  peerID: string;
  source: TrackSource;
  track: MediaStreamTrack;
  local: boolean;
}
export class IrTrackAddedEvent extends CustomEvent<IrTrackDetail> {
  static readonly type = 'ir-track-added';
  constructor(detail: IrTrackDetail) {
    super(IrTrackAddedEvent.type, { ...init, detail });
  }
}

export class IrTrackRemovedEvent extends CustomEvent<IrTrackDetail> {
  static readonly type = 'ir-track-removed';
  constructor(detail: IrTrackDetail) {
    super(IrTrackRemovedEvent.type, { ...init, detail });
  }
}

export class IrActiveSpeakerChangeEvent extends CustomEvent<{ peerID: string | null }> {
  static readonly type = 'ir-active-speaker-change';
  constructor(detail: { peerID: string | null }) {
    super(IrActiveSpeakerChangeEvent.type, { ...init, detail });
  }
}

export class IrAudioBlockedEvent extends CustomEvent<{ error?: unknown }> {
  static readonly type = 'ir-audio-blocked';
  constructor(detail: { error?: unknown } = {}) {
    super(IrAudioBlockedEvent.type, { ...init, detail });
  }
}

export class IrDeviceErrorEvent extends CustomEvent<{ kind: 'audioinput' | 'videoinput' | 'display'; error: IrError }> {
  static readonly type = 'ir-device-error';
  constructor(detail: { kind: 'audioinput' | 'videoinput' | 'display'; error: IrError }) {
    super(IrDeviceErrorEvent.type, { ...init, detail });
  }
}

declare global {
  interface HTMLElementEventMap {
    'ir-state-change': IrStateChangeEvent;
    'ir-instance-provisioned': IrInstanceProvisionedEvent;
    'ir-peer-join': IrPeerJoinEvent;
    'ir-peer-leave': IrPeerLeaveEvent;
    'ir-message': IrMessageEvent;
    'ir-error': IrErrorEvent;
    'ir-participant-join': IrParticipantJoinEvent;
    'ir-participant-leave': IrParticipantLeaveEvent;
    'ir-track-added': IrTrackAddedEvent;
    'ir-track-removed': IrTrackRemovedEvent;
    'ir-active-speaker-change': IrActiveSpeakerChangeEvent;
    'ir-audio-blocked': IrAudioBlockedEvent;
    'ir-device-error': IrDeviceErrorEvent;
  }
}
