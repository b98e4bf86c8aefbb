// The reading workstation: the divider between images and reports (dragged or moved with the
// arrow keys, kept on the server for the reader), every answer autosaved as it is given (kept in
// the tab and retried until the server has it, through a server or database outage and a
// reload), digits 1-5 rate the focused item, Enter submits without reloading the page while
// answers are missing, and active time is reported.
(function () {
  'use strict';
  const root = document.querySelector('.workstation');
  if (!root) return;
  const form = document.getElementById('rating-form');
  const answerUrl = root.dataset.answerUrl;
  const activityUrl = root.dataset.activityUrl;
  const csrf = form.querySelector('input[name=csrfmiddlewaretoken]').value;
  const t = (s) => (window.gettext ? window.gettext(s) : s);
  // Translated and filled in with named values, as viewer/src/i18n.js does (both names are
  // keywords of makemessages: cmr_reader/accounts/management/commands/makemessages.py).
  const fill = (text, values) => (window.interpolate
    ? window.interpolate(text, values, true)
    : text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name])));
  const format = (message, values) => fill(t(message), values);
  const nformat = (singular, plural, count, values) => fill(
    window.ngettext ? window.ngettext(singular, plural, count) : (count === 1 ? singular : plural), values);
  const status = document.getElementById('save-status');
  const missingBox = document.getElementById('missing-count');
  const banner = document.getElementById('connection-status');
  const submitButton = document.getElementById('submit-case');

  // The divider between the images and the reports. This script runs before the viewer (a
  // module, so deferred) starts, and the reader's share is applied first: the viewer opens at
  // its final size.
  const body = root.querySelector('.workstation-body');
  const splitter = root.querySelector('.workstation-splitter');
  const splitLimits = [Number(root.dataset.splitMin), Number(root.dataset.splitMax)];
  let share = showSplit(Number(root.dataset.split));
  let storedShare = share;
  let storeTimer = null;

  function showSplit(wanted) {
    const [low, high] = splitLimits;
    const value = Math.round(Math.min(high, Math.max(low, Number.isFinite(wanted) ? wanted : 0.6)) * 1000) / 1000;
    body.style.setProperty('--images-share', String(value));
    const percent = Math.round(value * 100);
    splitter.setAttribute('aria-valuenow', String(percent));
    splitter.setAttribute('aria-valuetext', format('Images %(images)s, reports %(reports)s', { images: `${percent}%`, reports: `${100 - percent}%` }));
    return value;
  }

  function storeSplit() {
    clearTimeout(storeTimer);
    if (share === storedShare) return;
    const sent = share;
    fetch(root.dataset.splitUrl, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf },
      body: JSON.stringify({ split: sent }),
    }).then((response) => { if (response.ok) storedShare = sent; }, () => {});
  }

  let dragging = null;
  splitter.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    // Captured, so that the viewer's canvas under the pointer never takes the drag over.
    splitter.setPointerCapture(event.pointerId);
    dragging = event.pointerId;
    root.classList.add('is-resizing');
    event.preventDefault();
  });
  splitter.addEventListener('pointermove', (event) => {
    if (dragging !== event.pointerId) return;
    const box = body.getBoundingClientRect();
    const width = box.width - splitter.offsetWidth;
    if (width > 0) share = showSplit((event.clientX - box.left - splitter.offsetWidth / 2) / width);
  });
  function endDrag() {
    if (dragging === null) return;
    dragging = null;
    root.classList.remove('is-resizing');
    storeSplit();
  }
  splitter.addEventListener('pointerup', endDrag);
  splitter.addEventListener('lostpointercapture', endDrag);
  splitter.addEventListener('keydown', (event) => {
    const [low, high] = splitLimits;
    const steps = { ArrowLeft: -0.02, ArrowDown: -0.02, ArrowRight: 0.02, ArrowUp: 0.02, PageDown: -0.1, PageUp: 0.1 };
    let wanted;
    if (event.key in steps) wanted = share + steps[event.key];
    else if (event.key === 'Home') wanted = low;
    else if (event.key === 'End') wanted = high;
    else return;
    // The keys move the divider, not the viewer's slices and phases (document-level shortcuts).
    event.preventDefault();
    event.stopPropagation();
    share = showSplit(wanted);
    clearTimeout(storeTimer);
    storeTimer = setTimeout(storeSplit, 500);
  });
  splitter.addEventListener('blur', storeSplit);

  // Answers given but not yet confirmed by the server, oldest first: item -> newest value. They
  // are also kept in sessionStorage (this tab, this case), so that a reload or a visit to another
  // page while the server or its database is away loses none; the page sends them again on load.
  const queue = new Map();
  const storageKey = `cmr-reader:unsaved:${answerUrl}`;

  function remember() {
    try {
      if (queue.size) sessionStorage.setItem(storageKey, JSON.stringify([...queue]));
      else sessionStorage.removeItem(storageKey);
    } catch (error) {
      // storage full or switched off: the answers are still kept in memory
    }
  }

  function remembered() {
    try {
      const entries = JSON.parse(sessionStorage.getItem(storageKey) || '[]');
      return Array.isArray(entries) ? entries.filter((e) => Array.isArray(e) && e.length === 2) : [];
    } catch (error) {
      return [];
    }
  }

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

  // Puts a remembered value back into the form; false when the item cannot take it (gone, locked).
  function showValue(item, value) {
    const inputs = [...form.querySelectorAll(`[name="${CSS.escape(item)}"]`)];
    if (!inputs.length || inputs.some((i) => i.disabled)) return false;
    for (const input of inputs) {
      if (input.type === 'checkbox') input.checked = Array.isArray(value) && value.includes(input.value);
      else if (input.type === 'radio') input.checked = value !== null && String(value) === input.value;
      else input.value = value ?? '';
    }
    return true;
  }

  function stateBox(item) {
    const holder = form.querySelector(`[data-item="${CSS.escape(item)}"]`);
    return holder ? holder.querySelector('.save-state') || holder.parentElement.querySelector('.save-state') : null;
  }

  function mark(item, text) {
    const box = stateBox(item);
    if (box && box.textContent !== text) box.textContent = text;
  }

  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

  function save(item) {
    queue.set(item, valueOf(item));
    remember();
    if (!sending) {
      status.textContent = t('Saving…');
      drain();
    } else if (banner.hidden) {
      status.textContent = t('Saving…');
    } else {
      mark(item, t('Not saved yet'));
      showTrouble(trouble);
    }
  }

  // One request at a time, oldest answer first, so the server gets the answers in the order
  // they were given and a newer value of an item always lands after an older one. While the
  // server (or its database) is away the first answer is retried with a growing pause, and the
  // rest wait behind it instead of each hammering the server.
  let sending = false;
  // Set when the reader submits while answers are still being sent (see the submit handler).
  let submitWhenSaved = false;
  let trouble = null;
  // Set when a submit was refused because the server is away: the status then keeps saying why
  // (each failed retry rewrites it) until the answers are saved.
  let submitRefused = false;
  let wake = null;

  // Changes to a submitted case that the server refused because they would leave it incomplete
  // (an error flag turned to Yes before its categories and comment): item -> value. Each is sent
  // again after another answer is saved, so it goes through once what it needs is there.
  const held = new Map();

  function releaseHeld() {
    for (const [item, value] of held) {
      held.delete(item);
      // Not when the reader has since given another answer there: that one is sent instead.
      if (!queue.has(item) && same(valueOf(item), value)) queue.set(item, value);
    }
  }

  async function post(item, value) {
    let response;
    try {
      response = await fetch(answerUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf },
        body: JSON.stringify({ item, value }),
        credentials: 'same-origin',
      });
    } catch (error) {
      return { kind: 'unreachable' };
    }
    const body = await response.json().catch(() => ({}));
    // A signed-out session is redirected to the login page, which answers 200 with HTML: only
    // the server's own {"ok": true} means saved.
    if (response.ok && body.ok === true) return { kind: 'saved', body };
    if (response.status === 400 || response.status === 409) return { kind: 'refused', body };
    if (response.status === 503 && body.retry) return { kind: 'database' };
    if (response.redirected && new URL(response.url).pathname.includes('/login')) return { kind: 'signed-out' };
    return { kind: 'failed' };
  }

  function showTrouble(kind) {
    const messages = {
      database: t('Not saved yet: the server cannot reach the database. Your answers are kept in this page and will be sent again.'),
      unreachable: t('Not saved yet: the server cannot be reached. Your answers are kept in this page and will be sent again.'),
      'signed-out': t('Not saved yet: you are signed out. Sign in again in another tab; your answers are kept in this page and will be sent again.'),
      failed: t('Not saved yet: retrying…'),
    };
    const count = window.interpolate
      ? window.interpolate(window.ngettext('%s answer not saved yet', '%s answers not saved yet', queue.size), [queue.size])
      : `${queue.size} answers not saved yet`;
    // Only real changes: a live region announces every rewrite, and this runs on every retry.
    const text = messages[kind] || messages.failed;
    const statusText = submitRefused ? t('Wait until every answer is saved, then submit again.') : count;
    if (banner.textContent !== text) banner.textContent = text;
    if (status.textContent !== statusText) status.textContent = statusText;
    banner.dataset.trouble = kind;
    banner.hidden = false;
  }

  function pause(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => { clearTimeout(timer); resolve(); };
    });
  }
  window.addEventListener('online', () => { if (wake) wake(); });

  async function drain() {
    sending = true;
    let attempt = 0;
    while (queue.size) {
      const [item, value] = queue.entries().next().value;
      const outcome = await post(item, value);
      if (outcome.kind === 'saved' || outcome.kind === 'refused') {
        attempt = 0;
        trouble = null;
        submitRefused = false;
        banner.hidden = true;
        if (outcome.kind === 'saved') {
          mark(item, t('Saved'));
          updateMissing(outcome.body.missing || []);
          held.delete(item);
        } else {
          mark(item, outcome.body.error || t('Not saved'));
          if (Array.isArray(outcome.body.missing) && outcome.body.missing.length) held.set(item, value);
        }
        if (same(queue.get(item), value)) queue.delete(item); // else its newer value goes next
        if (outcome.kind === 'saved') releaseHeld();
        remember();
        if (queue.size) status.textContent = t('Saving…');
        else status.textContent = held.size ? t('Not every change is saved: see the note beside it.') : t('All answers saved');
        continue;
      }
      trouble = outcome.kind;
      submitWhenSaved = false; // the reader submits again once the server is back
      for (const waiting of queue.keys()) mark(waiting, t('Not saved yet'));
      showTrouble(trouble);
      await pause(Math.min(10000, 1000 * 2 ** attempt));
      wake = null;
      attempt += 1;
    }
    sending = false;
    if (submitWhenSaved) {
      submitWhenSaved = false;
      // Not with a refused change held back: the reader sees its note and submits again.
      if (!held.size) form.requestSubmit(document.getElementById('submit-case'));
    }
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

  // Answers not sent yet on purpose, item -> timer: text being typed (sent 600 ms after the last
  // key) and a radio group walked through with the arrow keys, which check every answer they
  // pass (sent once the keys have been still for 700 ms, or when the focus leaves the group), so
  // that the audit history records the answer the reader chose, not each one on the way. A
  // click, Space or a digit is a choice and is sent at once.
  const timers = new Map();
  const TYPING_MS = 600;
  const SETTLING_MS = 700;
  const ARROWS = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown']);

  function saveLater(item, ms) {
    clearTimeout(timers.get(item));
    timers.set(item, setTimeout(() => { timers.delete(item); save(item); }, ms));
  }

  function saveNow(item) {
    clearTimeout(timers.get(item));
    timers.delete(item);
    save(item);
  }

  // The browser moves the checked radio in the default action of the arrow's keydown, after this
  // listener, and fires "change" there: the item is known to be walked by the keys until then.
  let walkedItem = null;
  form.addEventListener('keydown', (event) => {
    if (event.target.type !== 'radio' || !ARROWS.has(event.key)) return;
    walkedItem = event.target.name;
    setTimeout(() => { walkedItem = null; }, 0);
  }, true);

  form.addEventListener('change', (event) => {
    const item = event.target.name;
    if (!item || item === 'csrfmiddlewaretoken') return;
    clearMissing(item);
    showDependants(item);
    if (event.target.type === 'radio' && item === walkedItem) saveLater(item, SETTLING_MS);
    else saveNow(item);
  });
  form.addEventListener('input', (event) => {
    if (event.target.tagName !== 'TEXTAREA') return;
    clearMissing(event.target.name);
    saveLater(event.target.name, TYPING_MS);
  });
  form.addEventListener('focusout', (event) => {
    const item = event.target.name;
    if (event.target.type !== 'radio' || !timers.has(item)) return;
    if (event.relatedTarget && event.relatedTarget.name === item) return; // still in the group
    saveNow(item);
  });

  // Every answer waiting counts as given when the reader submits or leaves the page.
  function flushWaiting() {
    for (const item of [...timers.keys()]) saveNow(item);
  }
  window.addEventListener('pagehide', flushWaiting);

  // Required answers a refused submit named: each marked where it is (a class, aria-invalid on
  // its controls and a short note beside it) until the reader answers it.
  function holderOf(item) {
    return form.querySelector(`[data-item="${CSS.escape(item)}"]`);
  }

  function controlsOf(item) {
    return [...form.querySelectorAll(`[name="${CSS.escape(item)}"]`)];
  }

  function clearMissing(item) {
    const holder = holderOf(item);
    if (!holder || !holder.classList.contains('is-missing')) return;
    holder.classList.remove('is-missing');
    const note = document.getElementById(`missing-note-${item}`);
    for (const control of controlsOf(item)) {
      control.removeAttribute('aria-invalid');
      const described = (control.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && id !== note?.id);
      if (described.length) control.setAttribute('aria-describedby', described.join(' '));
      else control.removeAttribute('aria-describedby');
    }
    if (note) note.remove();
  }

  function showMissing(missing) {
    for (const marked of [...form.querySelectorAll('.is-missing')]) clearMissing(marked.dataset.item);
    const shown = missing
      .map((item) => [item, holderOf(item)])
      .filter(([, holder]) => holder && !holder.closest('[hidden]'))
      // In the order of the page, whatever the order of the server's list.
      .sort(([, a], [, b]) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    for (const [item, holder] of shown) {
      holder.classList.add('is-missing');
      const note = document.createElement('span');
      note.className = 'missing-note';
      note.id = `missing-note-${item}`;
      note.textContent = t('Not answered yet (required).');
      // After a comment box's label, not in it: the note must not become the box's name.
      if (holder.tagName === 'TEXTAREA') (holder.closest('label') || holder).after(note);
      else holder.insertBefore(note, holder.querySelector(':scope > .save-state'));
      for (const control of controlsOf(item)) {
        control.setAttribute('aria-invalid', 'true');
        const described = (control.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
        control.setAttribute('aria-describedby', [...described, note.id].join(' '));
      }
    }
    updateMissing(missing);
    status.textContent = nformat(
      'Not submitted: %(count)s required answer is missing (marked).',
      'Not submitted: %(count)s required answers are missing (marked).',
      missing.length,
      { count: missing.length },
    );
    if (!shown.length) return;
    const [firstItem, firstHolder] = shown[0];
    const controls = controlsOf(firstItem).filter((c) => !c.disabled);
    const target = controls.find((c) => c.checked) || controls[0] || firstHolder;
    // The question in the middle of the reports' column, the page itself never scrolls.
    target.focus({ preventScroll: true });
    firstHolder.scrollIntoView({ block: 'center' });
  }

  // Answers this tab had not got saved before a reload or a visit elsewhere: back into the form,
  // and sent again.
  for (const [item, value] of remembered()) {
    if (showValue(item, value)) {
      queue.set(item, value);
      mark(item, t('Not saved yet'));
    }
  }
  // Answers given while the page was still loading, before this script ran (a slow connection,
  // or a quick reader): the browser checked the radio or kept the text, but nothing listened yet.
  // They differ from what the server rendered (the controls' defaults), and are sent now.
  for (const control of form.elements) {
    const item = control.name;
    if (!item || control.disabled || queue.has(item)) continue;
    const given = control.type === 'radio' || control.type === 'checkbox'
      ? control.checked !== control.defaultChecked
      : control.tagName === 'TEXTAREA' && control.value !== control.defaultValue;
    if (given) queue.set(item, valueOf(item));
  }
  remember();
  for (const item of queue.keys()) showDependants(item);
  if (queue.size) {
    status.textContent = t('Sending the answers that were not saved…');
    drain();
  }

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

  // Submitted with fetch, so that a refusal (answers missing) marks them in the page, which keeps
  // its viewer running; the form still posts by itself where this script does not run.
  let submitting = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    flushWaiting();
    if (submitting) return; // a second press while the first is on its way
    if (queue.size) {
      // Not yet: the last answers (a comment typed a moment ago, say) are still on their way.
      if (trouble) {
        // The server is away: refused here, the answers stay in the page and keep being sent.
        submitRefused = true;
        showTrouble(trouble); // why they are not saved, and to submit again once they are
      } else {
        // Submitted by drain() once they are saved, so one press is enough.
        submitWhenSaved = true;
        status.textContent = t('Saving your last answers, then submitting…');
      }
      return;
    }
    submitCase();
  });

  async function submitCase() {
    submitting = true;
    submitButton?.setAttribute('aria-busy', 'true');
    status.textContent = t('Submitting…');
    let response;
    try {
      response = await fetch(form.action, {
        method: 'POST',
        headers: { Accept: 'application/json', 'X-CSRFToken': csrf },
        credentials: 'same-origin',
      });
    } catch (error) {
      response = null;
    }
    const reply = response ? await response.json().catch(() => ({})) : {};
    if (response && response.ok && reply.ok === true && typeof reply.next === 'string') {
      window.location.assign(reply.next); // still "submitting": the next case is loading
      return;
    }
    submitting = false;
    submitButton?.removeAttribute('aria-busy');
    if (response && response.status === 409 && Array.isArray(reply.missing)) {
      showMissing(reply.missing);
    } else if (response && response.status === 409 && reply.error) {
      status.textContent = reply.error;
    } else if (response && response.redirected && new URL(response.url).pathname.includes('/login')) {
      status.textContent = t('Not submitted: you are signed out. Sign in again in another tab, then submit again.');
    } else if (response && response.status === 503) {
      status.textContent = t('Not submitted: the server cannot reach the database. Submit again in a moment.');
    } else if (!response) {
      status.textContent = t('Not submitted: the server cannot be reached. Submit again in a moment.');
    } else {
      status.textContent = t('Not submitted: something went wrong. Submit again in a moment.');
    }
  }

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
    }).then((response) => { if (!response.ok) active += seconds; }, () => { active += seconds; });
  }
  setInterval(sendActivity, 30000);
  window.addEventListener('pagehide', sendActivity);
})();
