// The case viewer: a grid of viewport panels following the CMR hanging protocol, a series browser,
// a toolbar and keyboard shortcuts. The page provides the markup (templates/viewer/_viewer.html)
// and the manifest (cmr_reader/viewer/manifest.py); this wires them to Cornerstone3D.
import { RenderingEngine, utilities } from '@cornerstonejs/core';
import { initCornerstone } from './cornerstone.js';
import { loadSeriesImageIds } from './imageIds.js';
import { ViewportPanel } from './viewportPanel.js';
import { CycleClock } from './cinePlayer.js';
import { bindShortcuts } from './shortcuts.js';
import { MeasureTools } from './measurements.js';
import { t } from './i18n.js';

let engineCount = 0;

export class CaseViewer {
  constructor(root) {
    this.root = root;
    this.manifest = JSON.parse(document.getElementById(root.dataset.manifestId).textContent);
    this.loader = root.dataset.loader === 'wadouri' ? 'wadouri' : 'wadors';
    this.grid = root.querySelector('[data-viewer-grid]');
    this.seriesByUid = new Map(this.manifest.series.map((s) => [s.uid, s]));
    this.imageIds = new Map();
    this.panels = [];
    this.active = null;
    this.layout = null;
    this.timings = { startedAt: performance.now() };
    // "Play all": one clock for every cine viewport, so all show the same point of the cycle.
    this.cineClock = new CycleClock({ onChange: () => this.updatePlayAll() });
    this.readyPromise = new Promise((resolve) => { this.resolveReady = resolve; });
  }

  async start() {
    if (!this.manifest.series.length) {
      this.grid.innerHTML = `<p class="viewer-empty">${t('This case has no images.')}</p>`;
      this.resolveReady();
      return;
    }
    // The first viewports' metadata (preloaded by the page) is parsed while Cornerstone starts.
    for (const uid of this.manifest.viewports) this.imageIdsFor(this.seriesByUid.get(uid)).catch(() => {});
    const { toolGroup } = await initCornerstone();
    this.timings.cornerstoneReadyAt = performance.now();
    this.toolGroup = toolGroup;
    this.measure = new MeasureTools({ viewer: this, toolGroup });
    engineCount += 1;
    this.renderingEngine = new RenderingEngine(`cmr-viewer-${engineCount}`);
    this.bindToolbar();
    bindShortcuts(this);
    new ResizeObserver(() => this.resizeViewports()).observe(this.grid);
    this.setLayout(this.manifest.layout, this.manifest.viewports);
    this.resolveReady();
  }

  // imageIds[slice][phase] for a series, fetched (and its metadata registered) once per page.
  imageIdsFor(series) {
    if (!this.imageIds.has(series.uid)) {
      const promise = loadSeriesImageIds({ manifest: this.manifest, series, loader: this.loader });
      promise.catch(() => this.imageIds.delete(series.uid));
      this.imageIds.set(series.uid, promise);
    }
    return this.imageIds.get(series.uid);
  }

  // A layout from hanging_protocol.LAYOUTS: rows x columns tracks, and per viewport its cell
  // [row, column, rows spanned, columns spanned], which becomes the viewport's CSS grid area.
  setLayout(name, wanted = null) {
    const layout = this.manifest.layouts[name];
    if (!layout) return;
    const kept = this.panels.map((p) => p.zoomAndPan());
    const shown = wanted ?? this.panels.map((p) => p.series?.uid).filter(Boolean);
    const uids = this.fillViewports(shown, layout.cells.length);
    while (this.panels.length > uids.length) this.panels.pop().detach();
    this.layout = name;
    this.grid.dataset.layout = name;
    this.grid.style.gridTemplateColumns = `repeat(${layout.columns}, minmax(0, 1fr))`;
    this.grid.style.gridTemplateRows = `repeat(${layout.rows}, minmax(0, 1fr))`;
    for (const button of this.root.querySelectorAll('button[data-layout]')) {
      button.setAttribute('aria-pressed', String(button.dataset.layout === name));
    }
    uids.forEach((uid, index) => {
      let panel = this.panels[index];
      if (!panel) {
        panel = new ViewportPanel({ viewer: this, viewportId: `${this.renderingEngine.id}-vp-${index}` });
        this.grid.appendChild(panel.container);
        panel.attach(this.renderingEngine, this.toolGroup);
        this.panels.push(panel);
      }
      const [row, column, rows, columns] = layout.cells[index];
      panel.container.style.gridArea = `${row + 1} / ${column + 1} / span ${rows} / span ${columns}`;
      if (panel.series?.uid !== uid) panel.showSeries(this.seriesByUid.get(uid));
    });
    this.resizeViewports(kept);
    if (!this.panels.includes(this.active)) this.activate(this.panels[0]);
  }

