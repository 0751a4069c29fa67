/** What the fault tests count inside a page: its RTCPeerConnections and WebSockets. */

export interface OpenConnections {
  /** RTCPeerConnections not closed. */
  pcs: number;
  /** WebSockets not closed. */
  sockets: number;
  /** RTCPeerConnections ever made. */
  made: number;
}

declare global {
  interface Window {
    /** Set by countConnections(). */
    __open: () => OpenConnections;
  }
}

/**
 * An init script: counts the page's RTCPeerConnections and WebSockets that are not closed. Held
 * weakly: a list of the objects themselves would keep them from the garbage collector (and
 * Chromium refuses a 501st RTCPeerConnection that is not collected, closed or not).
 */
export function countConnections(): void {
  const pcs: WeakRef<RTCPeerConnection>[] = [];
  const sockets: WeakRef<WebSocket>[] = [];
  let made = 0;
  const pcHandler: ProxyHandler<typeof RTCPeerConnection> = {};
  pcHandler.construct = (target, args) => {
    const pc = Reflect.construct(target, args) as RTCPeerConnection;
    pcs.push(new WeakRef(pc));
    made++;
    return pc;
  };
  window.RTCPeerConnection = new Proxy(window.RTCPeerConnection, pcHandler);
  const wsHandler: ProxyHandler<typeof WebSocket> = {};
  wsHandler.construct = (target, args) => {
    const socket = Reflect.construct(target, args) as WebSocket;
    sockets.push(new WeakRef(socket));
    return socket;
  };
  window.WebSocket = new Proxy(window.WebSocket, wsHandler);
  window.__open = () => ({
    pcs: pcs.filter((ref) => {
      const pc = ref.deref();
      return pc !== undefined && pc.signalingState !== 'closed';
    }).length,
    sockets: sockets.filter((ref) => {
      const socket = ref.deref();
      return socket !== undefined && socket.readyState !== WebSocket.CLOSED;
    }).length,
    made,
  });
}
