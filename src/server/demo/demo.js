/**
 * The demo's behaviour: a join form that puts an <ir-world-instance> (with an <ir-media-channel>
 * inside) on the page, the people there, a chat over `send()` / `ir-message`, and invite links.
 * Everything a peer sends is shown with textContent, never parsed as HTML.
 */

const CHAT_CHANNEL = 'chat';
const MAX_CHAT_LENGTH = 500;
const LOCATION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const ROOM_CODE_PATTERN = /^[1-9]{6}$/;
/** What the page remembers between visits: the name and which devices to join with. */
const PREFERENCES_KEY = 'ir-rooms-demo';

/** The invite link's query parameters. */
const PARAM = { location: 'location', room: 'room', instance: 'instance' };

const $ = (id) => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`demo: #${id} is missing from the page`);
  return element;
};

const form = $('join-form');
const fields = {
  location: $('location'),
  name: $('display-name'),
  room: $('room-code'),
  microphone: $('with-microphone'),
  camera: $('with-camera'),
  private: $('private-room'),
};
const joinError = $('join-error');
const notice = $('demo-notice');
const roomSection = $('room');
const roomTitle = $('room-title');
const roomState = $('room-state');
const retryJoin = $('retry-join');
const stage = $('stage');
const people = $('people');
const peopleCount = $('people-count');
const inviteLink = $('invite-link');
const copyInvite = $('copy-invite');
const inviteStatus = $('invite-status');
const chatLog = $('chat-log');
const chatBox = $('chat-box');
const chatForm = $('chat-form');
const chatInput = $('chat-input');
const chatSend = $('chat-send');

/** The room joined now: its element, our name, and the names of peers seen (kept after they leave). */
let current = null;

function loadPreferences() {
  try {
    return JSON.parse(localStorage.getItem(PREFERENCES_KEY) ?? '{}') ?? {};
  } catch {
    return {};
  }
}

function savePreferences(preferences) {
  try {
    localStorage.setItem(PREFERENCES_KEY, JSON.stringify(preferences));
  } catch {
    // Private browsing or storage disabled: the form simply starts blank next time.
  }
}

function show(element, text) {
  element.textContent = text;
  element.hidden = text === '';
}

/** The checks the server would make, said before a round trip; '' when the form is fine. */
function validate({ location, room, instance = '' }) {
  if (!LOCATION_PATTERN.test(location)) {
    return 'The location must start with a letter or digit and use only letters, digits and . _ : - (at most 128).';
  }
  if (room !== '' && !ROOM_CODE_PATTERN.test(room)) return 'A room code is six digits from 1 to 9.';
  if (instance !== '' && !LOCATION_PATTERN.test(instance)) return 'The instance id is malformed.';
  return '';
}

function readForm() {
  return {
    location: fields.location.value.trim(),
    name: fields.name.value.trim(),
    room: fields.room.value.trim(),
    microphone: fields.microphone.checked,
    camera: fields.camera.checked,
    private: fields.private.checked,
  };
}

/** The link that brings someone into the same instance: location and room code, plus the instance of a private room. */
function inviteUrlOf(room) {
  const url = new URL('/', window.location.href);
  url.searchParams.set(PARAM.location, room.locationId);
  url.searchParams.set(PARAM.room, room.roomCode);
  if (room.private) url.searchParams.set(PARAM.instance, room.id);
  return url.href;
}

function stateText(world) {
  const state = world.state;
  if (state === undefined) return 'The kit did not load: is /ir-rooms.js built (npm run build)?';
  if (state === 'failed') return `Could not join: ${world.error?.message ?? 'unknown error'}`;
  return {
    idle: 'Not joined',
    provisioning: 'Finding a room…',
    connecting: 'Connecting…',
    connected: 'Connected',
    reconnecting: 'Connection lost, reconnecting…',
    disconnected: 'Left',
  }[state];
}

