/** What `<ir-rooms-provider>` hands down to the kit's elements below it. */
import { createContext } from '@lit/context';
import type { TokenProvider } from '../../core/instance-spec.js';
import type { IceServer } from '../../protocol/index.js';

export interface RoomsContextValue {
  apiUrl?: string;
  token?: string;
  tokenProvider?: TokenProvider;
  iceServers?: IceServer[];
}

export const roomsContext = createContext<RoomsContextValue>('ir-rooms');
