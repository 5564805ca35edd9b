// Filling a researcher's form as a participant would (docs/PILOT.md "Pages and forms").
//
// The fields are read from the page itself (every input, select and textarea with a name
// inside #scene), values are chosen to satisfy each one's constraints (required, type,
// min/max/step, pattern, minlength/maxlength, the options of radios, checkboxes and
// selects), typed with Playwright's fill (so maxlength truncates as it does for a person),
// and the browser's own validity is the judge: a field no candidate makes valid is a page
// that cannot be completed, and the pilot says which field and why.

/** The named fields of #scene, grouped by name, with their constraints. */
export async function readFields(page) {
  return page.evaluate(() => {
    const groups = new Map();
    for (const el of document.querySelectorAll('#scene input[name], #scene select[name], #scene textarea[name]')) {
      if (el.disabled) continue;
      const type = el.tagName === 'INPUT' ? (el.type || 'text').toLowerCase() : el.tagName.toLowerCase();
      if (['button', 'submit', 'reset', 'file', 'hidden', 'image'].includes(type)) continue;
      const g = groups.get(el.name) ?? { name: el.name, type, count: 0, options: [], required: false };
      g.count += 1;
      g.required ||= el.required;
      for (const a of ['min', 'max', 'step', 'pattern', 'minLength', 'maxLength']) {
        const v = a.endsWith('Length') ? el[a] : el.getAttribute(a);
        if (v !== null && v !== undefined && v !== -1 && v !== '') g[a] = v;
      }
      if (type === 'radio' || type === 'checkbox') g.options.push(el.value);
      if (type === 'select') {
        g.multiple = el.multiple;
        g.options = [...el.options].filter((o) => !o.disabled && o.value !== '').map((o) => o.value);
      }
      groups.set(el.name, g);
    }
    return [...groups.values()];
  });
}

/** Whether every field of that name is valid now (the browser's constraint validation). */
function validNow(page, name) {
  return page.evaluate((n) => [...document.querySelectorAll(`#scene [name="${CSS.escape(n)}"]`)]
    .every((el) => el.disabled || el.checkValidity()), name);
}

/** The validation message the browser gives for that field, for the report. */
function whyInvalid(page, name) {
  return page.evaluate((n) => [...document.querySelectorAll(`#scene [name="${CSS.escape(n)}"]`)]
    .map((el) => el.validationMessage).filter(Boolean)[0] ?? '', name);
}

// ---- strings that match a pattern ----

// A string matching a simple regular expression: literals, escapes (\d \w \s \. ...),
// classes ([a-z0-9_], [^...] as a letter), groups with alternatives, and the quantifiers
// ? * + {n} {n,m}. Patterns beyond that fall back to the fixed candidates below; the
// browser's validity decides either way.
export function sampleFromPattern(pattern, random) {
  let i = 0;
  const pick = (arr) => arr[Math.floor(random() * arr.length)];
  const range = (a, b) => { const out = []; for (let c = a.charCodeAt(0); c <= b.charCodeAt(0); c++) out.push(String.fromCharCode(c)); return out; };
  const DIGITS = range('0', '9');
  const WORD = [...range('a', 'z'), ...range('A', 'Z'), ...DIGITS, '_'];
  const escape = (ch) => ({ d: DIGITS, w: WORD, s: [' '], D: ['a'], W: ['-'], S: ['a'] }[ch] ?? [ch]);
  function cls() {
    i++; // [
    let negate = false;
    if (pattern[i] === '^') { negate = true; i++; }
    const set = [];
    while (i < pattern.length && pattern[i] !== ']') {
      let ch = pattern[i++];
      if (ch === '\\') { set.push(...escape(pattern[i++])); continue; }
      if (pattern[i] === '-' && pattern[i + 1] && pattern[i + 1] !== ']') {
        set.push(...range(ch, pattern[i + 1]));
        i += 2;
      } else set.push(ch);
    }
    i++; // ]
    if (negate) return WORD.filter((c) => !set.includes(c));
    return set;
  }
  function atom() {
    const ch = pattern[i];
    if (ch === '(') {
      i++;
      if (pattern.startsWith('?:', i)) i += 2;
      const alts = [alt()];
      while (pattern[i] === '|') { i++; alts.push(alt()); }
      i++; // )
      return () => pick(alts)();
    }
    if (ch === '[') { const set = cls(); return () => pick(set.length ? set : ['a']); }
    if (ch === '\\') { i++; const set = escape(pattern[i++]); return () => pick(set); }
    if (ch === '.') { i++; return () => pick(WORD); }
    i++;
    return () => ch;
  }
  function quantified() {
    const a = atom();
    let lo = 1, hi = 1;
    const q = pattern[i];
    if (q === '?') { lo = 0; hi = 1; i++; } else if (q === '*') { lo = 0; hi = 3; i++; } else if (q === '+') { lo = 1; hi = 3; i++; } else if (q === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (m) {
        lo = Number(m[1]);
        hi = m[2] ? (m[3] === '' ? lo + 3 : Number(m[3])) : lo;
        i += m[0].length;
      }
    }
    return () => { const n = lo + Math.floor(random() * (hi - lo + 1)); let s = ''; for (let k = 0; k < n; k++) s += a(); return s; };
  }
  function alt() {
    const parts = [];
    while (i < pattern.length && pattern[i] !== '|' && pattern[i] !== ')') {
      if (pattern[i] === '^' || pattern[i] === '$') { i++; continue; }
      parts.push(quantified());
    }
    return () => parts.map((p) => p()).join('');
  }
  try {
    const alts = [alt()];
    while (pattern[i] === '|') { i++; alts.push(alt()); }
    return pick(alts)();
  } catch {
    return null;
  }
}

