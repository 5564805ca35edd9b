// Rendering of `scene` messages into #scene (docs/DESIGN.md section 5, steps 3-5). The html of
// a scene is the researcher's own page fragment from the experiment folder.

import { t } from './texts.js';

/**
 * Form values inside `root`: every input, select and textarea with a name. Checkboxes
 * give "true"/"false"; a radio group gives its checked value ("" if none); a multiple
 * select gives its selected values joined by commas. All values are strings, as the
 * protocol requires.
 */
export function collectForm(root) {
  const form = {};
  for (const el of root.querySelectorAll('input[name], select[name], textarea[name]')) {
    if (el.disabled) continue;
    const name = el.name;
    const type = (el.type || '').toLowerCase();
    if (type === 'checkbox') {
      // Several checkboxes sharing a name: a comma-joined list of the checked values.
      const group = root.querySelectorAll(`input[type="checkbox"][name="${CSS.escape(name)}"]`);
      if (group.length > 1) {
        form[name] = [...group].filter((c) => c.checked).map((c) => c.value).join(',');
      } else {
        form[name] = el.checked ? 'true' : 'false';
      }
    } else if (type === 'radio') {
      if (!Object.hasOwn(form, name)) form[name] = '';
      if (el.checked) form[name] = el.value;
    } else if (type === 'button' || type === 'submit' || type === 'reset' || type === 'file') {
      continue;
    } else if (el.tagName === 'SELECT' && el.multiple) {
      form[name] = [...el.selectedOptions].map((o) => o.value).join(',');
    } else {
      form[name] = String(el.value);
    }
  }
  return form;
}

// Uses the researcher's own button if the fragment has one with that id.
function ensureButton(root, id, label) {
  let btn = root.querySelector(`#${id}`);
  if (!btn) {
    const bar = root.ownerDocument.createElement('div');
    bar.className = 'actions';
    btn = root.ownerDocument.createElement('button');
    btn.id = id;
    btn.type = 'button';
    btn.textContent = label;
    bar.append(btn);
    root.append(bar);
  }
  btn.disabled = false;
  return btn;
}

// Required fields and the like: use the browser's own validation messages.
function validate(root) {
  for (const el of root.querySelectorAll('input, select, textarea')) {
    if (typeof el.checkValidity === 'function' && !el.checkValidity()) {
      el.reportValidity?.();
      return false;
    }
  }
  return true;
}

function setHtml(root, html) {
  root.innerHTML = html || '';
  // Enter in a text field would submit a <form> and navigate away from the study.
  for (const f of root.querySelectorAll('form')) f.addEventListener('submit', (e) => e.preventDefault());
}

/** A static page with #advance; onAdvance(form|undefined) returns false if it could not send. */
export function renderPage(root, msg, onAdvance) {
  setHtml(root, msg.html);
  const btn = ensureButton(root, 'advance', t('button_continue'));
  btn.addEventListener('click', () => {
    if (btn.disabled || !validate(root)) return;
    btn.disabled = true; // one press, one advance; the next scene replaces this page
    if (onAdvance(msg.form ? collectForm(root) : undefined) === false) btn.disabled = false;
  });
  return btn;
}

/**
 * A graded quiz attempt that was not right (the server's `quiz_result`): its feedback and
 * the attempts left in #quiz-feedback above the button, the fields it names as wrong
 * outlined (their fieldset or label), and the button usable again. What the participant
 * typed stays as it was.
 */
export function showQuizResult(root, msg) {
  const doc = root.ownerDocument;
  for (const el of root.querySelectorAll('.quiz-wrong')) el.classList.remove('quiz-wrong');
  for (const el of root.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  let box = root.querySelector('#quiz-feedback');
  if (!box) {
    box = doc.createElement('div');
    box.id = 'quiz-feedback';
    box.className = 'quiz-feedback';
    box.setAttribute('role', 'alert');
    const bar = root.querySelector('#advance')?.closest('.actions');
    if (bar && bar.parentNode) bar.parentNode.insertBefore(box, bar);
    else root.append(box);
  }
  box.replaceChildren();
  if (msg.feedback) {
    const p = doc.createElement('p');
    p.className = 'quiz-feedback-text';
    p.textContent = msg.feedback;
    box.append(p);
  }
  const left = Number(msg.attempts_left) || 0;
  if (left > 0) {
    const p = doc.createElement('p');
    p.className = 'muted quiz-attempts-left';
    p.textContent = t(left === 1 ? 'quiz_attempts_left_one' : 'quiz_attempts_left', { count: left });
    box.append(p);
  }
  for (const name of Array.isArray(msg.wrong) ? msg.wrong : []) {
    if (typeof name !== 'string') continue;
    for (const el of root.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
      el.setAttribute('aria-invalid', 'true');
      (el.closest('fieldset') ?? el.closest('label') ?? el).classList.add('quiz-wrong');
    }
  }
  const btn = root.querySelector('#advance');
  if (btn && left > 0) btn.disabled = false;
}

/** A game scene's page with #start; onStart() returns false if it could not send. */
export function renderGameIntro(root, msg, onStart) {
  setHtml(root, msg.html);
  const btn = ensureButton(root, 'start', t('button_start'));
  btn.addEventListener('click', () => {
    if (btn.disabled) return;
    btn.disabled = true;
    if (onStart() === false) btn.disabled = false;
  });
  return btn;
}

/** The end scene: the researcher's page, the outcome message, the code and the way back. */
export function renderEnd(root, msg) {
  const doc = root.ownerDocument;
  setHtml(root, msg.html);
  const box = doc.createElement('div');
  box.className = 'end';
  if (msg.message) {
    const p = doc.createElement('p');
    p.className = 'end-message';
    p.textContent = msg.message;
    box.append(p);
  }
  if (msg.bonus) {
    // The server words it (texts: end_bonus) with the amount it recorded for the payment.
    const p = doc.createElement('p');
    p.id = 'bonus';
    p.className = 'bonus-line';
    p.textContent = msg.bonus;
    box.append(p);
  }
  if (msg.code) {
    const p = doc.createElement('p');
    p.className = 'code-line';
    p.append(`${t('end_code')} `);
    const code = doc.createElement('strong');
    code.id = 'completion-code';
    code.textContent = msg.code;
    p.append(code);
    const copy = doc.createElement('button');
    copy.type = 'button';
    copy.className = 'secondary small';
    copy.id = 'copy-code';
    copy.textContent = t('end_copy');
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(msg.code);
        copy.textContent = t('end_copied');
      } catch {
        // No clipboard access: select the code so the participant can copy it by hand.
        doc.getSelection()?.selectAllChildren(code);
      }
    });
    p.append(' ', copy);
    box.append(p);
  }
  if (msg.redirect) {
    const a = doc.createElement('a');
    a.id = 'redirect';
    a.className = 'button';
    a.href = msg.redirect;
    a.rel = 'noreferrer';
    a.textContent = msg.code ? t('end_submit') : t('end_finish');
    const bar = doc.createElement('div');
    bar.className = 'actions';
    bar.append(a);
    box.append(bar);
  }
  if (!msg.message && !msg.bonus && !msg.code && !msg.redirect && !msg.html) {
    const p = doc.createElement('p');
    p.textContent = t('end_close_tab');
    box.append(p);
  }
  root.append(box);
}
