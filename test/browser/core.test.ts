import { expect } from '@open-wc/testing';
import { anySignal, delay, timeoutSignal } from '../../src/core/abort.js';
import { IrError } from '../../src/core/errors.js';
import { redact } from '../../src/core/logger.js';
import { getPagePeerID } from '../../src/core/peer-id.js';

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
