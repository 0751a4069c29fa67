// Options for `cem analyze` beyond the flags in package.json's `analyze` script.
export default {
  // package.json already names custom-elements.json; the analyzer must not rewrite it (the
  // freshness check writes a manifest elsewhere and would point package.json at that copy).
  packagejson: false,
};
