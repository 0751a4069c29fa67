/**
 * The CDN / CMS drop-in: the API with every element registered. The media channel's string tables
 * (`mediaChannelLocales`, `resolveStrings`) stay in its lazy chunk; set `strings` or `lang` instead.
 */
export * from './api.js';

import './define.js';