function renderState() {
  if (!current) return;
  const { world } = current;
  roomState.textContent = stateText(world);
  roomState.dataset.state = world.state ?? 'unloaded';
  const connected = world.state === 'connected';
  retryJoin.hidden = world.state !== 'failed';
  chatInput.disabled = !connected;
  chatSend.disabled = !connected;
}

function renderPeople() {
  if (!current) return;
  const { world } = current;
  const items = [];
  const self = document.createElement('li');
  self.dataset.self = '';
  self.textContent = `${current.name} (you)`;
  items.push(self);
  for (const peer of world.peers?.values() ?? []) {
    const item = document.createElement('li');
    item.dataset.peerId = peer.peerID;
    item.textContent = peer.name;
    items.push(item);
  }
  people.replaceChildren(...items);
  peopleCount.textContent = `(${items.length})`;
}

function renderInvite() {
  if (!current) return;
  const instance = current.world.instance;
  if (!instance) {
    inviteLink.value = '';
    copyInvite.disabled = true;
    return;
  }
  const url = inviteUrlOf({ ...instance, locationId: current.location, private: current.private });
  inviteLink.value = url;
  copyInvite.disabled = false;
  roomTitle.textContent = `${current.location} · room ${instance.roomCode}${current.private ? ' (private)' : ''}`;
  // The address bar becomes the invite too, so a reload rejoins the same room.
  history.replaceState(null, '', url);
}

/** Appends one chat line; `author` null for a notice (someone joined or left). */
function appendChat(author, text, mine = false) {
  const item = document.createElement('li');
  if (author === null) {
    item.className = 'demo-chat-notice';
    item.textContent = text;
  } else {
    if (mine) item.dataset.mine = '';
    const who = document.createElement('strong');
    who.textContent = author;
    const body = document.createElement('span');
    body.textContent = text;
    item.append(who, ': ', body);
  }
  chatLog.append(item);
  chatBox.scrollTop = chatBox.scrollHeight;
}

function join(values) {
  leave({ focus: false });
  const world = document.createElement('ir-world-instance');
  world.setAttribute('location-id', values.location);
  if (values.name) world.setAttribute('display-name', values.name);
  if (values.instance) world.setAttribute('instance-id', values.instance);
  if (values.room) world.setAttribute('room-code', values.room);
  else if (values.private) world.setAttribute('private', '');
  const media = document.createElement('ir-media-channel');
  // Off means joining without capturing: the channel's own buttons turn them on later.
  if (values.microphone) media.setAttribute('audio', '');
  if (values.camera) media.setAttribute('video', '');
  world.append(media);

  const controller = new AbortController();
  const { signal } = controller;
  current = {
    world,
    controller,
    location: values.location,
    name: values.name || 'Guest',
    // Joining by an invite's instance id means the room is private (public invites carry no id).
    private: Boolean(values.instance) || (values.private && !values.room),
    names: new Map(),
  };
  const room = current;
  world.addEventListener('ir-state-change', renderState, { signal });
  world.addEventListener(
    'ir-instance-provisioned',
    () => {
      renderInvite();
      renderState();
    },
    { signal },
  );
  world.addEventListener(
    'ir-peer-join',
    (event) => {
      room.names.set(event.detail.peer.peerID, event.detail.peer.name);
      renderPeople();
      appendChat(null, `${event.detail.peer.name} joined`);
    },
    { signal },
  );
  world.addEventListener(
    'ir-peer-leave',
    (event) => {
      renderPeople();
      appendChat(null, `${event.detail.peer.name} left`);
    },
    { signal },
  );
  world.addEventListener(
    'ir-message',
    (event) => {
      const { from, channel, data } = event.detail;
      if (channel !== CHAT_CHANNEL || typeof data?.text !== 'string') return;
      const author = world.peers.get(from)?.name ?? room.names.get(from) ?? 'Someone';
      appendChat(author, data.text.slice(0, MAX_CHAT_LENGTH));
    },
    { signal },
  );
  world.addEventListener('ir-error', (event) => show(notice, event.detail.error.message), { signal });

  roomTitle.textContent = values.location;
  chatLog.replaceChildren();
  inviteStatus.textContent = '';
  stage.replaceChildren(world);
  form.hidden = true;
  roomSection.hidden = false;
  renderState();
  renderPeople();
  renderInvite();
  roomTitle.focus();
}