  // Canvases to their viewports' new sizes, then every image fitted to its viewport again, with
  // the zoom and pan its reader had (``kept``, read before the sizes change). A resize Cornerstone
  // skipped (a render was pending) is asked for again on the next frames.
  resizeViewports(kept = this.panels.map((p) => p.zoomAndPan()), tries = 30) {
    cancelAnimationFrame(this.resizeHandle);
    this.renderingEngine.resize(true, true);
    if (tries > 0 && !this.panels.every((p) => p.canvasSized())) {
      this.resizeHandle = requestAnimationFrame(() => this.resizeViewports(kept, tries - 1));
      return;
    }
    this.panels.forEach((panel, index) => panel.refit(kept[index]));
  }

  // Keep what is shown; fill further viewports with the hanging protocol's series (SAX cine,
  // long-axis cine, LGE), then the next series in reading order.
  fillViewports(shown, count) {
    const uids = shown.filter((uid) => this.seriesByUid.has(uid)).slice(0, count);
    for (const uid of this.manifest.viewports) {
      if (uids.length >= count) break;
      if (!uids.includes(uid) && this.seriesByUid.has(uid)) uids.push(uid);
    }
    for (const series of this.manifest.series) {
      if (uids.length >= count) break;
      if (!uids.includes(series.uid) && series.kind !== 'localizer') uids.push(series.uid);
    }
    for (const series of this.manifest.series) {
      if (uids.length >= count) break;
      if (!uids.includes(series.uid)) uids.push(series.uid);
    }
    return uids;
  }

  nextLayout() {
    const names = Object.keys(this.manifest.layouts);
    this.setLayout(names[(names.indexOf(this.layout) + 1) % names.length]);
  }

  activate(panel) {
    if (!panel || panel === this.active) return;
    this.active = panel;
    for (const p of this.panels) p.container.classList.toggle('vp-active', p === panel);
    this.panelStateChanged(panel);
  }

  activateNext() {
    const index = this.panels.indexOf(this.active);
    this.activate(this.panels[(index + 1) % this.panels.length]);
  }

  showSeriesInActive(uid) {
    const series = this.seriesByUid.get(uid);
    if (series && this.active) this.active.showSeries(series);
  }

  bindToolbar() {
    this.root.addEventListener('click', (event) => {
      const button = event.target.closest('button');
      if (!button || !this.root.contains(button)) return;
      if (button.dataset.layout) this.setLayout(button.dataset.layout);
      else if (button.dataset.series) this.showSeriesInActive(button.dataset.series);
      else if (button.dataset.action) this.runAction(button.dataset.action);
    });
    this.fpsInput = this.root.querySelector('[data-action=fps]');
    this.fpsInput?.addEventListener('change', () => this.active?.setFps(Number(this.fpsInput.value)));
    // Frame scrubbing: dragging the phase slider pauses the cine and shows that phase.
    this.phaseSlider = this.root.querySelector('[data-action=phase]');
    this.phaseSlider?.addEventListener('input', () => this.active?.showPhase(Number(this.phaseSlider.value) - 1));
    this.presetSelect = this.root.querySelector('[data-action=preset]');
    this.presetSelect?.addEventListener('change', () => this.active?.applyPreset(Number(this.presetSelect.value)));
    this.help = this.root.querySelector('[data-viewer-help]');
  }

  runAction(action) {
    const panel = this.active;
    switch (action) {
      case 'play': return panel?.togglePlay();
      case 'play-all': return this.togglePlayAll();
      case 'invert': return panel?.toggleInvert();
      case 'reset': return panel?.reset();
      case 'help': return this.toggleHelp();
      case 'close-help': return this.help?.close();
      default: return undefined;
    }
  }

  // Every cine viewport plays in step (one shared clock, decision 0023), or all pause.
  togglePlayAll() {
    if (this.cineClock.running) this.pauseAll();
    else this.playAll();
  }

  playAll() {
    const cines = this.panels.filter((p) => p.phaseCount > 1 && !p.failed);
    if (!cines.length) return;
    // The reader's viewport leads: the cycle starts where it is and turns at its rate.
    const lead = cines.includes(this.active) ? this.active : cines[0];
    for (const panel of this.panels) panel.pause();
    this.cineClock.start({ fraction: lead.cycleFraction(), periodMs: lead.cyclePeriodMs() });
    for (const panel of cines) panel.follow(this.cineClock);
  }

  pauseAll() {
    for (const panel of this.panels) panel.pause();
  }

