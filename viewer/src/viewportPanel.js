// One viewport of the viewer: a Cornerstone3D stack viewport showing one series as slices x phases,
// with its own cine player, loading progress, overlay and error message.
import { Enums, imageLoader } from '@cornerstonejs/core';
import { CinePlayer } from './cinePlayer.js';
import { t, format, nformat } from './i18n.js';
import { windowPresets } from './windowPresets.js';
import { displayText, readDisplay } from './measurements.js';

const { Events, ViewportType } = Enums;

export class ViewportPanel {
  constructor({ viewer, viewportId }) {
    this.viewer = viewer;
    this.viewportId = viewportId;
    this.series = null;
    this.grid = [];
    this.offsets = [];
    this.slice = 0;
    this.phase = 0;
    this.token = 0;
    this.loaded = 0;
    this.total = 0;
    this.sliceLoaded = [];
    this.failed = null;
    this.timings = {};
    this.presets = [];
    this.defaultVoi = null;
    this.lastRenderedIndex = -1;
    this.sliceWaiters = [];
    this.player = new CinePlayer({
      onStep: (steps) => this.advancePhase(steps),
      onCycle: (fraction) => this.showCyclePoint(fraction),
    });
    this.resetFirstFrame();
    this.buildDom();
  }

  buildDom() {
    const el = document.createElement('div');
    el.className = 'vp';
    el.dataset.viewportId = this.viewportId;
    el.innerHTML = `
      <div class="vp-element" tabindex="-1"></div>
      <div class="vp-overlay vp-top-left" data-role="label"></div>
      <div class="vp-overlay vp-top-right" data-role="rate"></div>
      <div class="vp-overlay vp-bottom-left" data-role="position" aria-live="polite"></div>
      <div class="vp-overlay vp-bottom-right" data-role="display"></div>
      <div class="vp-progress" data-role="progress" hidden><div class="vp-progress-bar"></div><span></span></div>
      <div class="vp-message" data-role="message" role="alert" hidden></div>`;
    this.container = el;
    this.element = el.querySelector('.vp-element');
    this.element.addEventListener('contextmenu', (event) => event.preventDefault());
    this.element.addEventListener('wheel', (event) => this.onWheel(event), { passive: false });
    el.addEventListener('pointerdown', () => this.viewer.activate(this));
    this.element.addEventListener(Events.STACK_NEW_IMAGE, () => {
      if (!this.hasImage) this.timings.newImageAt = performance.now();
      this.hasImage = true;
    });
    this.element.addEventListener(Events.IMAGE_RENDERED, () => this.onRendered());
    // The window/level and zoom readout follows drags, presets, resets and new images.
    for (const name of [Events.VOI_MODIFIED, Events.CAMERA_MODIFIED, Events.STACK_NEW_IMAGE]) {
      this.element.addEventListener(name, () => this.updateDisplay());
    }
  }

  attach(renderingEngine, toolGroup) {
    this.renderingEngine = renderingEngine;
    renderingEngine.enableElement({
      viewportId: this.viewportId,
      type: ViewportType.STACK,
      element: this.element,
      defaultOptions: { background: [0, 0, 0] },
    });
    this.toolGroup = toolGroup;
    // Mouse tools join after the first frame: adding a viewport to a tool group sets up its
    // cursors and annotation layer, none of which the first frame needs.
    this.firstFrameShown.then(() => {
      if (!this.detached) toolGroup.addViewport(this.viewportId, renderingEngine.id);
    });
  }

  detach() {
    this.detached = true;
    this.player.pause();
    this.token += 1;
    this.toolGroup?.removeViewports(this.renderingEngine.id, this.viewportId);
    this.renderingEngine?.disableElement(this.viewportId);
    this.container.remove();
  }

  // Resolves at this series' first drawn frame (see showSeries for the fallback).
  resetFirstFrame() {
    this.firstFrameShown = new Promise((resolve) => {
      this.resolveFirstFrame = resolve;
    });
  }

  get viewport() {
    return this.renderingEngine.getViewport(this.viewportId);
  }

