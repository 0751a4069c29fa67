import { expect } from '@open-wc/testing';
import * as api from '../../src/index.js';

describe('the ir-rooms API', () => {
  it('registers no element when imported', () => {
    expect(api.IrWorldInstance).to.be.a('function');
    expect(customElements.get('ir-world-instance')).to.equal(undefined);
    expect(customElements.get('ir-media-channel')).to.equal(undefined);
    expect(customElements.get('ir-rooms-provider')).to.equal(undefined);
  });

  it('exports the public names of the design', () => {
    for (const name of [
      'IrWorldInstance',
      'IrMediaChannel',
      'IrRoomsProvider',
      'IrStateChangeEvent',
      'IrPeerJoinEvent',
      'IrErrorEvent',
      'instanceRegistry',
      'acquire',
      'IrError',
      'ErrorCode',
      'registerTransport',
    ]) {
      expect(api, name).to.have.property(name);
    }
    expect(api.instanceRegistry.connected.get()).to.equal(false);
    expect(api.instanceRegistry.instances.get().size).to.equal(0);
  });

  it('define registers every tag once and tolerates a tag defined elsewhere', async () => {
    class Elsewhere extends HTMLElement {}
    customElements.define('ir-rooms-provider', Elsewhere);
    await import('../../src/define.js');
    expect(customElements.get('ir-rooms-provider')).to.equal(Elsewhere);
    expect(customElements.get('ir-world-instance')).to.equal(api.IrWorldInstance);
    expect(customElements.get('ir-media-channel')).to.equal(api.IrMediaChannel);
  });

  it('lets an app register its own transport by name', async () => {
    api.registerTransport('test-transport', async () => ({
      name: 'test-transport',
      connect: () => Promise.reject(new api.IrError('UNSUPPORTED', 'test transport')),
    }));
    const { loadTransport } = await import('../../src/transports/registry.js');
    expect((await loadTransport('test-transport')).name).to.equal('test-transport');
    try {
      await loadTransport('missing');
      throw new Error('expected a rejection');
    } catch (error) {
      expect(api.IrError.is(error, 'UNSUPPORTED')).to.equal(true);
    }
  });
});
