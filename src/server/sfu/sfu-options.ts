/** The SFU engine from the server's options: bind and announced addresses, port range, logged at startup. */
import { isIPv4 } from 'node:net';
import type { Logger } from '../logger.js';
import type { ServerOptions } from '../options.js';
import { SfuEngine } from './engine.js';

export function sfuFromOptions(options: ServerOptions, bindHost: string, log: Logger): SfuEngine {
  const listenIp = bindHost === 'localhost' || bindHost === '::' ? '0.0.0.0' : bindHost;
  if (!isIPv4(listenIp)) throw new Error(`the SFU binds IPv4 addresses only, not ${bindHost}`);
  const announced = options.announcedAddress ?? (listenIp === '0.0.0.0' ? '127.0.0.1' : listenIp);
  if (!isIPv4(announced) || announced === '0.0.0.0') {
    throw new Error(`announcedAddress must be an IPv4 address clients can reach, not ${announced}`);
  }
  const range = options.rtcPorts;
  if (range && !(range[0] >= 1 && range[1] <= 65_535 && range[0] <= range[1])) {
    throw new Error(`rtcPorts must be a range within 1-65535, not ${range.join('-')}`);
  }
  const ports = range ? `${range[0]}-${range[1]}` : 'any free port';
  // A wrong announced address is the usual reason SFU media never flows: say it where operators look.
  log.info(
    { part: 'sfu', listenIp, announcedAddress: announced, udpPorts: ports },
    `SFU ICE candidates: udp ${announced}:<port in ${ports}> (bound on ${listenIp}); browsers must reach ${announced}`,
  );
  if (options.announcedAddress === undefined && listenIp === '0.0.0.0') {
    log.warn({ part: 'sfu' }, 'bound on every interface without --announced-address: candidates say 127.0.0.1');
  }
  return new SfuEngine({
    listenIp,
    announcedAddress: announced,
    ...(range ? { portRange: range } : {}),
    ...(options.rtcConnectTimeoutMs !== undefined ? { connectTimeoutMs: options.rtcConnectTimeoutMs } : {}),
  });
}
