// The reading workstation: every answer autosaves as it is given (retrying until the server has
// it), digits 1-5 rate the focused item, Enter submits, and active time is reported.
(function () {
  'use strict';
  const root = document.querySelector('.workstation');
  if (!root) return;
  const form = document.getElementById('rating-form');
  const answerUrl = root.dataset.answerUrl;
  const activityUrl = root.dataset.activityUrl;
  const csrf = form.querySelector('input[name=csrfmiddlewaretoken]').value;
  const t = (s) => (window.gettext ? window.gettext(s) : s);
  const status = document.getElementById('save-status');
  const missingBox = document.getElementById('missing-count');
  let pending = 0;
  const queue = new Map(); // item -> latest value not yet confirmed

  function valueOf(item) {
    const inputs = form.querySelectorAll(`[name="${CSS.escape(item)}"]`);
    if (!inputs.length) return null;
    const first = inputs[0];
    if (first.type === 'checkbox') return [...inputs].filter((i) => i.checked).map((i) => i.value);
    if (first.type === 'radio') {
      const checked = [...inputs].find((i) => i.checked);
      if (!checked) return null;
      if (checked.value === 'true' || checked.value === 'false') return checked.value === 'true';
      return /^[1-5]$/.test(checked.value) && first.closest('.likert') ? Number(checked.value) : checked.value;
    }
    return first.value;
  }

  function stateBox(item) {
    const holder = form.querySelector(`[data-item="${CSS.escape(item)}"]`);
    return holder ? holder.querySelector('.save-state') || holder.parentElement.querySelector('.save-state') : null;
  }

  // One request per item at a time: a value given while the previous one is still on its way
  // is sent after it, so the server always ends with the newest value (two requests in flight
  // for one item could be applied in either order).
  const sending = new Set();

  function save(item) {
    queue.set(item, valueOf(item));
    status.textContent = t('Saving…');
    if (!sending.has(item)) send(item);
  }

  async function send(item) {
    sending.add(item);
    pending += 1;
    const box = stateBox(item);
    let attempt = 0;
    while (queue.has(item)) {
      const value = queue.get(item);
      let outcome = 'retry';
      try {
        const response = await fetch(answerUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf },
          body: JSON.stringify({ item, value }),
          credentials: 'same-origin',
        });
        const body = await response.json().catch(() => ({}));
        if (response.ok) {
          outcome = 'saved';
          if (box) box.textContent = t('Saved');
          updateMissing(body.missing || []);
        } else if (response.status === 400 || response.status === 409) {
          outcome = 'refused';
          if (box) box.textContent = body.error || t('Not saved');
        }
      } catch (error) {
        // network trouble: keep the value and try again
      }
      if (outcome === 'retry') {
        if (box) box.textContent = t('Not saved yet: retrying…');
        await new Promise((resolve) => setTimeout(resolve, Math.min(8000, 500 * 2 ** attempt)));
        attempt += 1;
        continue; // the newest value of the item, which may have changed meanwhile
      }
      attempt = 0;
      if (queue.get(item) === value) queue.delete(item); // else a newer value goes next
    }
    sending.delete(item);
    pending -= 1;
    status.textContent = pending ? t('Saving…') : queue.size ? t('Some answers are not saved') : t('All answers saved');
  }

  function updateMissing(missing) {
    missingBox.dataset.missing = String(missing.length);
    missingBox.textContent = window.interpolate
      ? window.interpolate(window.ngettext('%s required answer left', '%s required answers left', missing.length), [missing.length])
      : `${missing.length} required answers left`;
  }

  function showDependants(item) {
    for (const dependant of form.querySelectorAll(`[data-shown-when="${CSS.escape(item)}"]`)) {
      dependant.hidden = valueOf(item) !== true;
    }
  }

  const timers = new Map();
  form.addEventListener('change', (event) => {
    const item = event.target.name;
    if (!item || item === 'csrfmiddlewaretoken') return;
    showDependants(item);
    save(item);
  });
  form.addEventListener('input', (event) => {
    if (event.target.tagName !== 'TEXTAREA') return;
    const item = event.target.name;
    clearTimeout(timers.get(item));
    timers.set(item, setTimeout(() => save(item), 600));
  });

  // Digits 1-5 rate the item that has focus (or holds the focused radio); Enter submits.
  document.addEventListener('keydown', (event) => {
    const target = event.target;
    if (target.tagName === 'TEXTAREA' || event.ctrlKey || event.metaKey || event.altKey) return;
    const likert = target.closest && target.closest('.likert');
    if (likert && /^[1-5]$/.test(event.key)) {
      const radio = likert.querySelector(`input[value="${event.key}"]`);
      if (radio && !radio.disabled) {
        radio.checked = true;
        radio.focus();
        radio.dispatchEvent(new Event('change', { bubbles: true }));
        event.preventDefault();
        event.stopPropagation();
      }
      return;
    }
    if (event.key === 'Enter' && form.contains(target) && target.tagName !== 'BUTTON') {
      event.preventDefault();
      form.requestSubmit(document.getElementById('submit-case'));
    }
  }, true);

  form.addEventListener('submit', (event) => {
    if (queue.size || pending) {
      event.preventDefault();
      status.textContent = t('Wait until every answer is saved, then submit again.');
    }
  });

  // Active time: seconds with the page visible and used in the last 60 s, sent every 30 s.
  let lastInput = Date.now();
  let active = 0;
  let tick = Date.now();
  for (const type of ['pointerdown', 'keydown', 'wheel', 'pointermove']) {
    document.addEventListener(type, () => { lastInput = Date.now(); }, { passive: true });
  }
  setInterval(() => {
    const now = Date.now();
    if (document.visibilityState === 'visible' && now - lastInput < 60000) active += (now - tick) / 1000;
    tick = now;
  }, 1000);
  function sendActivity() {
    if (active < 1) return;
    const seconds = active;
    active = 0;
    fetch(activityUrl, {
      method: 'POST', keepalive: true, credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf },
      body: JSON.stringify({ seconds }),
    }).catch(() => { active += seconds; });
  }
  setInterval(sendActivity, 30000);
  window.addEventListener('pagehide', sendActivity);
})();
