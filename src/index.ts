/**
 * The kit's side-effect-free API (api.ts), plus the media channel's string tables, which the CDN
 * build (ir-rooms.ts) leaves in the media channel's lazy chunk. Importing it registers nothing and
 * touches no DOM; `ir-rooms/define` registers the tags.
 */
export * from './api.js';
export { mediaChannelLocales, resolveStrings } from './elements/media-channel/strings.js';
