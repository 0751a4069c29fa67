import { expect } from '@open-wc/testing';
import '../../src/define.js';
import { type IrWorldInstance, registerTransport, type TransportAdapter } from '../../src/index.js';
import { apiUrl, uniqueLocation, waitForState } from './helpers.js';

/** Wraps the built-in adapters so the test sees which one a connection loads. */
const used: string[] = [];
for (const name of ['mediasoup', 'p2p'] as const) {
  registerTransport(name, async () => {
    const module =
      name === 'p2p'
        ? await import('../../src/transports/p2p/p2p-adapter.js')
        : await import('../../src/transports/mediasoup/mediasoup-adapter.js');
    const adapter: TransportAdapter = module.default;
    return {
      name: adapter.name,
      connect: (instance, context) => {
        used.push(adapter.name);
        return adapter.connect(instance, context);
      },
    };
  });
}

function worldElement(locationId: string, topology?: string): IrWorldInstance {
  const el = document.createElement('ir-world-instance');
  el.setAttribute('api-url', apiUrl);
  el.setAttribute('location-id', locationId);
  if (topology) el.setAttribute('topology', topology);
  return el;
}

describe('transport choice', () => {
  beforeEach(() => {
    used.length = 0;
  });

  it('joins an SFU instance through the mediasoup adapter', async () => {
    const el = worldElement(uniqueLocation('sfu'));
    document.body.append(el);
    await waitForState(el, 'connected');
    expect(el.instance?.p2p).to.equal(false);
    expect(used).to.deep.equal(['mediasoup']);
    el.remove();
  });

  it('joins a P2P instance through the p2p adapter', async () => {
    const el = worldElement(uniqueLocation('mesh'), 'p2p');
    document.body.append(el);
    await waitForState(el, 'connected');
    expect(el.instance?.p2p).to.equal(true);
    expect(used).to.deep.equal(['p2p']);
    el.remove();
  });
});
