/** Shared helpers of the browser tests: the test server's address and waits that fail with a message. */
/// <reference types="mocha" />
import type { ConnectionState } from '../../src/core/instance-spec.js';
import type { InstanceSummary } from '../../src/protocol/index.js';

interface TestGlobals {
  apiUrl: string;
  serverUrl: string;
  reservationTtlMs: number;
  instanceGraceMs: number;
}

export const testEnv = (globalThis as unknown as { __IR_TEST__: TestGlobals }).__IR_TEST__;
export const apiUrl = testEnv.apiUrl;

/** A location id no other test uses, so tests never see each other's instances. */
export function uniqueLocation(prefix = 'loc'): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * Resolves after the tasks already queued, such as an element's detach task: a step in task
 * order, not a guess at how long something takes.
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Polls `check` until it returns a truthy value; fails with `message` after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, message: string, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface HasState extends HTMLElement {
  readonly state: ConnectionState;
}

/** Resolves when the element reaches `state` (at once if it is there). */
export function waitForState(element: HasState, state: ConnectionState, timeoutMs = 8000): Promise<void> {
  if (element.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      element.removeEventListener('ir-state-change', onChange);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${state}; state is ${element.state}`));
    }, timeoutMs);
    const onChange = () => {
      if (element.state !== state) return;
      clearTimeout(timer);
      element.removeEventListener('ir-state-change', onChange);
      resolve();
    };
    element.addEventListener('ir-state-change', onChange);
  });
}

/** Records every state an element goes through. */
export function recordStates(element: HTMLElement): ConnectionState[] {
  const states: ConnectionState[] = [];
  element.addEventListener('ir-state-change', (event) => states.push(event.detail.state));
  return states;
}

/** The server's view of its instances (dev mode). */
export async function listInstances(): Promise<InstanceSummary[]> {
  const response = await fetch(`${apiUrl}/instances`);
  if (!response.ok) throw new Error(`GET /instances answered ${response.status}`);
  return (await response.json()) as InstanceSummary[];
}

export async function instancesOf(locationId: string): Promise<InstanceSummary[]> {
  return (await listInstances()).filter((instance) => instance.locationId === locationId);
}

/** Seats taken (joined peers plus reservations) in a location. */
export async function seatsOf(locationId: string): Promise<number> {
  return (await instancesOf(locationId)).reduce((sum, instance) => sum + instance.seats, 0);
}

/** A guest token from the test server. */
export async function guestToken(name = 'Tester'): Promise<string> {
  const response = await fetch(`${apiUrl}/authentication`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ strategy: 'guest', name }),
  });
  const body = (await response.json()) as { accessToken: string };
  return body.accessToken;
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