  get phaseCount() {
    return this.grid[this.slice]?.length ?? 0;
  }

  async showSeries(series) {
    this.player.pause();
    const token = ++this.token;
    this.series = series;
    this.failed = null;
    this.hasImage = false;
    if (this.timings.firstFrameAt !== undefined) this.resetFirstFrame();
    this.grid = [];
    this.timings = { requestedAt: performance.now() };
    this.loaded = 0;
    this.total = 0;
    this.container.dataset.seriesUid = series.uid;
    this.container.dataset.state = 'loading';
    this.setMessage(null);
    this.updateLabel();
    this.showProgress();
    let grid;
    try {
      grid = await this.viewer.imageIdsFor(series);
      this.timings.metadataAt = performance.now();
      if (token !== this.token) return;
      if (!grid.length || !grid[0].length) throw new Error(t('This series has no images.'));
      this.grid = grid;
      this.offsets = [];
      let offset = 0;
      for (const slice of grid) {
        this.offsets.push(offset);
        offset += slice.length;
      }
      this.total = offset;
      this.sliceLoaded = grid.map(() => 0);
      this.slice = Math.floor(grid.length / 2);
      this.phase = 0;
      this.player.fps = Math.min(120, Math.max(1, Math.round(1000 / series.frame_ms)));
      const first = this.imageId();
      // The first image decides whether the series can be shown at all; then the stack is set.
      const image = await imageLoader.loadAndCacheImage(first);
      this.timings.firstImageAt = performance.now();
      if (token !== this.token) return;
      await this.viewport.setStack(grid.flat(), this.flatIndex());
      this.timings.stackSetAt = performance.now();
      if (token !== this.token) return;
      this.presets = windowPresets(image, series);
      this.defaultVoi = this.presets[0].voiRange;
      this.viewport.setProperties({ voiRange: this.defaultVoi, invert: false });
      this.fitCamera();
      this.viewport.render();
      setTimeout(this.resolveFirstFrame, 250); // never wait for ever on a render that does not come
      this.container.dataset.state = 'ready';
      this.updatePosition();
      this.updateRate();
    } catch (error) {
      if (token === this.token) this.fail(error);
      return;
    }
    // Queueing 250 requests blocks the page for tens of milliseconds: draw the first frame first.
    this.firstFrameShown.then(() => this.preload(token));
  }

  // Every frame of the series into the cache: the visible slice first, then outwards from it.
  preload(token) {
    const order = this.grid
      .map((_, index) => index)
      .sort((a, b) => Math.abs(a - this.slice) - Math.abs(b - this.slice) || a - b);
    let failures = 0;
    const jobs = [];
    for (const sliceIndex of order) {
      for (const imageId of this.grid[sliceIndex]) {
        jobs.push(
          imageLoader
            .loadAndCacheImage(imageId)
            .then(() => {
              if (token !== this.token) return;
              this.loaded += 1;
              this.sliceLoaded[sliceIndex] += 1;
              if (this.sliceLoaded[sliceIndex] === this.grid[sliceIndex].length) this.sliceReady(sliceIndex);
              this.showProgress();
            })
            .catch(() => {
              failures += 1;
            }),
        );
      }
    }
    Promise.all(jobs).then(() => {
      if (token !== this.token) return;
      this.timings.loadedAt = performance.now();
      if (failures) {
        this.setMessage(nformat(
          '%(count)s image of this series could not be decoded.',
          '%(count)s images of this series could not be decoded.',
          failures, { count: failures },
        ), 'warning');
      }
      this.showProgress();
      this.viewer.panelLoaded(this);
    });
  }

  sliceReady(sliceIndex) {
    const waiting = this.sliceWaiters.filter((w) => w.slice === sliceIndex);
    this.sliceWaiters = this.sliceWaiters.filter((w) => w.slice !== sliceIndex);
    waiting.forEach((w) => w.resolve());
  }

  isSliceLoaded(sliceIndex) {
    return this.grid.length > 0 && this.sliceLoaded[sliceIndex] === this.grid[sliceIndex].length;
  }