/** Takes the room off the page (which leaves it) and brings the form back. */
function leave({ focus = true } = {}) {
  if (!current) return;
  current.controller.abort();
  current.world.remove();
  current = null;
  show(notice, '');
  roomSection.hidden = true;
  form.hidden = false;
  history.replaceState(null, '', new URL('/', window.location.href).href);
  if (focus) form.querySelector('button[type="submit"]').focus();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const values = readForm();
  const problem = validate(values);
  show(joinError, problem);
  if (problem) {
    (problem.startsWith('A room code') ? fields.room : fields.location).focus();
    return;
  }
  savePreferences({ name: values.name, microphone: values.microphone, camera: values.camera });
  join(values);
});

// A room code joins someone's room, so "create a private room" cannot apply with one.
fields.room.addEventListener('input', () => {
  fields.private.disabled = fields.room.value.trim() !== '';
});

$('leave-room').addEventListener('click', () => leave());
retryJoin.addEventListener('click', () => {
  show(notice, '');
  // A new failure shows up in the state and the notice; the rejection itself says nothing more.
  current?.world.reconnect().catch(() => undefined);
});

chatForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = chatInput.value.trim().slice(0, MAX_CHAT_LENGTH);
  if (!text || !current) return;
  const room = current;
  try {
    await room.world.send({ text }, { channel: CHAT_CHANNEL });
  } catch (error) {
    show(notice, `Not sent: ${error.message}`);
    return;
  }
  if (room !== current) return;
  appendChat(`${room.name} (you)`, text, true);
  chatInput.value = '';
  chatInput.focus();
});

copyInvite.addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(inviteLink.value);
    inviteStatus.textContent = 'Invite link copied.';
  } catch {
    // No clipboard access (an insecure origin, or denied): leave the link selected to copy by hand.
    inviteLink.focus();
    inviteLink.select();
    inviteStatus.textContent = 'Copy the selected link (Ctrl+C or ⌘C).';
  }
});

// Live locations (dev mode lists them) as suggestions, fetched when someone goes to pick one.
fields.location.addEventListener(
  'focus',
  async () => {
    try {
      const answer = await fetch('/api/instances');
      if (!answer.ok) return;
      const list = $('location-suggestions');
      const known = new Set([...list.options].map((option) => option.value));
      for (const instance of await answer.json()) {
        if (!instance.locationId || instance.private || known.has(instance.locationId)) continue;
        known.add(instance.locationId);
        const option = document.createElement('option');
        option.value = instance.locationId;
        option.label = 'people are here now';
        list.append(option);
      }
    } catch {
      // Suggestions are a nicety; typing a location still works.
    }
  },
  { once: true },
);

// Opened from an invite link (or a reload of a joined page): fill the form in and join.
const preferences = loadPreferences();
if (typeof preferences.name === 'string') fields.name.value = preferences.name;
if (typeof preferences.microphone === 'boolean') fields.microphone.checked = preferences.microphone;
if (typeof preferences.camera === 'boolean') fields.camera.checked = preferences.camera;
const invite = new URLSearchParams(window.location.search);
if (invite.has(PARAM.location)) {
  fields.location.value = invite.get(PARAM.location) ?? '';
  fields.room.value = invite.get(PARAM.room) ?? '';
  fields.private.disabled = fields.room.value !== '';
  const values = { ...readForm(), instance: invite.get(PARAM.instance) ?? '' };
  const problem = validate(values);
  if (problem) show(joinError, `This invite link is not valid: ${problem}`);
  else join(values);
}

window.addEventListener('load', () => {
  if (!customElements.get('ir-world-instance')) {
    show(notice, 'The kit did not load from /ir-rooms.js: run npm run build, then reload.');
  }
});
