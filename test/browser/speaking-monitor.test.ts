import { expect } from '@open-wc/testing';
import { IrError } from '../../src/core/errors.js';
import { SpeakingMonitor, type SpeakingMonitorOptions } from '../../src/elements/media-channel/speaking-monitor.js';
import { rejection, waitFor } from './helpers.js';

interface Change {
  speaking: string[];
  active: string | null;
  at: number;
}

/** A monitor that records every onChange, and the audio graph its test tracks come from. */
function setup(options: Partial<SpeakingMonitorOptions> = {}) {
  const changes: Change[] = [];
  const monitor = new SpeakingMonitor({
    intervalMs: 50,
    ...options,
    onChange: (speaking, active) => changes.push({ speaking: [...speaking].sort(), active, at: performance.now() }),
  });
  const context = new AudioContext();
  /** A live audio track playing a sine tone at `gain` (0 is silence, 1 is full scale). */
  const tone = (gain: number, frequency = 440) => {
    const oscillator = context.createOscillator();
    oscillator.frequency.value = frequency;
    const volume = context.createGain();
    volume.gain.value = gain;
    const destination = context.createMediaStreamDestination();
    oscillator.connect(volume).connect(destination);
    oscillator.start();
    const [track] = destination.stream.getAudioTracks();
    if (!track) throw new Error('MediaStreamAudioDestinationNode gave no track');
    return { track, volume };
  };
  const waitForChange = (check: (change: Change) => boolean, message: string, timeoutMs = 5000) =>
    waitFor(() => changes.find(check), message, timeoutMs);
  const teardown = () => {
    monitor.close();
    void context.close();
  };
  return { monitor, changes, tone, waitForChange, teardown };
}

/** Every call reports a real change: no two consecutive calls say the same thing. */
function expectNoRepeats(changes: Change[]): void {
  for (let i = 1; i < changes.length; i++) {
    const [before, after] = [changes[i - 1], changes[i]];
    const same = before?.active === after?.active && before?.speaking.join() === after?.speaking.join();
    expect(same, `onChange ${i} repeated ${JSON.stringify(after)}`).to.equal(false);
  }
}

