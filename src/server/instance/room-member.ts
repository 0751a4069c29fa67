/**
 * A peer inside an instance, across its sockets: its user, its peerIndex and (through the media
 * side) its transports and producers. A socket that drops without leaving leaves the member *held*
 * for a grace period: the others see no PEER_LEFT, its media keeps flowing, what the host writes to
 * it waits in a bounded buffer, and a new socket with the same peerID and user that asks to resume
 * takes it over (PROTOCOL.md §4).
 */
import type { User } from '../../protocol/index.js';
import type { MediaPeer } from './media-types.js';
import type { PeerSession } from './peer-session.js';

/** Frames kept for a held member; past this it cannot catch up and departs instead. */
export const HELD_FRAMES_LIMIT = 512;

export class RoomMember implements MediaPeer {
  readonly peerId: string;
  readonly user: User;
  readonly peerIndex: number;
  /** The socket it speaks through; null while held. */
  socket: PeerSession | null;
  /** It left the instance (cleanly, kicked, or its hold lapsed): nothing reaches it any more. */
  gone = false;
  #held: unknown[] = [];
  #holdTimer: NodeJS.Timeout | undefined;
  #overflow: (() => void) | undefined;

  constructor(peerId: string, user: User, peerIndex: number, socket: PeerSession) {
    this.peerId = peerId;
    this.user = user;
    this.peerIndex = peerIndex;
    this.socket = socket;
  }

  get open(): boolean {
    return !this.gone;
  }

  get held(): boolean {
    return !this.gone && this.socket === null;
  }

  /** To its socket; kept for later while held. */
  write(data: unknown): void {
    if (this.gone) return;
    if (this.socket) {
      this.socket.write(data);
      return;
    }
    if (this.#held.length >= HELD_FRAMES_LIMIT) {
      this.#overflow?.();
      return;
    }
    this.#held.push(data);
  }

  /**
   * Its socket ended without a leave: `lapse` runs after `graceMs` unless a socket resumes it
   * first, and at once if the buffer overflows.
   */
  hold(graceMs: number, lapse: () => void): void {
    this.socket = null;
    this.#held = [];
    let lapsed = false;
    const once = () => {
      if (lapsed || this.gone) return;
      lapsed = true;
      this.release();
      lapse();
    };
    this.#overflow = once;
    this.#holdTimer = setTimeout(once, graceMs);
    this.#holdTimer.unref();
  }

  /** A new socket takes over; what was written meanwhile is returned, to follow the handshake. */
  resume(socket: PeerSession): unknown[] {
    this.release();
    this.socket = socket;
    return this.#held.splice(0);
  }

  /** Stops the hold's timer (it resumed, departed, or the instance ended). */
  release(): void {
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    this.#overflow = undefined;
  }
}
