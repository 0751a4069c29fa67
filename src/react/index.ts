/**
 * React wrappers for the kit's elements (`ir-rooms/react`), made with @lit/react: element
 * properties become props, and every event of an element is an `on…` prop typed with its event
 * class. React stays the app's own copy: the build keeps `react` and `@lit/react` external.
 *
 * Importing this module registers the tags, as `ir-rooms/define` does: the wrappers render
 * `<ir-world-instance>` and friends, which would stay inert without a definition, and a React
 * app has no other natural place to register them. `define` does nothing where there is no
 * `customElements` (server rendering) and skips tags already defined (a second copy of the kit).
 */
import { createComponent, type EventName } from '@lit/react';
import * as React from 'react';
import '../define.js';
import {
  IrActiveSpeakerChangeEvent,
  IrAudioBlockedEvent,
  IrDeviceErrorEvent,
  IrErrorEvent,
  IrInstanceProvisionedEvent,
  IrMessageEvent,
  IrParticipantJoinEvent,
  IrParticipantLeaveEvent,
  IrPeerJoinEvent,
  IrPeerLeaveEvent,
  IrStateChangeEvent,
  IrTrackAddedEvent,
  IrTrackRemovedEvent,
} from '../elements/events.js';
import { IrMediaChannel as IrMediaChannelElement } from '../elements/media-channel/media-channel.js';
import { IrRoomsProvider as IrRoomsProviderElement } from '../elements/rooms-provider/rooms-provider.js';
import { IrWorldInstance as IrWorldInstanceElement } from '../elements/world-instance/world-instance.js';

/** The event's name, typed so @lit/react gives the handler prop the event's class. */
function eventName<E extends Event>(event: { readonly type: string; prototype: E }): EventName<E> {
  return event.type as EventName<E>;
}

/** `<ir-world-instance>`: the events of its JSDoc, as `onIrStateChange` … `onIrError`. */
export const IrWorldInstance = createComponent({
  react: React,
  tagName: 'ir-world-instance',
  elementClass: IrWorldInstanceElement,
  displayName: 'IrWorldInstance',
  events: {
    onIrStateChange: eventName(IrStateChangeEvent),
    onIrInstanceProvisioned: eventName(IrInstanceProvisionedEvent),
    onIrPeerJoin: eventName(IrPeerJoinEvent),
    onIrPeerLeave: eventName(IrPeerLeaveEvent),
    onIrMessage: eventName(IrMessageEvent),
    onIrError: eventName(IrErrorEvent),
  },
});

/** `<ir-media-channel>`: the events of its JSDoc, as `onIrStateChange` … `onIrError`. */
export const IrMediaChannel = createComponent({
  react: React,
  tagName: 'ir-media-channel',
  elementClass: IrMediaChannelElement,
  displayName: 'IrMediaChannel',
  events: {
    onIrStateChange: eventName(IrStateChangeEvent),
    onIrParticipantJoin: eventName(IrParticipantJoinEvent),
    onIrParticipantLeave: eventName(IrParticipantLeaveEvent),
    onIrTrackAdded: eventName(IrTrackAddedEvent),
    onIrTrackRemoved: eventName(IrTrackRemovedEvent),
    onIrActiveSpeakerChange: eventName(IrActiveSpeakerChangeEvent),
    onIrAudioBlocked: eventName(IrAudioBlockedEvent),
    onIrDeviceError: eventName(IrDeviceErrorEvent),
    onIrError: eventName(IrErrorEvent),
  },
});

/** `<ir-rooms-provider>`: fires no events; its `apiUrl`, `token`, `tokenProvider` and `iceServers` reach descendants. */
export const IrRoomsProvider = createComponent({
  react: React,
  tagName: 'ir-rooms-provider',
  elementClass: IrRoomsProviderElement,
  displayName: 'IrRoomsProvider',
});
