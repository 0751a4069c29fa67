// Options for `cem analyze` beyond the flags in package.json's `analyze` script.
export default {
  // package.json already names custom-elements.json; the analyzer must not rewrite it (the
  // freshness check writes a manifest elsewhere and would point package.json at that copy).
  packagejson: false,
  plugins: [
    {
      // The analyzer lists modules in the order the file system returns them, which differs
      // between clones; sorting by path makes the manifest (and its freshness check) stable.
      name: 'ir-rooms-sort-modules',
      packageLinkPhase({ customElementsManifest }) {
        customElementsManifest.modules.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      },
    },
  ],
};
