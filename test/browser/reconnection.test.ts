import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../../src/define.js';
import type { IrWorldInstance } from '../../src/index.js';
import { apiUrl, instancesOf, recordStates, uniqueLocation, waitFor, waitForState } from './helpers.js';

function worldElement(locationId: string): IrWorldInstance {
  const el = document.createElement('ir-world-instance');
  el.setAttribute('api-url', apiUrl);
  el.setAttribute('location-id', locationId);
  return el;
}

describe('reconnection', () => {
  it('reconnect() rejoins the same instance', async () => {
    const locationId = uniqueLocation('again');
    const el = worldElement(locationId);
    document.body.append(el);
    await waitForState(el, 'connected');
    const instanceId = el.instance?.id;
    const states = recordStates(el);
    await el.reconnect();
    expect(states).to.deep.equal(['reconnecting', 'connected']);
    expect(el.instance?.id).to.equal(instanceId);
    await waitFor(async () => (await instancesOf(locationId))[0]?.peers === 1, 'not exactly one peer after rejoining');
    el.remove();
  });

  it('provisions again when the server restarts, with a fresh guest login', async () => {
    const locationId = uniqueLocation('restart');
    const el = worldElement(locationId);
    document.body.append(el);
    await waitForState(el, 'connected');
    const oldInstance = el.instance?.id;
    const states = recordStates(el);
    await executeServerCommand('ir-server', { action: 'restart' });
    await waitFor(() => el.state === 'connected' && el.instance?.id !== oldInstance, 'did not recover', 15_000);
    expect(states[0]).to.equal('reconnecting');
    expect(states).to.not.include('failed');
    const instances = await instancesOf(locationId);
    expect(instances.map((i) => [i.id, i.peers])).to.deep.equal([[el.instance?.id, 1]]);
    el.remove();
  });
});