  // A viewport playing in step had its rate changed: the shared clock takes its pace.
  cycleRateChanged(panel) {
    this.cineClock.setPeriod(panel.cyclePeriodMs());
    for (const other of this.panels) if (other !== panel && other.player.clock) other.updateRate();
  }

  updatePlayAll() {
    const button = this.root.querySelector('[data-action=play-all]');
    if (!button) return;
    const running = this.cineClock.running;
    button.dataset.playing = String(running);
    button.querySelector('[data-icon]').textContent = running ? '❚❚' : '▶';
    button.setAttribute('aria-label', running ? t('Pause all') : t('Play all'));
    button.disabled = !running && !this.panels.some((p) => p.phaseCount > 1 && !p.failed);
  }

  toggleHelp() {
    if (!this.help) return;
    if (this.help.open) this.help.close();
    else this.help.showModal();
  }

  panelStateChanged(panel) {
    if (panel !== this.active) return;
    const play = this.root.querySelector('[data-action=play]');
    if (play) {
      // A player's icons: the button shows what it will do; its name says it in words.
      play.dataset.playing = String(panel.player.playing);
      play.querySelector('[data-icon]').textContent = panel.player.playing ? '❚❚' : '▶';
      play.setAttribute('aria-label', panel.player.playing ? t('Pause') : t('Play'));
      play.disabled = panel.phaseCount < 2;
    }
    this.updatePlayAll();
    if (this.fpsInput) {
      this.fpsInput.value = String(panel.player.fps);
      this.fpsInput.disabled = panel.phaseCount < 2;
    }
    if (this.phaseSlider) {
      this.phaseSlider.max = String(Math.max(1, panel.phaseCount));
      this.phaseSlider.value = String(panel.phase + 1);
      this.phaseSlider.disabled = panel.phaseCount < 2;
      this.phaseSlider.setAttribute('aria-valuetext', `${panel.phase + 1} / ${panel.phaseCount}`);
    }
    for (const button of this.root.querySelectorAll('[data-series]')) {
      button.setAttribute('aria-current', String(button.dataset.series === panel.series?.uid));
    }
  }

  // The phase slider follows playback without re-rendering the whole toolbar.
  panelPhaseChanged(panel) {
    if (panel === this.active && this.phaseSlider) {
      this.phaseSlider.value = String(panel.phase + 1);
      this.phaseSlider.setAttribute('aria-valuetext', `${panel.phase + 1} / ${panel.phaseCount}`);
    }
  }

  panelFirstFrame(panel) {
    if (this.timings.firstFrameAt === undefined) {
      this.timings.firstFrameAt = performance.now();
      performance.mark('cmr-viewer-first-frame');
    }
    this.panelStateChanged(panel);
    this.updatePlayAll();
  }

  panelLoaded() {
    const settled = this.panels.every((p) => p.failed || (p.total > 0 && p.loaded >= p.total));
    if (settled && this.timings.allLoadedAt === undefined) {
      this.timings.allLoadedAt = performance.now();
      performance.mark('cmr-viewer-all-loaded');
      this.drawThumbnails();
    }
  }

  // Thumbnails after the visible series are in, so they never compete with them for bandwidth.
  async drawThumbnails() {
    for (const button of this.root.querySelectorAll('[data-series]')) {
      const series = this.seriesByUid.get(button.dataset.series);
      const canvas = button.querySelector('canvas');
      if (!series || !canvas || !series.thumbnail) continue;
      try {
        const grid = await this.imageIdsFor(series);
        const slice = series.slices.findIndex((s) => s.frames.some(([sop]) => sop === series.thumbnail[0]));
        const imageId = grid[Math.max(0, slice)][0];
        await utilities.loadImageToCanvas({ canvas, imageId, thumbnail: true });
        button.dataset.thumbnail = 'ready';
      } catch {
        button.dataset.thumbnail = 'failed';
      }
    }
  }

  // What tests and the benchmark read.
  state() {
    return {
      layout: this.layout,
      active: this.panels.indexOf(this.active),
      timings: { ...this.timings },
      panels: this.panels.map((p) => p.state()),
      measure: this.measure?.state() ?? null,
    };
  }
}

export async function startViewer(root) {
  const viewer = new CaseViewer(root);
  window.cmrViewer = viewer;
  try {
    await viewer.start();
  } catch (error) {
    root.querySelector('[data-viewer-grid]').innerHTML = '';
    const message = document.createElement('p');
    message.className = 'viewer-empty';
    message.setAttribute('role', 'alert');
    message.textContent = `${t('The viewer could not start:')} ${error?.message || error}`;
    root.querySelector('[data-viewer-grid]').appendChild(message);
    viewer.resolveReady();
  }
  return viewer;
}
