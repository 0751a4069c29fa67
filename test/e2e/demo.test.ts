// End to end: the demo page of `npm start`, used as a person would — typing, clicking, following an invite link.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { E2eEnvironment, type E2ePage, TIMEOUT, uniqueLocation } from './harness.js';

interface JoinForm {
  location: string;
  name: string;
  camera?: boolean;
  privateRoom?: boolean;
}

/** Fills the join form in and clicks Join, then tracks the room's element as `world`. */
async function joinThroughForm(page: E2ePage, form: JoinForm): Promise<void> {
  const { page: p } = page;
  await p.getByLabel('Location', { exact: true }).fill(form.location);
  await p.getByLabel('Your name', { exact: true }).fill(form.name);
  await p.getByLabel('Camera', { exact: true }).setChecked(form.camera ?? true);
  await p.getByLabel('Create a private room', { exact: true }).setChecked(form.privateRoom ?? false);
  await p.getByRole('button', { name: 'Join', exact: true }).click();
  await adoptRoom(page);
}

/** Tracks the demo's world instance (the page made it, not the test) under the key `world`. */
async function adoptRoom(page: E2ePage): Promise<void> {
  await shows(page, '#stage ir-world-instance', null, 'the room on the page');
  await page.adopt('world', '#stage ir-world-instance');
}

/** Waits until an element matching `selector` (containing `text`) is visible; fails saying what the page shows. */
async function shows(page: E2ePage, selector: string, text: string | null, what: string): Promise<void> {
  const locator = page.page.locator(selector, text === null ? {} : { hasText: text }).first();
  try {
    await locator.waitFor({ state: 'visible', timeout: TIMEOUT.event });
  } catch (error) {
    const shown = await page.page
      .evaluate(() =>
        ['#room-state', '#demo-notice', '#join-error', '#people', '#chat-log']
          .map((id) => `${id}: ${document.querySelector(id)?.textContent?.trim() ?? '(none)'}`)
          .join('\n  '),
      )
      .catch(() => '(page gone)');
    throw new Error(
      `${page.name}: ${what} (${selector}${text === null ? '' : ` with "${text}"`}) never showed\n  ${shown}\n  page log:\n    ${page.log.slice(-15).join('\n    ')}`,
      { cause: error },
    );
  }
}

const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core's violations on the whole page (open shadow roots included), in light and dark. */
async function accessibilityProblems(page: E2ePage): Promise<string[]> {
  const problems: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.page.emulateMedia({ colorScheme });
    await page.page.addScriptTag({ path: AXE_SCRIPT });
    const found = await page.page.evaluate(async () => {
      type Result = { violations: { id: string; nodes: { target: string[]; failureSummary?: string }[] }[] };
      const axe = (window as unknown as { axe: { run(context: Document): Promise<Result> } }).axe;
      const { violations } = await axe.run(document);
      return violations.flatMap((v) => v.nodes.map((n) => `${v.id} at ${n.target.join(' ')}: ${n.failureSummary}`));
    });
    problems.push(...found.map((problem) => `${colorScheme}: ${problem}`));
  }
  await page.page.emulateMedia({ colorScheme: null });
  return problems;
}

async function inviteLinkOf(page: E2ePage): Promise<string> {
  await shows(page, '#copy-invite:not([disabled])', null, 'the copy-invite button, once the room is known');
  return page.page.getByLabel('Invite link', { exact: true }).inputValue();
}

