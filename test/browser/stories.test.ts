import { expect } from '@open-wc/testing';
import { expectNoSeriousA11yViolations } from './axe.js';
import { rejection } from './helpers.js';

describe('the accessibility check (test/browser/axe.ts)', () => {
  function shadowHost(markup: string): { host: HTMLElement; inner: Element } {
    const host = document.createElement('div');
    const root = host.attachShadow({ mode: 'open' });
    root.innerHTML = `<section>${markup}</section>`;
    document.body.append(host);
    return { host, inner: root.querySelector('section') as Element };
  }

  it('finds a nameless button inside a shadow root, given the host or a node inside it', async () => {
    const { host, inner } = shadowHost('<button type="button"><svg></svg></button>');
    try {
      const fromHost = await rejection(expectNoSeriousA11yViolations(host));
      expect(String(fromHost)).to.contain('button-name');
      const fromInside = await rejection(expectNoSeriousA11yViolations(inner));
      expect(String(fromInside)).to.contain('button-name');
    } finally {
      host.remove();
    }
  });

  it('passes a labelled control and ignores minor findings', async () => {
    const { host } = shadowHost('<button type="button" aria-label="Microphone"></button>');
    try {
      await expectNoSeriousA11yViolations(host);
    } finally {
      host.remove();
    }
  });
});
