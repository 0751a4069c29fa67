/** The CDN / CMS drop-in: the whole API, with every element registered. */
export * from './index.js';

import './define.js';
