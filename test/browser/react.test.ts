/**
 * The React wrappers (`ir-rooms/react`) rendered by react-dom in Chromium against the test's
 * reference server. The handlers below are typed by the wrappers alone: `event.detail.state` would
 * not compile if `onIrStateChange` handed a plain `Event`.
 */
import { expect } from '@open-wc/testing';
import { createElement, type ReactNode } from 'react';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import type { ConnectionState, IrStateChangeEvent } from '../../src/index.js';
import { IrMediaChannel as IrMediaChannelElement, IrWorldInstance as IrWorldInstanceElement } from '../../src/index.js';
import { IrMediaChannel, IrRoomsProvider, IrWorldInstance } from '../../src/react/index.js';
import { apiUrl, seatsOf, testEnv, uniqueLocation, waitFor } from './helpers.js';

/** How long until a released seat is free on the test server. */
const SEAT_FREE_MS = testEnv.reservationTtlMs + testEnv.instanceGraceMs + 4000;

/**
 * Renders into a fresh container in the document, committed before `render` returns (React
 * otherwise commits later, and the test would race the wrapper's listener updates); `done()`
 * unmounts and removes it.
 */
function mount(): { render(node: ReactNode): void; container: HTMLElement; done(): void } {
  const container = document.createElement('div');
  document.body.append(container);
  const root: Root = createRoot(container);
  return {
    container,
    render: (node) => flushSync(() => root.render(node)),
    done() {
      root.unmount();
      container.remove();
    },
  };
}

describe('ir-rooms/react', () => {
  it('renders <ir-world-instance> with its props and hands onIrStateChange the typed event until connected', async () => {
    const locationId = uniqueLocation('react');
    const states: ConnectionState[] = [];
    const view = mount();
    view.render(
      createElement(IrWorldInstance, {
        apiUrl,
        locationId,
        headless: true,
        onIrStateChange: (event) => {
          const typed: IrStateChangeEvent = event;
          states.push(typed.detail.state);
        },
      }),
    );
    await waitFor(() => states.includes('connected'), `onIrStateChange never saw connected (saw ${states.join(', ')})`);
    expect(states).to.deep.equal(['provisioning', 'connecting', 'connected']);

    // The wrapper rendered the registered element and set its props as properties.
    const element = view.container.querySelector('ir-world-instance');
    expect(element).to.be.instanceOf(IrWorldInstanceElement);
    expect(element?.locationId).to.equal(locationId);
    expect(element?.headless).to.equal(true);
    expect(element?.state).to.equal('connected');
    expect(await seatsOf(locationId)).to.equal(1);

    // Unmounting removes the element, which releases its seat.
    view.done();
    await waitFor(async () => (await seatsOf(locationId)) === 0, 'the seat was never released', SEAT_FREE_MS);
  });

  it('swaps a handler on re-render, so only the newest one hears the element', async () => {
    const locationId = uniqueLocation('react-swap');
    const first: ConnectionState[] = [];
    const second: ConnectionState[] = [];
    const view = mount();
    const render = (onIrStateChange: (event: IrStateChangeEvent) => void) =>
      view.render(createElement(IrWorldInstance, { apiUrl, locationId, onIrStateChange }));
    render((event) => first.push(event.detail.state));
    await waitFor(() => first.includes('connected'), 'the first handler never saw connected');

    render((event) => second.push(event.detail.state));
    const element = view.container.querySelector('ir-world-instance');
    if (!element) throw new Error('the wrapper rendered no <ir-world-instance>');
    const before = first.length;
    await element.reconnect();
    await waitFor(
      () => second.at(-1) === 'connected',
      `the new handler never saw connected (saw ${second.join(', ')})`,
    );
    expect(first.length, 'the replaced handler still hears the element').to.equal(before);
    view.done();
  });

  it('passes the provider’s apiUrl to a world instance and its media channel, whose events reach their props', async () => {
    const locationId = uniqueLocation('react-provider');
    const channelStates: ConnectionState[] = [];
    let provisioned: string | undefined;
    const view = mount();
    view.render(
      createElement(
        IrRoomsProvider,
        { apiUrl },
        createElement(
          IrWorldInstance,
          { locationId, onIrInstanceProvisioned: (event) => (provisioned = event.detail.instance.locationId) },
          createElement(IrMediaChannel, { onIrStateChange: (event) => channelStates.push(event.detail.state) }),
        ),
      ),
    );
    await waitFor(
      () => channelStates.includes('connected'),
      `the media channel's onIrStateChange never saw connected (saw ${channelStates.join(', ')})`,
    );
    expect(provisioned).to.equal(locationId);
    expect(view.container.querySelector('ir-media-channel')).to.be.instanceOf(IrMediaChannelElement);
    view.done();
  });
});
