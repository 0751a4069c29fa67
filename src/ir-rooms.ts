/**
 * The CDN / CMS drop-in: the API with every element registered. What lives in lazy chunks is not
 * exported here: `HttpProvisioner` and `ExponentialBackoffPolicy` (a custom registry can pass its
 * own objects of those shapes) and the media channel's string tables (set `strings` or `lang`).
 */
export * from './api.js';

import './define.js';
