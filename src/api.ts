/**
 * The kit's side-effect-free API as the CDN build exports it too: element classes, event classes,
 * the registry and errors. Importing it registers nothing and touches no DOM; `ir-rooms/define`
 * registers the tags. index.ts adds the classes and tables the CDN build leaves in lazy chunks
 * (HttpProvisioner, ExponentialBackoffPolicy, the media channel's strings): only their types are here.
 */
export { IrError, type IrErrorOptions } from './core/errors.js';
export {
  ConnectionState,
  type InstanceInfo,
  type InstanceKind,
  type InstanceSpec,
  type Peer,
  type PeerMessage,
  type SendOptions,
  type TokenProvider,
} from './core/instance-spec.js';
export { type LogLevel, setLogLevel } from './core/logger.js';
export { getPagePeerID } from './core/peer-id.js';
export * from './elements/events.js';
export { IrMediaChannel, type MediaChannelTheme } from './elements/media-channel/media-channel.js';
export type {
  DeviceErrorKind,
  DeviceSelectKind,
  MediaChannelStringOverrides,
  MediaChannelStrings,
} from './elements/media-channel/strings.js';
export { IrRoomsProvider } from './elements/rooms-provider/rooms-provider.js';
export { IrWorldInstance } from './elements/world-instance/world-instance.js';
export { ErrorCode } from './protocol/errors.js';
export type { HttpProvisioner, HttpProvisionerOptions } from './provisioning/http-provisioner.js';
export type { Provisioner, ProvisionOptions } from './provisioning/provisioner.js';
export type {
  BackoffOptions,
  ExponentialBackoffPolicy,
  RetryContext,
  RetryPolicy,
} from './provisioning/retry-policy.js';
export {
  type AcquireSpec,
  acquire,
  type ConnectionFactory,
  type ConnectionLike,
  InstanceRegistry,
  type InstanceRegistryOptions,
  instanceRegistry,
  type Lease,
  type RegistryInstance,
  type RemoteTracks,
} from './registry/instance-registry.js';
export type { LeaseEventMap } from './registry/lease-events.js';
export { registerTransport, type TransportLoader } from './transports/registry.js';
export type {
  RemoteTrack,
  TransportAdapter,
  TransportCallbacks,
  TransportClose,
  TransportContext,
  TransportHandle,
} from './transports/transport-adapter.js';