  whenSliceLoaded(sliceIndex) {
    if (this.isSliceLoaded(sliceIndex)) return Promise.resolve();
    return new Promise((resolve) => this.sliceWaiters.push({ slice: sliceIndex, resolve }));
  }

  imageId(slice = this.slice, phase = this.phase) {
    return this.grid[slice][phase];
  }

  flatIndex() {
    return this.offsets[this.slice] + Math.min(this.phase, this.phaseCount - 1);
  }

  showFrame() {
    if (!this.grid.length || this.failed) return;
    this.viewport.setImageIdIndex(this.flatIndex()).catch(() => {});
    this.updatePosition();
  }

  // Slices keep the cardiac phase: the same phase index on the new slice (clamped if it has fewer).
  moveSlice(delta) {
    if (!this.grid.length) return;
    const next = Math.min(this.grid.length - 1, Math.max(0, this.slice + delta));
    if (next === this.slice) return;
    this.slice = next;
    this.phase = Math.min(this.phase, this.phaseCount - 1);
    this.showFrame();
    // A viewport playing in step holds its frame until the slice is in (see showCyclePoint).
    if (this.player.playing && !this.player.clock && !this.isSliceLoaded(next)) {
      // Hold playback until this slice's frames are all here, so it never stutters.
      this.player.pause();
      this.whenSliceLoaded(next).then(() => this.slice === next && this.play());
    }
  }

  movePhase(delta) {
    if (this.phaseCount < 2) return;
    this.player.pause();
    this.phase = (this.phase + delta + this.phaseCount) % this.phaseCount;
    this.showFrame();
    this.updateRate();
  }

  showPhase(phase) {
    if (this.phaseCount < 2) return;
    this.player.pause();
    this.phase = Math.min(this.phaseCount - 1, Math.max(0, phase));
    this.showFrame();
    this.updateRate();
  }

  advancePhase(steps) {
    if (this.phaseCount < 2) return;
    this.phase = (this.phase + steps) % this.phaseCount;
    this.showFrame();
  }

  // Where a phase falls in the cardiac cycle, from 0 at the R wave to 1 at the next: its trigger
  // time over the R-R interval; without trigger times, its index over the phase count (0023).
  cycleFraction(phase = this.phase) {
    const { trigger_ms: triggers, cycle_ms: cycle } = this.series ?? {};
    if (triggers?.length === this.phaseCount && cycle > 0) {
      const fraction = triggers[phase] / cycle;
      return fraction - Math.floor(fraction);
    }
    return this.phaseCount ? phase / this.phaseCount : 0;
  }

  // The phase nearest a point of the cycle, which wraps round (0.98 is near 0).
  phaseAt(fraction) {
    let best = 0;
    let bestDistance = Infinity;
    for (let phase = 0; phase < this.phaseCount; phase += 1) {
      const gap = Math.abs(this.cycleFraction(phase) - fraction);
      const distance = Math.min(gap, 1 - gap);
      if (distance < bestDistance) {
        best = phase;
        bestDistance = distance;
      }
    }
    return best;
  }

  // One turn of the cycle at this viewport's own rate: all its phases at its frames per second.
  cyclePeriodMs() {
    return (Math.max(1, this.phaseCount) * 1000) / this.player.fps;
  }

  // The shared clock's step: show the phase at ``fraction``; returns how many phases that moved on.
  // A slice still loading keeps its frame, then joins in at wherever the cycle has got to.
  showCyclePoint(fraction) {
    if (this.phaseCount < 2 || !this.isSliceLoaded(this.slice)) return 0;
    const phase = this.phaseAt(fraction);
    if (phase === this.phase) return 0;
    const steps = (phase - this.phase + this.phaseCount) % this.phaseCount;
    this.phase = phase;
    this.showFrame();
    return steps;
  }

  // Play in step with the other viewports on ``clock`` ("Play all").
  follow(clock) {
    if (this.phaseCount < 2 || this.failed) return;
    this.player.follow(clock);
    this.updateRate();
  }

