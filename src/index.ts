/**
 * The kit's side-effect-free API (api.ts), plus what the CDN build (ir-rooms.ts) leaves in lazy
 * chunks: the HTTP provisioner and backoff policy (the connection chunk) and the media channel's
 * string tables (its body's chunk). Importing it registers nothing and
 * touches no DOM; `ir-rooms/define` registers the tags.
 */
export * from './api.js';
export { mediaChannelLocales, resolveStrings } from './elements/media-channel/strings.js';
export { HttpProvisioner } from './provisioning/http-provisioner.js';
export { ExponentialBackoffPolicy } from './provisioning/retry-policy.js';
