import { expect } from '@open-wc/testing';
import { html, LitElement } from 'lit';
import { anySignal, delay, timeoutSignal } from '../../src/core/abort.js';
import { IrError } from '../../src/core/errors.js';
import { redact } from '../../src/core/logger.js';
import { getPagePeerID } from '../../src/core/peer-id.js';
import { computed, SignalWatcher, signal } from '../../src/core/signals.js';

describe('core helpers', () => {
  it('delay rejects with the abort reason itself', async () => {
    const controller = new AbortController();
    const reason = { why: 'left' };
    const pending = delay(60_000, controller.signal);
    controller.abort(reason);
    try {
      await pending;
      throw new Error('expected a rejection');
    } catch (error) {
      expect(error).to.equal(reason);
    }
  });

  it('links signals and times out with an IrError TIMEOUT', async () => {
    const parent = new AbortController();
    const linked = anySignal([parent.signal, undefined]);
    parent.abort('stop');
    expect(linked.reason).to.equal('stop');
    const timeout = timeoutSignal(10, undefined, 'the test');
    await new Promise((resolve) => timeout.signal.addEventListener('abort', resolve, { once: true }));
    expect(IrError.is(timeout.signal.reason, 'TIMEOUT')).to.equal(true);
  });

  it('never lets a token reach a log line', () => {
    const redacted = redact({
      token: 'eyJ.secret',
      nested: { accessToken: 'eyJ.x', peerID: 'p' },
      list: [{ jwtSecret: 1 }],
    });
    expect(JSON.stringify(redacted)).to.not.include('eyJ');
    expect(redacted).to.deep.equal({
      token: '[redacted]',
      nested: { accessToken: '[redacted]', peerID: 'p' },
      list: [{ jwtSecret: '[redacted]' }],
    });
  });

  it('has one peerID per page', () => {
    expect(getPagePeerID()).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(getPagePeerID()).to.equal(getPagePeerID());
  });
});

describe('signals and SignalWatcher', () => {
  let renders = 0;
  const count = signal(0);
  const doubled = computed(() => count.get() * 2);

  class Watching extends SignalWatcher(LitElement) {
    protected override render() {
      renders++;
      return html`<span>${doubled.get()}</span>`;
    }
  }
  customElements.define('test-signal-watching', Watching);

  const text = (el: Element) => el.shadowRoot?.querySelector('span')?.textContent;

  it('computes a derived signal when read, and once per change', () => {
    const seen: number[] = [];
    const derived = computed(() => {
      seen.push(count.get());
      return count.get() + 1;
    });
    expect(seen).to.deep.equal([]);
    expect(derived.get()).to.equal(count.get() + 1);
    expect(derived.get()).to.equal(count.get() + 1);
    expect(seen).to.have.length(1);
  });

  it('re-renders an element when a signal its render read changes, once per change', async () => {
    const el = document.createElement('test-signal-watching') as Watching;
    document.body.append(el);
    await el.updateComplete;
    const before = renders;
    expect(text(el)).to.equal(String(count.get() * 2));
    count.set(count.get() + 1);
    await el.updateComplete;
    expect(text(el)).to.equal(String(count.get() * 2));
    expect(renders).to.equal(before + 1);
    // The same value again is no change.
    count.set(count.get());
    await el.updateComplete;
    expect(renders).to.equal(before + 1);
    el.remove();
  });

  it('stops watching when removed, and shows the latest value when inserted again', async () => {
    const el = document.createElement('test-signal-watching') as Watching;
    document.body.append(el);
    await el.updateComplete;
    el.remove();
    const before = renders;
    count.set(count.get() + 1);
    count.set(count.get() + 1);
    await el.updateComplete;
    expect(renders, 'a removed element re-rendered on a signal change').to.equal(before);
    document.body.append(el);
    await el.updateComplete;
    expect(text(el)).to.equal(String(count.get() * 2));
    el.remove();
  });
});