  async play() {
    if (this.phaseCount < 2 || this.failed) return;
    const slice = this.slice;
    if (!this.isSliceLoaded(slice)) {
      this.container.dataset.waiting = 'true';
      await this.whenSliceLoaded(slice);
      delete this.container.dataset.waiting;
      if (slice !== this.slice) return;
    }
    this.player.play();
    this.updateRate();
  }

  pause() {
    this.player.pause();
    this.updateRate();
  }

  togglePlay() {
    if (this.player.playing) this.pause();
    else this.play();
  }

  setFps(fps) {
    this.player.setFps(fps);
    if (this.player.clock) this.viewer.cycleRateChanged(this); // it sets the pace of the others
    this.updateRate();
  }

  applyPreset(index) {
    const preset = this.presets[index];
    if (!preset) return;
    this.viewport.setProperties({ voiRange: preset.voiRange });
    this.viewport.render();
  }

  toggleInvert() {
    if (!this.grid.length) return;
    const { invert } = this.viewport.getProperties();
    this.viewport.setProperties({ invert: !invert });
    this.viewport.render();
  }

  reset() {
    if (!this.grid.length) return;
    this.fitCamera();
    this.viewport.setProperties({ voiRange: this.defaultVoi, invert: false });
    this.viewport.render();
  }

  // Cornerstone's fit: the whole image as large as the viewport allows, centred.
  fitCamera() {
    this.viewport.resetCamera();
    this.fitZoom = this.viewport.getZoom();
  }

  // The reader's zoom relative to the fit, and pan; read before a resize, given to refit after it.
  zoomAndPan() {
    if (!this.grid.length || this.failed || !this.hasImage || !this.fitZoom) return null;
    return { zoom: this.viewport.getZoom() / this.fitZoom, pan: this.viewport.getPan() };
  }

  // Whether the canvas has its box's size yet (Cornerstone's WebGL path skips a resize asked for
  // while a render is pending, and cine playback nearly always has one pending).
  canvasSized() {
    // A viewport with nothing drawn (a series that failed, one still loading) has nothing to
    // refit; waiting on it would resize, and so blank, every other viewport for 30 frames.
    if (this.failed || !this.hasImage) return true;
    const canvas = this.element.querySelector('canvas');
    if (!canvas || !canvas.clientWidth) return true;
    const ratio = window.devicePixelRatio || 1;
    const sized = (shown, drawn) => drawn === shown || drawn === Math.round(shown * ratio);
    return sized(canvas.clientWidth, canvas.width) && sized(canvas.clientHeight, canvas.height);
  }

  // After a layout change or resize: fit the image to the new size, then apply the zoom and pan
  // the reader had. Without it the WebGL path keeps the old absolute scale: a cropped image in a
  // narrowed viewport, a small one in a grown one.
  refit(kept) {
    if (!kept || !this.hasImage) return;
    const viewport = this.viewport;
    this.fitCamera();
    if (Math.abs(kept.zoom - 1) > 1e-3) viewport.setZoom(this.fitZoom * kept.zoom);
    if (kept.pan.some((value) => Math.abs(value) > 1e-6)) viewport.setPan(kept.pan);
    viewport.render();
  }

  onWheel(event) {
    event.preventDefault();
    this.viewer.activate(this);
    this.moveSlice(event.deltaY > 0 ? 1 : -1);
  }

  onRendered() {
    const index = this.viewport?.getCurrentImageIdIndex?.();
    if (!this.hasImage) return; // a resize renders an empty viewport too
    if (this.timings.firstFrameAt === undefined) {
      this.timings.firstFrameAt = performance.now();
      this.resolveFirstFrame();
      this.viewer.panelFirstFrame(this);
    }
    if (index !== this.lastRenderedIndex) {
      this.lastRenderedIndex = index;
      this.player.frameShown();
    }
  }

