/** Who may enter an instance: anyone, unless it (or the world instance it serves) is private. */
import type { InstanceRecord, Store } from '../store/store.js';

export async function mayEnter(store: Store, instance: InstanceRecord, userId: string): Promise<boolean> {
  if (instance.private && instance.authorizedUsers.includes(userId)) return true;
  if (instance.worldInstanceId) {
    const world = await store.getInstance(instance.worldInstanceId);
    // While the world instance lives its list is the one that grows (joins by room code).
    if (world) return !world.private || world.authorizedUsers.includes(userId);
  }
  return !instance.private;
}
