/**
 * Actions kept for late joiners (`$cache`), bounded per peer and in total. A peer's actions leave
 * with it, so the cache holds the present, not the history.
 */
import { type Action, ActionType } from '../../protocol/index.js';

const MAX_PER_PEER = 256;
const MAX_TOTAL = 10_000;

export class ActionCache {
  #actions: Action[] = [];

  add(action: Action): void {
    const cache = action.$cache;
    if (
      typeof cache === 'object' &&
      cache !== null &&
      (cache as { removePrevious?: unknown }).removePrevious === true
    ) {
      this.#actions = this.#actions.filter((a) => !(a.type === action.type && a.$peer === action.$peer));
    }
    this.#actions.push(action);
    const own = this.#actions.filter((a) => a.$peer === action.$peer);
    if (own.length > MAX_PER_PEER) this.#remove(own[0]!);
    if (this.#actions.length > MAX_TOTAL) this.#actions.shift();
  }

  /** Drops a peer's own actions and its PEER_JOINED (sent by the host on its behalf). */
  removePeer(peerId: string): void {
    this.#actions = this.#actions.filter(
      (a) => a.$peer !== peerId && !(a.type === ActionType.PEER_JOINED && a.peerID === peerId),
    );
  }

  list(): Action[] {
    return [...this.#actions];
  }

  get size(): number {
    return this.#actions.length;
  }

  #remove(action: Action): void {
    const index = this.#actions.indexOf(action);
    if (index >= 0) this.#actions.splice(index, 1);
  }
}
