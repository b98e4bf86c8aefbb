// Time-based cine playback: the phase shown at each animation frame follows the clock, so a slow
// frame is skipped (and counted as dropped) instead of slowing the loop down. A player runs on its
// own clock (one viewport playing) or follows a CycleClock shared by every viewport ("Play all").
export class CinePlayer {
  constructor({ onStep, onCycle }) {
    this.onStep = onStep; // (stepsAdvanced) => void; the panel moves its phase on by that many
    this.onCycle = onCycle; // (fraction) => stepsAdvanced; the panel shows the phase at that point
    this.fps = 25;
    this.playing = false;
    this.handle = null;
    this.clock = null; // the shared clock this player follows, if any
    this.resetStats();
  }

  resetStats() {
    this.stats = { requested: 0, shown: 0, startedAt: null, stoppedAt: null };
  }

  setFps(fps) {
    const clamped = Math.min(120, Math.max(1, Math.round(fps)));
    if (clamped === this.fps) return;
    this.fps = clamped;
    if (this.playing && !this.clock) this.restartClock(); // a shared clock is set by the viewer
  }

  play() {
    if (this.playing) return;
    this.playing = true;
    this.resetStats();
    this.stats.startedAt = performance.now();
    this.restartClock();
  }

  // Play in step with the other viewports following ``clock``, at the point of the cycle it is at.
  follow(clock) {
    this.pause();
    this.playing = true;
    this.resetStats();
    this.stats.startedAt = performance.now();
    this.clock = clock;
    clock.add(this);
  }

  atCycle(fraction) {
    const steps = this.onCycle(fraction);
    if (steps > 0) this.stats.requested += steps;
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    this.stats.stoppedAt = performance.now();
    if (this.handle !== null) cancelAnimationFrame(this.handle);
    this.handle = null;
    const { clock } = this;
    this.clock = null;
    clock?.remove(this);
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  restartClock() {
    this.clockStart = performance.now();
    this.stepsTaken = 0;
    if (this.handle !== null) cancelAnimationFrame(this.handle);
    this.handle = requestAnimationFrame((now) => this.tick(now));
  }

  tick(now) {
    if (!this.playing) return;
    const due = Math.floor(((now - this.clockStart) * this.fps) / 1000);
    if (due > this.stepsTaken) {
      const steps = due - this.stepsTaken;
      this.stepsTaken = due;
      this.stats.requested += steps;
      this.onStep(steps);
    }
    this.handle = requestAnimationFrame((time) => this.tick(time));
  }

  // The panel calls this when a phase it asked for while playing has been drawn.
  frameShown() {
    if (this.playing) this.stats.shown += 1;
  }

  summary() {
    const end = this.stats.stoppedAt ?? performance.now();
    const seconds = this.stats.startedAt === null ? 0 : (end - this.stats.startedAt) / 1000;
    const { requested, shown } = this.stats;
    return {
      fps: this.fps,
      seconds,
      requested,
      shown,
      dropped: Math.max(0, requested - shown),
      shownRatio: requested ? shown / requested : null,
    };
  }
}

// One clock for every viewport playing in step: a position in the cardiac cycle, from 0 at the
// R wave to 1 at the next, that goes round once per period. Each follower shows its phase nearest
// that position (decision 0023), so series with different phase counts stay at the same point.
export class CycleClock {
  constructor({ onChange = () => {} } = {}) {
    this.onChange = onChange; // () => void; followers joined or left
    this.players = new Set();
    this.periodMs = 1000;
    this.anchor = 0;
    this.startedAt = performance.now();
    this.handle = null;
  }

  get running() {
    return this.players.size > 0;
  }

  position(now = performance.now()) {
    const turns = this.anchor + (now - this.startedAt) / this.periodMs;
    return turns - Math.floor(turns);
  }

  // Start the cycle at ``fraction`` (where the reader's viewport is) with ``periodMs`` per beat.
  start({ fraction, periodMs }) {
    this.anchor = fraction;
    this.startedAt = performance.now();
    this.periodMs = Math.max(50, periodMs);
  }

  // A new speed takes over from where the cycle is, so no viewport jumps.
  setPeriod(periodMs) {
    const now = performance.now();
    this.anchor = this.position(now);
    this.startedAt = now;
    this.periodMs = Math.max(50, periodMs);
  }

  add(player) {
    this.players.add(player);
    player.atCycle(this.position());
    if (this.handle === null) this.handle = requestAnimationFrame((now) => this.tick(now));
    this.onChange();
  }

  remove(player) {
    if (!this.players.delete(player)) return;
    if (!this.players.size && this.handle !== null) {
      cancelAnimationFrame(this.handle);
      this.handle = null;
    }
    this.onChange();
  }

  stop() {
    for (const player of [...this.players]) player.pause();
  }

  tick(now) {
    this.handle = null;
    if (!this.players.size) return;
    const fraction = this.position(now);
    for (const player of this.players) player.atCycle(fraction);
    this.handle = requestAnimationFrame((time) => this.tick(time));
  }
}
