import { expect, fixture, html } from '@open-wc/testing';
import '../../src/define.js';
import type { IrMediaChannel, IrRoomsProvider, IrWorldInstance } from '../../src/index.js';
import { apiUrl, guestToken, uniqueLocation, waitFor, waitForState } from './helpers.js';

describe('<ir-rooms-provider>', () => {
  it('hands its api-url and tokenProvider to the elements inside it', async () => {
    const token = await guestToken('Provided');
    let asked = 0;
    const provider = await fixture<IrRoomsProvider>(html`<ir-rooms-provider api-url=${apiUrl}></ir-rooms-provider>`);
    provider.tokenProvider = async () => {
      asked++;
      return token;
    };
    await provider.updateComplete;
    const el = document.createElement('ir-world-instance') as IrWorldInstance;
    el.setAttribute('location-id', uniqueLocation('provided'));
    provider.append(el);
    await waitForState(el, 'connected');
    expect(el.instance?.id).to.be.a('string');
    // Once before the join that provisioned.
    expect(asked).to.equal(1);
    await el.reconnect();
    // And once more before the reconnect.
    expect(asked).to.equal(2);
    provider.remove();
  });

  it("lets an element's own attributes win", async () => {
    const provider = await fixture<IrRoomsProvider>(
      html`<ir-rooms-provider api-url="http://127.0.0.1:9/api" token="wrong">
        <ir-world-instance api-url=${apiUrl} token="" location-id=${uniqueLocation('own')}></ir-world-instance>
      </ir-rooms-provider>`,
    );
    const el = provider.querySelector('ir-world-instance') as IrWorldInstance;
    el.token = await guestToken('Own');
    await waitForState(el, 'connected');
    provider.remove();
  });
});

describe('<ir-rooms-provider> iceServers', () => {
  it('reach the SFU transports of a media channel inside it', async () => {
    const configs: RTCConfiguration[] = [];
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Native {
      constructor(configuration?: RTCConfiguration) {
        super(configuration);
        configs.push(configuration ?? {});
      }
    };
    try {
      const turn = { urls: 'turn:127.0.0.1:3478?transport=udp', username: 'user', credential: 'secret' };
      const provider = await fixture<IrRoomsProvider>(html`
        <ir-rooms-provider api-url=${apiUrl} .iceServers=${[turn]}>
          <ir-media-channel channel-id=${uniqueLocation('ice')} audio></ir-media-channel>
        </ir-rooms-provider>
      `);
      const media = provider.querySelector('ir-media-channel') as IrMediaChannel;
      await waitForState(media, 'connected');
      await waitFor(() => media.microphoneEnabled, 'the microphone was not published');
      const withServers = configs.filter((c) => (c.iceServers ?? []).length > 0);
      expect(withServers.length, 'a transport with ICE servers').to.be.greaterThan(0);
      for (const config of withServers) expect(config.iceServers).to.deep.equal([turn]);
      provider.remove();
    } finally {
      window.RTCPeerConnection = Native;
    }
  });
});
