/**
 * The PeerJS id of a peer in a P2P instance (PROTOCOL.md §3), shared by the kit's p2p adapter and the reference
 * server's PeerServer: derived from the instance id and the peerID so a peer is reachable only
 * inside its instance. PeerJS ids allow letters, digits and single `-`, `_` or space separators.
 */

/** An id PeerJS accepts as one segment: no `_`, no leading, trailing or doubled `-`. */
const SAFE_SEGMENT = /^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/;

function toHex(text: string): string {
  return Array.from(new TextEncoder().encode(text), (b) => b.toString(16).padStart(2, '0')).join('');
}

function fromHex(hex: string): string | null {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-f]+$/.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * `<instanceId>_<peerID>` when both are safe as they are (UUIDs are), else
 * `h_<hex(instanceId)>_<hex(peerID)>`: two segments or three starting with `h`, never ambiguous.
 */
export function p2pPeerJsId(instanceId: string, peerID: string): string {
  if (SAFE_SEGMENT.test(instanceId) && SAFE_SEGMENT.test(peerID)) return `${instanceId}_${peerID}`;
  return `h_${toHex(instanceId)}_${toHex(peerID)}`;
}

/** The instance id and peerID a PeerJS id stands for, or null when it is not one of ours. */
export function parseP2pPeerJsId(id: string): { instanceId: string; peerID: string } | null {
  const parts = id.split('_');
  if (parts.length === 2) {
    const [instanceId, peerID] = parts as [string, string];
    if (!SAFE_SEGMENT.test(instanceId) || !SAFE_SEGMENT.test(peerID)) return null;
    return { instanceId, peerID };
  }
  if (parts.length === 3 && parts[0] === 'h') {
    const instanceId = fromHex(parts[1]!);
    const peerID = fromHex(parts[2]!);
    if (instanceId === null || peerID === null) return null;
    // The canonical form only: the same pair must not have two ids.
    if (p2pPeerJsId(instanceId, peerID) !== id) return null;
    return { instanceId, peerID };
  }
  return null;
}