  fail(error) {
    this.failed = error?.message || String(error);
    this.resolveFirstFrame();
    this.player.pause();
    this.container.dataset.state = 'error';
    this.setMessage(format('This series cannot be displayed: %(reason)s', { reason: this.failed }), 'error');
    this.showProgress();
    this.viewer.panelLoaded(this);
  }

  setMessage(text, level = 'error') {
    const box = this.container.querySelector('[data-role=message]');
    box.hidden = !text;
    box.textContent = text || '';
    box.dataset.level = level;
  }

  showProgress() {
    const box = this.container.querySelector('[data-role=progress]');
    const done = this.failed || (this.total > 0 && this.loaded >= this.total);
    box.hidden = Boolean(done);
    const share = this.total ? this.loaded / this.total : 0;
    box.querySelector('.vp-progress-bar').style.width = `${Math.round(share * 100)}%`;
    box.querySelector('span').textContent = this.total
      ? format('Loading %(loaded)s of %(total)s images', { loaded: this.loaded, total: this.total })
      : t('Loading…');
  }

  updateLabel() {
    const s = this.series;
    const parts = [s.kind_label];
    if (s.description) parts.push(s.description);
    if (s.number !== null && s.number !== undefined) parts.push(`#${s.number}`);
    this.container.querySelector('[data-role=label]').textContent = parts.join(' · ');
  }

  updatePosition() {
    const box = this.container.querySelector('[data-role=position]');
    if (!this.grid.length) {
      box.textContent = '';
      return;
    }
    const lines = [];
    const position = this.series.slices[this.slice]?.position_mm;
    lines.push(
      position === null || position === undefined
        ? format('Slice %(index)s/%(count)s', { index: this.slice + 1, count: this.grid.length })
        : format('Slice %(index)s/%(count)s · %(position)s mm', {
            index: this.slice + 1, count: this.grid.length, position: position.toFixed(1),
          }),
    );
    if (this.phaseCount > 1) {
      lines.push(format('Phase %(index)s/%(count)s', { index: this.phase + 1, count: this.phaseCount }));
    }
    // A narrow viewport wraps a line only at its ' · ', never inside "Slice 3/12" or "-67.3 mm".
    box.textContent = lines
      .map((line) => line.split(' · ').map((part) => part.replaceAll(' ', '\u00a0')).join(' · '))
      .join('\n');
    this.container.dataset.slice = String(this.slice);
    this.container.dataset.phase = String(this.phase);
    this.viewer.panelPhaseChanged(this);
  }

  updateDisplay() {
    if (!this.grid.length || this.failed) return;
    this.display = readDisplay(this.viewport);
    const box = this.container.querySelector('[data-role=display]');
    const text = displayText(this.display);
    if (box.textContent !== text) box.textContent = text; // every cine frame asks; few change it
  }

  updateRate() {
    const box = this.container.querySelector('[data-role=rate]');
    this.container.dataset.playing = String(this.player.playing);
    // Playing in step, the rate is the shared clock's: the period over this series' phases.
    const { clock } = this.player;
    const fps = clock ? Math.round((this.phaseCount * 1000) / clock.periodMs) : this.player.fps;
    const rate = `${this.player.playing ? '▶' : '❚❚'} ${format('%(fps)s fps', { fps })}`;
    box.textContent = this.phaseCount > 1 ? (clock ? `${rate}\n${t('in step')}` : rate) : '';
    this.viewer.panelStateChanged(this);
  }

  // What tests and the benchmark read (window.cmrViewer.panels[i].state()).
  state() {
    return {
      series: this.series?.uid ?? null,
      kind: this.series?.kind ?? null,
      state: this.container.dataset.state ?? 'empty',
      slice: this.slice,
      slices: this.grid.length,
      phase: this.phase,
      phases: this.phaseCount,
      playing: this.player.playing,
      fps: this.player.fps,
      loaded: this.loaded,
      total: this.total,
      error: this.failed,
      timings: { ...this.timings },
      playback: this.player.summary(),
      inStep: Boolean(this.player.clock),
      cycle: this.cycleFraction(),
      display: this.display ?? null,
    };
  }
}