describe('SpeakingMonitor', () => {
  it('reports a loud track as speaking and active, and a silent one as neither', async () => {
    const { monitor, changes, tone, waitForChange, teardown } = setup();
    try {
      monitor.watch('loud', tone(0.8).track);
      monitor.watch('silent', tone(0).track);
      await waitForChange((c) => c.speaking.join() === 'loud' && c.active === 'loud', 'loud never became speaking');
      expect([...monitor.speaking]).to.deep.equal(['loud']);
      expect(monitor.activeSpeaker).to.equal('loud');
      expect(monitor.level('loud')).to.be.greaterThan(0.3);
      expect(monitor.level('silent')).to.equal(0);
      expect(monitor.level('nobody')).to.equal(0);
      expect(changes.some((c) => c.speaking.includes('silent'))).to.equal(false);
      expectNoRepeats(changes);
    } finally {
      teardown();
    }
  });

  it('stops speaking only after the hold once the sound stops', async () => {
    const holdMs = 400;
    const { monitor, changes, tone, waitForChange, teardown } = setup({ holdMs });
    try {
      const { track, volume } = tone(0.8);
      monitor.watch('a', track);
      await waitForChange((c) => c.active === 'a', 'a never became speaking');
      const quietFrom = performance.now();
      volume.gain.value = 0;
      const stopped = await waitForChange((c) => c.speaking.length === 0, 'a kept speaking after going quiet');
      expect(stopped?.active).to.equal(null);
      expect((stopped?.at ?? 0) - quietFrom).to.be.at.least(holdMs);
      expect(changes).to.have.length(2);
      // Sound again: speaking again, at once.
      volume.gain.value = 0.8;
      await waitFor(() => changes.length === 3 && changes[2]?.active === 'a', 'a did not speak again');
    } finally {
      teardown();
    }
  });

  it('drops a track that ends, and ignores one that has already ended', async () => {
    const { monitor, tone, waitForChange, teardown } = setup();
    try {
      const { track } = tone(0.8);
      monitor.watch('a', track);
      await waitForChange((c) => c.active === 'a', 'a never became speaking');
      track.stop();
      await waitForChange((c) => c.speaking.length === 0 && c.active === null, 'the ended track was not dropped');
      expect(monitor.level('a')).to.equal(0);
      monitor.watch('b', track);
      expect(monitor.level('b')).to.equal(0);
      expect(monitor.speaking.size).to.equal(0);
    } finally {
      teardown();
    }
  });

  it('keeps the louder of two speakers active while it speaks, then hands over', async () => {
    const { monitor, tone, waitForChange, teardown } = setup({ holdMs: 300 });
    try {
      const loud = tone(0.9, 440);
      const quiet = tone(0.1, 660);
      monitor.watch('loud', loud.track);
      monitor.watch('quiet', quiet.track);
      await waitForChange((c) => c.speaking.join() === 'loud,quiet', 'both never spoke at once');
      expect(monitor.activeSpeaker).to.equal('loud');
      expect(monitor.level('loud')).to.be.greaterThan(monitor.level('quiet'));
      loud.volume.gain.value = 0;
      await waitForChange((c) => c.speaking.join() === 'quiet' && c.active === 'quiet', 'quiet did not take over');
      // Hysteresis: the louder one speaking again does not take over from one who still speaks.
      loud.volume.gain.value = 0.9;
      await waitForChange((c) => c.speaking.join() === 'loud,quiet', 'loud did not speak again');
      expect(monitor.activeSpeaker).to.equal('quiet');
    } finally {
      teardown();
    }
  });

  it("replaces an id's track and keeps watching under the same id", async () => {
    const { monitor, tone, waitForChange, teardown } = setup();
    try {
      const silent = tone(0);
      monitor.watch('a', silent.track);
      monitor.watch('a', tone(0.8).track);
      await waitForChange((c) => c.active === 'a', 'the replacement track was not watched');
      // The old track is no longer watched: ending it changes nothing.
      silent.track.stop();
      expect(monitor.activeSpeaker).to.equal('a');
    } finally {
      teardown();
    }
  });

  it('unwatch() and close() are idempotent; after close() nothing is reported until a new watch()', async () => {
    const { monitor, changes, tone, waitForChange, teardown } = setup();
    try {
      const { track } = tone(0.8);
      monitor.unwatch('nobody');
      monitor.watch('a', track);
      await waitForChange((c) => c.active === 'a', 'a never became speaking');
      monitor.unwatch('a');
      monitor.unwatch('a');
      expect(changes.at(-1)).to.include({ active: null });
      expect(changes.at(-1)?.speaking).to.deep.equal([]);
      monitor.watch('a', track);
      await waitFor(() => changes.length === 3, 'a was not watched again after unwatch');
      const calls = changes.length;
      monitor.close();
      monitor.close();
      expect(monitor.speaking.size).to.equal(0);
      expect(monitor.activeSpeaker).to.equal(null);
      expect(changes).to.have.length(calls);
      monitor.watch('b', track);
      await waitForChange((c) => c.active === 'b', 'a watch() after close() did not start afresh');
    } finally {
      teardown();
    }
  });

  it('reads silence while its AudioContext is suspended, and speaks again after resume()', async () => {
    const { monitor, tone, changes, waitForChange, teardown } = setup({ holdMs: 100 });
    const Native = window.AudioContext;
    const made: AudioContext[] = [];
    window.AudioContext = class extends Native {
      constructor(options?: AudioContextOptions) {
        super(options);
        made.push(this);
      }
    };
    try {
      monitor.watch('a', tone(0.8).track);
      window.AudioContext = Native;
      const [context] = made;
      await waitForChange((c) => c.active === 'a', 'a never became speaking');
      // What the autoplay policy does to a context made before any user gesture.
      await context?.suspend();
      await waitForChange((c) => c.active === null, 'a kept speaking while the AudioContext was suspended');
      expect(monitor.level('a')).to.be.lessThan(0.3);
      await monitor.resume();
      expect(context?.state).to.equal('running');
      await waitFor(() => changes.at(-1)?.active === 'a', 'a did not speak again after resume()');
    } finally {
      window.AudioContext = Native;
      teardown();
    }
  });

  it('rejects bad arguments with INVALID_ARGUMENT', async () => {
    const { monitor, tone, teardown } = setup();
    const canvas = document.createElement('canvas');
    const video = canvas.captureStream().getVideoTracks()[0];
    try {
      const bad = [
        () => monitor.watch('', tone(0).track),
        () => monitor.watch('v', video as MediaStreamTrack),
        () => monitor.watch('x', {} as MediaStreamTrack),
        () => new SpeakingMonitor({ onChange: () => undefined, intervalMs: 0 }),
        () => new SpeakingMonitor({ onChange: () => undefined, threshold: Number.NaN }),
      ];
      for (const call of bad) {
        const error = await rejection(Promise.resolve().then(call));
        expect(IrError.is(error, 'INVALID_ARGUMENT'), String(error)).to.equal(true);
      }
    } finally {
      video?.stop();
      teardown();
    }
  });

  it('keeps sampling when onChange throws', async () => {
    let calls = 0;
    const context = new AudioContext();
    const reported: unknown[] = [];
    // Mocha fails the running test from window.onerror; here the reported error is the expected outcome.
    const mochaOnError = window.onerror;
    window.onerror = (_message, _source, _line, _column, error) => {
      reported.push(error);
      return true;
    };
    const monitor = new SpeakingMonitor({
      intervalMs: 50,
      holdMs: 100,
      onChange: () => {
        calls++;
        throw new Error('listener bug');
      },
    });
    try {
      const oscillator = context.createOscillator();
      const volume = context.createGain();
      const destination = context.createMediaStreamDestination();
      oscillator.connect(volume).connect(destination);
      oscillator.start();
      monitor.watch('a', destination.stream.getAudioTracks()[0] as MediaStreamTrack);
      await waitFor(() => monitor.activeSpeaker === 'a', 'a never became speaking');
      volume.gain.value = 0;
      await waitFor(() => monitor.activeSpeaker === null, 'the monitor stopped after onChange threw');
      expect(calls).to.equal(2);
      expect(reported.map(String)).to.deep.equal(['Error: listener bug', 'Error: listener bug']);
    } finally {
      window.onerror = mochaOnError;
      monitor.close();
      void context.close();
    }
  });

  it("sees Chromium's fake microphone speak", async () => {
    const { monitor, waitForChange, teardown } = setup();
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    try {
      const [track] = stream.getAudioTracks();
      if (!track) throw new Error('the fake microphone gave no track');
      monitor.watch('self', track);
      await waitForChange((c) => c.active === 'self', 'the fake microphone never became speaking', 8000);
    } finally {
      for (const track of stream.getTracks()) track.stop();
      teardown();
    }
  });
});