// Candidates for a typed field, best first; each is tried until the browser says valid.
function typedCandidates(f, { n, random }) {
  const out = [];
  if (f.pattern) for (let k = 0; k < 4; k++) { const s = sampleFromPattern(f.pattern, random); if (s !== null) out.push(s); }
  switch (f.type) {
    case 'number': case 'range': {
      const min = f.min !== undefined ? Number(f.min) : (f.type === 'range' ? 0 : 1);
      const max = f.max !== undefined ? Number(f.max) : min + 100;
      const step = f.step && f.step !== 'any' ? Number(f.step) : 1;
      const steps = Math.max(0, Math.floor((max - min) / step));
      out.push(String(min + step * Math.floor(random() * (steps + 1))), String(min), String(max));
      break;
    }
    case 'email': out.push(`pilot${n}@example.org`); break;
    case 'url': out.push('https://example.org/pilot'); break;
    case 'tel': out.push('5550100', '+44 20 7946 0000'); break;
    case 'date': out.push(f.min ?? '2000-01-01', f.max ?? '2000-01-01'); break;
    case 'time': out.push(f.min ?? '12:00'); break;
    case 'datetime-local': out.push(f.min ?? '2000-01-01T12:00'); break;
    case 'month': out.push(f.min ?? '2000-01'); break;
    case 'week': out.push(f.min ?? '2000-W01'); break;
    case 'color': out.push('#336699'); break;
    default: {
      const min = f.minLength ?? 0;
      let s = `pilot answer ${n}`;
      while (s.length < min) s += ' more';
      out.push(s, 'pilot', 'yes', '42', 'A1', 'a'.repeat(Math.max(1, min)));
    }
  }
  return [...new Set(out)];
}

async function setGroup(page, f, value) {
  const sel = `#scene [name="${f.name.replace(/"/g, '\\"')}"]`;
  if (f.type === 'checkbox') {
    const want = Array.isArray(value) ? value : null;
    const boxes = page.locator(sel);
    for (let k = 0; k < f.count; k++) {
      const box = boxes.nth(k);
      const on = want ? want.includes(f.options[k]) : Boolean(value);
      await box.setChecked(on);
    }
  } else if (f.type === 'radio') {
    await page.locator(`${sel}[value="${String(value).replace(/"/g, '\\"')}"]`).check();
  } else if (f.type === 'select') {
    await page.locator(sel).first().selectOption(Array.isArray(value) ? value : [String(value)]);
  } else {
    await page.locator(sel).first().fill(String(value));
  }
}

/** The value a field should get (a valid one), before the browser checks it. */
function validChoice(f, { random }) {
  const pick = (arr) => arr[Math.floor(random() * arr.length)];
  if (f.type === 'checkbox') {
    if (f.count === 1) return f.required ? true : random() < 0.5;
    const chosen = f.options.filter(() => random() < 0.5);
    return chosen.length ? chosen : [f.options[0]];
  }
  if (f.type === 'radio' || f.type === 'select') return f.options.length ? pick(f.options) : null;
  return null; // typed: candidates
}

