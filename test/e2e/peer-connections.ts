/** Page-side helpers of the SFU end-to-end tests that reach under the kit to its RTCPeerConnections. */

/**
 * An init script: keeps every RTCPeerConnection of the page in `window.__pcs`, so a test can read
 * receiver stats or make a transport fail.
 */
export function recordPeerConnections(): void {
  const list: RTCPeerConnection[] = [];
  (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = list;
  const handler: ProxyHandler<typeof RTCPeerConnection> = {};
  // Assigned, not written as a method: the page has no `__name` helper for named functions.
  handler.construct = (target, args) => {
    const pc = Reflect.construct(target, args) as RTCPeerConnection;
    list.push(pc);
    return pc;
  };
  window.RTCPeerConnection = new Proxy(window.RTCPeerConnection, handler);
}
