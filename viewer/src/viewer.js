// The case viewer: a grid of viewport panels following the CMR hanging protocol, a series browser,
// a toolbar and keyboard shortcuts. The page provides the markup (templates/viewer/_viewer.html)
// and the manifest (cmr_reader/viewer/manifest.py); this wires them to Cornerstone3D.
import { RenderingEngine, utilities } from '@cornerstonejs/core';
import { initCornerstone } from './cornerstone.js';
import { loadSeriesImageIds } from './imageIds.js';
import { ViewportPanel } from './viewportPanel.js';
import { bindShortcuts } from './shortcuts.js';
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
    engineCount += 1;
    this.renderingEngine = new RenderingEngine(`cmr-viewer-${engineCount}`);
    this.bindToolbar();
    bindShortcuts(this);
    new ResizeObserver(() => this.renderingEngine.resize(true, true)).observe(this.grid);
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

  setLayout(name, wanted = null) {
    const shape = this.manifest.layouts[name]; // [rows, columns], from hanging_protocol.LAYOUTS
    if (!shape) return;
    const count = shape[0] * shape[1];
    const shown = wanted ?? this.panels.map((p) => p.series?.uid).filter(Boolean);
    const uids = this.fillViewports(shown, count);
    while (this.panels.length > uids.length) this.panels.pop().detach();
    this.layout = name;
    this.grid.dataset.layout = name;
    this.grid.style.gridTemplateColumns = `repeat(${shape[1]}, minmax(0, 1fr))`;
    this.grid.style.gridTemplateRows = `repeat(${shape[0]}, minmax(0, 1fr))`;
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
      if (panel.series?.uid !== uid) panel.showSeries(this.seriesByUid.get(uid));
    });
    this.renderingEngine.resize(true, true);
    if (!this.panels.includes(this.active)) this.activate(this.panels[0]);
  }

  // Keep what is shown; fill further viewports with the next series in reading order.
  fillViewports(shown, count) {
    const uids = shown.filter((uid) => this.seriesByUid.has(uid)).slice(0, count);
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
      case 'invert': return panel?.toggleInvert();
      case 'reset': return panel?.reset();
      case 'help': return this.toggleHelp();
      case 'close-help': return this.help?.close();
      default: return undefined;
    }
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
      play.setAttribute('aria-pressed', String(panel.player.playing));
      play.textContent = panel.player.playing ? t('Pause') : t('Play');
      play.disabled = panel.phaseCount < 2;
    }
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