/** A wrong answer to a quiz field that is still a valid value (the page must accept it). */
function wrongAnswer(f, answer) {
  if (answer.kind === 'set') {
    const right = new Set(answer.value);
    const other = f.options.find((o) => !right.has(o));
    return other ? [...answer.value, other] : answer.value.slice(1);
  }
  if (answer.kind === 'checkbox') return answer.value !== 'true';
  if (answer.kind === 'choice') return f.options.find((o) => o !== answer.value) ?? null;
  const num = Number(answer.value);
  if (answer.value.trim() !== '' && Number.isFinite(num)) {
    const up = num + 1;
    return f.max !== undefined && up > Number(f.max) ? String(num - 1) : String(up);
  }
  return `${answer.value}x`;
}

function answerValue(answer) {
  if (answer.kind === 'checkbox') return answer.value === 'true';
  return answer.value;
}

/**
 * Fill every field with a valid value. quiz: the scene's quiz (answers from the plan);
 * wrong: give one graded field a wrong (but valid) answer. Returns {filled: {name: value},
 * problems: [text]}; a problem means the page cannot be completed.
 */
export async function fillForm(page, { scene, quiz = null, wrong = false, n = 0, random }) {
  const fields = await readFields(page);
  const answers = new Map((quiz?.answers ?? []).map((a) => [a.field, a]));
  let wrongDone = !wrong;
  const filled = {};
  const problems = [];
  for (const f of fields) {
    const answer = answers.get(f.name);
    const tries = [];
    if (answer && !wrongDone) {
      const w = wrongAnswer(f, answer);
      if (w !== null) tries.push({ v: w, wrong: true });
    }
    if (answer) tries.push({ v: answerValue(answer) });
    const choice = validChoice(f, { random });
    if (choice !== null) tries.push({ v: choice });
    if (f.type === 'checkbox' && f.count > 1) for (const o of f.options) tries.push({ v: [o] });
    if (f.type === 'radio' || f.type === 'select') for (const o of f.options) tries.push({ v: o });
    if (!['checkbox', 'radio', 'select'].includes(f.type)) for (const c of typedCandidates(f, { n, random })) tries.push({ v: c });
    let ok = false;
    for (const t of tries) {
      await setGroup(page, f, t.v);
      if (typeof t.v === 'string') t.kept = await page.locator(`#scene [name="${f.name.replace(/"/g, '\\"')}"]`).first().inputValue().catch(() => t.v);
      if (await validNow(page, f.name)) {
        filled[f.name] = t.v;
        if (t.wrong) wrongDone = true;
        ok = true;
        break;
      }
    }
    if (!ok) {
      const constraints = ['required', 'pattern', 'min', 'max', 'step', 'minLength', 'maxLength']
        .filter((k) => f[k] !== undefined && f[k] !== false).map((k) => `${k}=${JSON.stringify(f[k])}`).join(' ');
      problems.push(`page "${scene}": field "${f.name}" (${f.type}${constraints ? ` ${constraints}` : ''}) cannot be given a valid value: ` +
        `the browser refused every value the pilot tried (${tries.slice(0, 4).map((t) => JSON.stringify(t.v) + (t.kept !== undefined && t.kept !== t.v ? `, of which the field kept ${JSON.stringify(t.kept)}` : '')).join('; ')}): ${await whyInvalid(page, f.name)}`);
    }
  }
  return { filled, problems, wrongGiven: wrong && wrongDone };
}

/**
 * Invalid submissions the page must refuse: nothing filled in (when a field is required),
 * then a number above its max. Each is pressed once; the page refused it when #advance is
 * still enabled and the scene the same (the client disables #advance as it sends).
 * Returns [{what, refused}].
 */
export async function probeInvalid(page, scene) {
  const fields = await readFields(page);
  const out = [];
  const pressAndSee = async (what) => {
    await page.locator('#advance').click();
    const st = await page.evaluate(() => ({ scene: window.cohort?.scene, disabled: document.querySelector('#advance')?.disabled }));
    out.push({ what, refused: st.scene === scene && st.disabled === false });
  };
  if (fields.some((f) => f.required)) await pressAndSee('an empty form (required fields left blank)');
  const num = fields.find((f) => f.type === 'number' && f.max !== undefined);
  if (num && out.every((o) => o.refused)) {
    await page.locator(`#scene [name="${num.name}"]`).first().fill(String(Number(num.max) + 1));
    await pressAndSee(`${num.name} = ${Number(num.max) + 1} (max ${num.max})`);
  }
  return out;
}

/** What the client will send for this form: web/scenes.js's own collectForm, imported
 * into the page (the module the page already runs), for the check of the recorded form. */
export function collected(page) {
  return page.evaluate(async () => {
    const { collectForm } = await import(new URL('scenes.js', document.baseURI).href);
    return collectForm(document.querySelector('#scene'));
  });
}
