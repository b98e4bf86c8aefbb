// Keyboard shortcuts, listed for readers in the help overlay (templates/viewer/_viewer.html) and
// in docs/guides/viewer.md. They act on the active viewport.
export const SHORTCUTS = {
  ' ': (v) => v.active?.togglePlay(),
  'Shift+ ': (v) => v.togglePlayAll(),
  a: (v) => v.togglePlayAll(),
  ArrowUp: (v) => v.active?.moveSlice(-1),
  ArrowDown: (v) => v.active?.moveSlice(1),
  PageUp: (v) => v.active?.moveSlice(-1),
  PageDown: (v) => v.active?.moveSlice(1),
  ArrowLeft: (v) => v.active?.movePhase(-1),
  ArrowRight: (v) => v.active?.movePhase(1),
  '+': (v) => v.active?.setFps(v.active.player.fps + 5),
  '=': (v) => v.active?.setFps(v.active.player.fps + 5),
  '-': (v) => v.active?.setFps(v.active.player.fps - 5),
  r: (v) => v.active?.reset(),
  i: (v) => v.active?.toggleInvert(),
  l: (v) => v.nextLayout(),
  v: (v) => v.activateNext(),
  1: (v) => v.active?.applyPreset(0),
  2: (v) => v.active?.applyPreset(1),
  3: (v) => v.active?.applyPreset(2),
  4: (v) => v.active?.applyPreset(3),
  '?': (v) => v.toggleHelp(),
  h: (v) => v.toggleHelp(),
  w: (v) => v.measure?.select('windowLevel'),
  m: (v) => v.measure?.select('length'),
  p: (v) => v.measure?.select('probe'),
  e: (v) => v.measure?.select('ellipse'),
  // Delete only, not Backspace: a Backspace meant for a field that lost focus must not wipe them.
  Delete: (v) => v.measure?.clear(),
};

export function bindShortcuts(viewer) {
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    // Keys typed into a form (the reading questionnaire, its scrollable report texts) are the
    // form's: arrows move between radios or scroll a report, digits rate.
    if (target.closest?.('input, textarea, select, [contenteditable=true], form:not([method=dialog])')) return;
    // Space activates the focused button, link or disclosure; it plays the cine only elsewhere.
    if (event.key === ' ' && target.closest?.('button, a[href], summary, [role=button]')) return;
    if (viewer.help?.open && event.key !== '?' && event.key !== 'h') return; // Escape closes the dialog
    const key = event.key === ' ' && event.shiftKey ? 'Shift+ ' : event.key;
    const action = SHORTCUTS[key.length === 1 ? key.toLowerCase() : key];
    if (!action) return;
    event.preventDefault();
    action(viewer);
  });
}
