/**
 * One instance socket on the server: its phase in the handshake, who it is, and when it last spoke.
 * Once joined it speaks for a RoomMember, which outlives it when it drops without leaving.
 */
import type { HandshakeFailCode, SocketQuery, User } from '../../protocol/index.js';
import { type CloseMessage, CloseReason } from '../../protocol/index.js';
import type { InstanceRecord } from '../store/store.js';
import type { Spark } from './primus-server.js';
import type { RoomMember } from './room-member.js';

export type SessionPhase = 'opening' | 'authenticating' | 'joined' | 'closed';

export class PeerSession {
  readonly spark: Spark;
  phase: SessionPhase = 'opening';
  query: SocketQuery | null = null;
  instance: InstanceRecord | null = null;
  user: User | null = null;
  /** The peer it speaks for, once joined. */
  member: RoomMember | null = null;
  /** The auth message was seen and its check started (later polls only get `pending`). */
  authStarted = false;
  /** A newer socket with the same peerID took over its seat: its end is not a departure. */
  replaced = false;
  /** The client said it leaves (`{leave: true}`): its end is a departure, not a drop to hold. */
  leaving = false;
  /** The reason this server closed it with, if it did. */
  closedWith: CloseReason | null = null;
  /** The client's address (for limits on guesses). */
  address = '';
  lastHeard = Date.now();
  lastHeartbeatSent = Date.now();

  constructor(spark: Spark) {
    this.spark = spark;
  }

  get peerId(): string {
    return this.query?.peerID ?? '';
  }

  get open(): boolean {
    return this.phase !== 'closed';
  }

  write(data: unknown): void {
    if (this.open) this.spark.write(data);
  }

  /** Writes the reason, then closes: the client knows whether to come back or provision again. */
  close(reason: CloseReason, message?: string): void {
    if (!this.open) return;
    this.closedWith ??= reason;
    const closing: CloseMessage = { closeReason: reason, ...(message ? { message } : {}) };
    this.spark.end(closing);
  }

  /** A refused handshake: the `fail` answer is the reason. */
  fail(error: HandshakeFailCode): void {
    if (!this.open) return;
    this.leaving = true;
    this.spark.end({ status: 'fail', error });
  }

  refuseInstance(): void {
    if (!this.open) return;
    this.spark.write({ instanceReady: false });
    this.spark.end({ closeReason: CloseReason.INSTANCE_ENDED } satisfies CloseMessage);
  }
}
