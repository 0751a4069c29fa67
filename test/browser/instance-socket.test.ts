import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { IrError } from '../../src/core/errors.js';
import type { InstanceSpec, Peer } from '../../src/core/instance-spec.js';
import type { ProvisionedInstance } from '../../src/protocol/index.js';
import { HttpProvisioner } from '../../src/provisioning/http-provisioner.js';
import { connectInstanceSocket } from '../../src/transports/instance-socket/instance-socket.js';
import type { TransportClose, TransportContext } from '../../src/transports/transport-adapter.js';
import { apiUrl, guestToken, rejection, uniqueLocation, waitFor } from './helpers.js';

interface Recorded {
  joined: Peer[];
  left: Peer[];
  closed: TransportClose[];
  interrupted: [string, number][];
  resumed: number;
  /** Called when the link resumed, after the count. */
  onResumed?: () => void;
}

function contextFor(spec: InstanceSpec, token: string, signal = new AbortController().signal) {
  const recorded: Recorded = { joined: [], left: [], closed: [], interrupted: [], resumed: 0 };
  const context: TransportContext = {
    peerID: crypto.randomUUID(),
    token,
    spec,
    signal,
    callbacks: {
      peerJoined: (peer) => recorded.joined.push(peer),
      peerLeft: (peer) => recorded.left.push(peer),
      message: () => undefined,
      trackAdded: () => undefined,
      trackRemoved: () => undefined,
      trackPaused: () => undefined,
      closed: (info) => recorded.closed.push(info),
      interrupted: (reason, attempt) => recorded.interrupted.push([reason, attempt]),
      resumed: () => {
        recorded.resumed++;
        recorded.onResumed?.();
      },
    },
  };
  return { context, recorded };
}

async function provisioned(): Promise<{ spec: InstanceSpec; instance: ProvisionedInstance; token: string }> {
  const spec: InstanceSpec = { kind: 'world', apiUrl, locationId: uniqueLocation('socket') };
  const token = await guestToken('Socket Tester');
  const instance = await new HttpProvisioner().provision(spec, { token });
  return { spec, instance, token };
}

describe('instance socket', () => {
  it('joins after the handshake and reports peers joining and leaving', async () => {
    const { spec, instance, token } = await provisioned();
    const a = contextFor(spec, token);
    const first = await connectInstanceSocket(instance, a.context);
    expect(first.peerIndex).to.be.a('number');
    expect(first.peers).to.deep.equal([]);
    const b = contextFor(spec, await guestToken('Second'));
    const second = await connectInstanceSocket(instance, b.context);
    expect(second.peers.map((p) => p.peerID)).to.deep.equal([a.context.peerID]);
    await waitFor(() => a.recorded.joined.length === 1, 'no PEER_JOINED for the second socket');
    expect(a.recorded.joined[0]).to.deep.include({ peerID: b.context.peerID, name: 'Second' });
    second.close();
    second.close();
    await waitFor(() => a.recorded.left.length === 1, 'no PEER_LEFT after the second socket closed');
    expect(b.recorded.closed).to.deep.equal([]);
    await rejection(first.send('x')).then((error) => expect(IrError.is(error, 'INVALID_STATE')).to.equal(true));
    first.close();
  });

  it('rejects with the fail code when the instance server refuses the token', async () => {
    const { spec, instance } = await provisioned();
    const error = await rejection(connectInstanceSocket(instance, contextFor(spec, 'not-a-jwt').context));
    expect(IrError.is(error, 'USER_NOT_AUTHORIZED')).to.equal(true);
    expect((error as IrError).retryable).to.equal(false);
  });

  it('rejects with INSTANCE_NOT_READY for an instance the server does not know', async () => {
    const { spec, instance, token } = await provisioned();
    const unknown = { ...instance, id: crypto.randomUUID() };
    const error = await rejection(connectInstanceSocket(unknown, contextFor(spec, token).context));
    expect(IrError.is(error, 'INSTANCE_NOT_READY')).to.equal(true);
  });

  it('rejects with the abort reason itself when aborted while connecting', async () => {
    const { spec, instance, token } = await provisioned();
    const controller = new AbortController();
    const pending = connectInstanceSocket(instance, contextFor(spec, token, controller.signal).context);
    const reason = new Error('gone');
    controller.abort(reason);
    expect(await rejection(pending)).to.equal(reason);
  });

  it('resumes the link when the server stays silent past the silence timeout, without a peer leaving', async () => {
    const { spec, instance, token } = await provisioned();
    const a = contextFor(spec, token);
    const b = contextFor(spec, token);
    const steady = await connectInstanceSocket(instance, b.context);
    // The server heartbeats once a second; a 300 ms silence timeout must notice the gaps.
    const link = await connectInstanceSocket(instance, a.context, { silenceTimeoutMs: 300, heartbeatIntervalMs: 100 });
    // Closed right as it resumed (300 ms later it would find the server silent again).
    a.recorded.onResumed = () => link.close();
    await waitFor(() => a.recorded.resumed > 0, 'the silent link did not resume', 5000);
    expect(a.recorded.interrupted[0]).to.deep.equal(['TIMEOUT', 1]);
    expect(a.recorded.closed).to.deep.equal([]);
    // A close is a leave: the other sees it at once, not when a hold lapses.
    await waitFor(() => b.recorded.left.length === 1, 'the leave was not announced', 3000);
    expect(b.recorded.left.map((p) => p.peerID)).to.deep.equal([a.context.peerID]);
    steady.close();
  });

  it('reports a server shutdown as a close that needs provisioning again', async () => {
    const { spec, instance, token } = await provisioned();
    const a = contextFor(spec, token);
    await connectInstanceSocket(instance, a.context);
    await executeServerCommand('ir-server', { action: 'restart' });
    await waitFor(() => a.recorded.closed.length === 1, 'the socket did not report its end');
    expect(a.recorded.closed[0]).to.deep.include({ reason: 'SERVER_SHUTDOWN', reprovision: true });
  });
});
