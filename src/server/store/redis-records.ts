/**
 * What the Redis store keeps as JSON (instance records, server registrations), read back through
 * a schema: Redis is another process, and what it answers is checked before it is trusted.
 */
import * as v from 'valibot';
import type { InstanceRecord, ServerRegistration } from './store.js';

/** What the store keeps of a record under `record:<id>`; authorized users live in their own list. */
const StoredRecord = v.object({
  id: v.string(),
  kind: v.picklist(['world', 'media']),
  locationId: v.nullable(v.string()),
  channelId: v.string(),
  roomCode: v.string(),
  p2p: v.boolean(),
  private: v.boolean(),
  capacity: v.number(),
  server: v.string(),
  hostPeerId: v.string(),
  worldInstanceId: v.nullable(v.string()),
  createdAt: v.number(),
  createdBy: v.optional(v.string()),
});

const StoredServer = v.object({
  id: v.string(),
  address: v.string(),
  capacity: v.number(),
  load: v.number(),
});

type StoredRecordValue = Omit<InstanceRecord, 'authorizedUsers'>;

/**
 * Records already checked, by their exact JSON: a join reads the same few records over and over,
 * and a record that changes is another string. Bounded; emptied when full.
 */
const checked = new Map<string, Readonly<StoredRecordValue>>();
const CHECKED_RECORDS = 1024;

export function parseRecord(json: string, id: string): StoredRecordValue {
  const known = checked.get(json);
  if (known) return known;
  const record = Object.freeze(checkRecord(json, id));
  if (checked.size >= CHECKED_RECORDS) checked.clear();
  checked.set(json, record);
  return record;
}

function checkRecord(json: string, id: string): StoredRecordValue {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(`the Redis record of instance ${id} is not JSON`);
  }
  const result = v.safeParse(StoredRecord, value);
  if (!result.success) {
    throw new Error(`the Redis record of instance ${id} is malformed: ${result.issues[0]?.message ?? 'invalid'}`);
  }
  return result.output;
}

export function parseServer(json: string): ServerRegistration {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('a server registration in Redis is not JSON');
  }
  const result = v.safeParse(StoredServer, value);
  if (!result.success) throw new Error(`a server registration in Redis is malformed: ${result.issues[0]?.message}`);
  return result.output;
}
