/**
 * Actions kept for late joiners (`$cache`), bounded per peer and in total, by count and by size.
 * A peer's actions leave with it, so the cache holds the present, not the history.
 */
import { type Action, ActionType } from '../../protocol/index.js';

const MAX_PER_PEER = 256;
const MAX_BYTES_PER_PEER = 1024 * 1024;
const MAX_TOTAL = 10_000;
const MAX_TOTAL_BYTES = 16 * 1024 * 1024;

interface Entry {
  action: Action;
  bytes: number;
}

export class ActionCache {
  #entries: Entry[] = [];
  #bytes = 0;

  add(action: Action): void {
    const cache = action.$cache;
    if (
      typeof cache === 'object' &&
      cache !== null &&
      (cache as { removePrevious?: unknown }).removePrevious === true
    ) {
      this.#keep((e) => !(e.action.type === action.type && e.action.$peer === action.$peer));
    }
    const entry = { action, bytes: JSON.stringify(action).length };
    this.#entries.push(entry);
    this.#bytes += entry.bytes;
    if (action.type !== ActionType.PEER_JOINED) this.#boundPeer(action.$peer);
    while (this.#entries.length > 1 && (this.#entries.length > MAX_TOTAL || this.#bytes > MAX_TOTAL_BYTES)) {
      // Presence goes last: without it late joiners would not know who is here.
      const victim = this.#entries.find((e) => e.action.type !== ActionType.PEER_JOINED) ?? this.#entries[0]!;
      this.#keep((e) => e !== victim);
    }
  }

  /** Oldest first: a peer that floods the cache loses its own old actions, not others'. */
  #boundPeer(peer: string | undefined): void {
    let own = this.#entries.filter((e) => e.action.$peer === peer && e.action.type !== ActionType.PEER_JOINED);
    let ownBytes = own.reduce((sum, e) => sum + e.bytes, 0);
    while (own.length > 1 && (own.length > MAX_PER_PEER || ownBytes > MAX_BYTES_PER_PEER)) {
      const oldest = own[0]!;
      this.#keep((e) => e !== oldest);
      own = own.slice(1);
      ownBytes -= oldest.bytes;
    }
  }

  /** Drops a peer's own actions and its PEER_JOINED (sent by the host on its behalf). */
  removePeer(peerId: string): void {
    this.#keep(
      (e) => e.action.$peer !== peerId && !(e.action.type === ActionType.PEER_JOINED && e.action.peerID === peerId),
    );
  }

  /** Drops the actions `predicate` picks (the media host replaces or withdraws its own). */
  remove(predicate: (action: Action) => boolean): void {
    this.#keep((e) => !predicate(e.action));
  }

  list(): Action[] {
    return this.#entries.map((e) => e.action);
  }

  get size(): number {
    return this.#entries.length;
  }

  #keep(predicate: (entry: Entry) => boolean): void {
    this.#entries = this.#entries.filter(predicate);
    this.#bytes = this.#entries.reduce((sum, e) => sum + e.bytes, 0);
  }
}