describe('the demo page (npm start)', () => {
  let env: E2eEnvironment;

  before(async () => {
    env = await E2eEnvironment.start();
  });

  after(async () => {
    await env?.close();
  });

  it('two people join a location through the form, see each other and chat; the invite link brings a third into the same room', async (t) => {
    t.after(() => env.closePages());
    const location = uniqueLocation('demo');
    const [ada, bob] = await Promise.all([env.openPage(), env.openPage()]);
    assert.equal(
      await ada.page.locator('ir-world-instance, ir-media-channel').count(),
      0,
      'the demo joins nothing until asked',
    );
    assert.deepEqual(await accessibilityProblems(ada), [], 'the join form passes axe');

    await joinThroughForm(ada, { location, name: 'Ada' });
    // Bob joins without a camera (microphone only).
    await joinThroughForm(bob, { location, name: 'Bob', camera: false });
    const [a, b] = await Promise.all([ada.waitForState('world', 'connected'), bob.waitForState('world', 'connected')]);
    assert.equal(b.instance?.id, a.instance?.id, 'both joined the same instance of the location');
    await shows(ada, '#room-state', 'Connected', 'the connected state');

    // Each sees the other in the demo's list, in the world's status bar and in the media channel.
    await shows(ada, '#people li', 'Bob', "Bob in Ada's list of who is here");
    await shows(bob, '#people li', 'Ada', "Ada in Bob's list of who is here");
    await shows(ada, 'ir-world-instance [part~="peer"][title="Bob"]', null, "Bob in Ada's status bar");
    await shows(ada, `ir-media-channel li[part~="tile"][data-peer-id="${b.selfPeerID}"]`, null, "Bob's tile for Ada");
    await shows(bob, `ir-media-channel li[part~="tile"][data-peer-id="${a.selfPeerID}"]`, null, "Ada's tile for Bob");

    // A chat message, with markup that must stay text.
    const text = 'Hello Ada <img src=x onerror="window.__pwned=1">';
    await shows(bob, '#chat-input:not([disabled])', null, 'the chat input, enabled once connected');
    await bob.page.getByLabel('Message', { exact: true }).fill(text);
    await bob.page.getByRole('button', { name: 'Send', exact: true }).click();
    await shows(bob, '#chat-log li', text, 'his own message in Bob’s chat');
    await shows(ada, '#chat-log li', `Bob: ${text}`, "Bob's message in Ada's chat");
    assert.equal(await ada.page.locator('#chat-log img').count(), 0, 'chat text is never parsed as HTML');
    assert.equal(await ada.page.evaluate(() => (window as { __pwned?: number }).__pwned), undefined);
    assert.deepEqual(await accessibilityProblems(ada), [], 'the room, with the kit’s elements, passes axe');

    // Ada's invite link carries the location and the room code; opened by Cleo, it joins that room.
    const invite = new URL(await inviteLinkOf(ada));
    assert.equal(invite.searchParams.get('location'), location);
    assert.equal(invite.searchParams.get('room'), a.instance?.roomCode);
    assert.equal(invite.searchParams.get('instance'), null, 'a public room needs no instance id');
    const cleo = await env.openPage(invite.href);
    await adoptRoom(cleo);
    const c = await cleo.waitForState('world', 'connected');
    assert.equal(c.instance?.roomCode, a.instance?.roomCode, 'the invite joined the same room code');
    assert.equal(c.instance?.id, a.instance?.id, 'the invite joined the same instance');
    await shows(ada, '#people li', 'Guest', 'Cleo (a guest) in Ada’s list');
    await shows(ada, '#chat-log li', 'Guest joined', 'a notice that Cleo joined');

    // Leaving takes the room off the page and brings the form back, focused.
    await bob.page.getByRole('button', { name: 'Leave room', exact: true }).click();
    await shows(bob, '#join-form', null, 'the join form again');
    assert.equal(await bob.page.locator('ir-world-instance').count(), 0, 'no room is left on the page');
    await shows(ada, '#chat-log li', 'Bob left', 'a notice that Bob left');
  });

  it('a private room: its invite link carries the room code and instance and lets a guest in; the location alone does not', async (t) => {
    t.after(() => env.closePages());
    const location = uniqueLocation('demo-private');
    const [host, passerby] = await Promise.all([env.openPage(), env.openPage()]);
    await joinThroughForm(host, { location, name: 'Host', camera: false, privateRoom: true });
    const h = await host.waitForState('world', 'connected');
    const invite = new URL(await inviteLinkOf(host));
    assert.equal(invite.searchParams.get('room'), h.instance?.roomCode);
    assert.equal(invite.searchParams.get('instance'), h.instance?.id);
    await shows(host, '#room-title', 'private', 'the room marked private');

    await joinThroughForm(passerby, { location, name: 'Passerby', camera: false });
    const p = await passerby.waitForState('world', 'connected');
    assert.notEqual(p.instance?.id, h.instance?.id, 'the location alone never lands in a private room');

    const guest = await env.openPage(invite.href);
    await adoptRoom(guest);
    const g = await guest.waitForState('world', 'connected');
    assert.equal(g.instance?.id, h.instance?.id, 'the invite link enters the private room');
    await shows(host, '#people li', 'Guest', 'the invited guest in the host’s list');

    // A stale invite (its room ended) says so and offers to try again, rather than hanging.
    const stale = new URL(invite.href);
    stale.searchParams.set('instance', '00000000-0000-4000-8000-000000000000');
    const late = await env.openPage(stale.href);
    await shows(late, '#room-state', 'Could not join', 'the failure in words');
    await shows(late, 'button', 'Try again', 'a way to try again');
  });
});
