// Time-based cine playback: the phase shown at each animation frame follows the clock, so a slow
// frame is skipped (and counted as dropped) instead of slowing the loop down.
export class CinePlayer {
  constructor({ onStep }) {
    this.onStep = onStep; // (stepsAdvanced) => void; the panel moves its phase on by that many
    this.fps = 25;
    this.playing = false;
    this.handle = null;
    this.resetStats();
  }

  resetStats() {
    this.stats = { requested: 0, shown: 0, startedAt: null, stoppedAt: null };
  }

  setFps(fps) {
    const clamped = Math.min(120, Math.max(1, Math.round(fps)));
    if (clamped === this.fps) return;
    this.fps = clamped;
    if (this.playing) this.restartClock();
  }

  play() {
    if (this.playing) return;
    this.playing = true;
    this.resetStats();
    this.stats.startedAt = performance.now();
    this.restartClock();
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    this.stats.stoppedAt = performance.now();
    if (this.handle !== null) cancelAnimationFrame(this.handle);
    this.handle = null;
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
