// CDN build stand-in for peerjs-js-binarypack (see slimDependencies() in vite.config.ts): PeerJS
// imports it for its BinaryPack serializer, and the P2P adapter opens every data channel with
// `serialization: 'raw'`, so these are never called.
const missing = () => {
  throw new Error('ir-rooms: PeerJS binary serialization is not included in this build');
};

export const pack = missing;
export const unpack = missing;
