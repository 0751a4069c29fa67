// CDN build stand-in for `debug` (see slimDependencies() in vite.config.ts), as mediasoup-client,
// awaitqueue and h264-profile-level-id use it: `debug(namespace)` returns a logger with `.log` and
// `.enabled`. Namespaces are switched on by `localStorage.debug` as with the real package (`*`
// wildcards, `-` exclusions, commas or spaces between them); output has the namespace in front but
// no colours or `+Nms` deltas.
function spec() {
  try {
    return globalThis.localStorage?.getItem('debug') ?? '';
  } catch {
    // Storage can be blocked (sandboxed iframes, privacy settings): logging stays off.
    return '';
  }
}

function enabled(namespace) {
  let on = false;
  for (const part of spec().split(/[\s,]+/)) {
    if (!part) continue;
    const skip = part.startsWith('-');
    const pattern = (skip ? part.slice(1) : part).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*');
    if (new RegExp(`^${pattern}$`).test(namespace)) {
      if (skip) return false;
      on = true;
    }
  }
  return on;
}

function debug(namespace) {
  const logger = (format, ...args) => {
    if (logger.enabled) logger.log(`${namespace} ${format}`, ...args);
  };
  logger.namespace = namespace;
  logger.enabled = enabled(namespace);
  logger.log = console.debug.bind(console);
  logger.extend = (sub, delimiter = ':') => debug(`${namespace}${delimiter}${sub}`);
  return logger;
}

debug.enabled = enabled;
module.exports = debug;
module.exports.default = debug;
