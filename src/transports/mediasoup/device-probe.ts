/**
 * A mediasoup-client Device whose browser probes start at once. `Device.load()` asks the browser
 * for its receiving, then its sending RTP capabilities (an RTCPeerConnection and an offer each,
 * one after the other) and can only be called once the router's capabilities arrive with the
 * handshake. The probes depend on the browser alone, so here they start side by side while the
 * socket opens, and `load()` finds them done.
 */
import { Device, detectDeviceAsync } from 'mediasoup-client';
import { Chrome74 } from 'mediasoup-client/handlers/Chrome74';
import { Chrome111 } from 'mediasoup-client/handlers/Chrome111';
import { Firefox120 } from 'mediasoup-client/handlers/Firefox120';
import type { HandlerFactory } from 'mediasoup-client/handlers/HandlerInterface';
import { Safari12 } from 'mediasoup-client/handlers/Safari12';

const BROWSER_HANDLERS: Record<string, () => HandlerFactory> = {
  Chrome111: () => Chrome111.createFactory({}),
  Chrome74: () => Chrome74.createFactory({}),
  Firefox120: () => Firefox120.createFactory({}),
  Safari12: () => Safari12.createFactory({}),
};

type Direction = 'sendonly' | 'recvonly';

/** The Device mediasoup-client would make for this browser, its capability probes under way. */
export async function probedDevice(): Promise<Device> {
  const name = await detectDeviceAsync();
  const make = name === undefined ? undefined : BROWSER_HANDLERS[name];
  // Anything else (React Native) keeps mediasoup-client's own path, probes and errors included.
  if (!make) return Device.factory();
  const handler = make();
  const probes = new Map<Direction, ReturnType<HandlerFactory['getNativeRtpCapabilities']>>();
  for (const direction of ['recvonly', 'sendonly'] as const) {
    const probe = handler.getNativeRtpCapabilities({ direction });
    // A failed probe fails load() as it would have; here it must not go unhandled meanwhile.
    probe.catch(() => undefined);
    probes.set(direction, probe);
  }
  return Device.factory({
    handlerFactory: {
      ...handler,
      getNativeRtpCapabilities: (options) =>
        probes.get(options.direction as Direction) ?? handler.getNativeRtpCapabilities(options),
    },
  });
}
