import { expect, fixture, html } from '@open-wc/testing';
import '../../src/define.js';
import { IrError, type IrMediaChannel, type IrWorldInstance } from '../../src/index.js';
import { apiUrl, listInstances, uniqueLocation, waitFor, waitForState } from './helpers.js';

describe('<ir-media-channel>', () => {
  it("waits for its world instance's channel, then joins it", async () => {
    const locationId = uniqueLocation('media');
    const world = await fixture<IrWorldInstance>(html`
      <ir-world-instance api-url=${apiUrl} location-id=${locationId}>
        <ir-media-channel></ir-media-channel>
      </ir-world-instance>
    `);
    const media = world.querySelector('ir-media-channel') as IrMediaChannel;
    await waitForState(world, 'connected');
    await waitForState(media, 'connected');
    const channelId = world.instance?.channelId;
    expect(channelId).to.be.a('string');
    expect(media.resolvedChannelId).to.equal(channelId);
    expect(media.matches(':state(connected)')).to.equal(true);
    expect(media.participants.size).to.equal(0);
    const instances = (await listInstances()).filter((i) => i.channelId === channelId);
    expect(instances).to.have.length(2);
    const mediaInstance = instances.find((i) => i.id !== world.instance?.id);
    expect(mediaInstance?.peers).to.equal(1);
    world.remove();
  });

  it('stays idle outside a world instance until it has a channel-id', async () => {
    const media = await fixture<IrMediaChannel>(html`<ir-media-channel api-url=${apiUrl}></ir-media-channel>`);
    expect(media.state).to.equal('idle');
    media.channelId = `ch-${Math.random().toString(36).slice(2)}`;
    await waitForState(media, 'connected');
    media.remove();
  });

  it('rejects media methods with UNSUPPORTED until media arrives', async () => {
    const media = await fixture<IrMediaChannel>(html`<ir-media-channel></ir-media-channel>`);
    const errors: string[] = [];
    media.addEventListener('ir-error', (event) => errors.push(event.detail.error.code));
    for (const call of [
      () => media.setMicrophoneEnabled(true),
      () => media.setCameraEnabled(true),
      () => media.startScreenShare(),
      () => media.stopScreenShare(),
      () => media.selectDevice('audioinput', 'default'),
      () => media.resumeAudio(),
    ]) {
      try {
        await call();
        throw new Error('expected a rejection');
      } catch (error) {
        expect(IrError.is(error, 'UNSUPPORTED')).to.equal(true);
      }
    }
    expect(errors).to.have.length(6);
    await media.updateComplete;
    const microphone = media.shadowRoot?.querySelector<HTMLButtonElement>('button[part~="microphone"]');
    expect(microphone?.textContent?.trim()).to.equal('Microphone');
    microphone?.click();
    await waitFor(() => errors.length === 7, 'the microphone button did not report UNSUPPORTED');
    expect(media.localStream).to.equal(null);
  });
});
