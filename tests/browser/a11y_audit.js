// Accessibility audit run inside the page by test_a11y.py. Returns plain data; the test decides.
// Selectors in the report are short CSS paths, so a failure names the element to fix.
() => {
  const path = (el) => {
    const parts = [];
    for (let e = el; e && e.nodeType === 1 && e !== document.documentElement; e = e.parentElement) {
      let p = e.localName;
      if (e.id) { parts.unshift(`${p}#${e.id}`); break; }
      if (e.classList.length) p += '.' + [...e.classList].join('.');
      const sib = e.parentElement ? [...e.parentElement.children].filter((s) => s.localName === e.localName) : [];
      if (sib.length > 1) p += `:nth-of-type(${sib.indexOf(e) + 1})`;
      parts.unshift(p);
    }
    return parts.join(' > ');
  };
  const visible = (el) => {
    if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) return false;
    const r = el.getBoundingClientRect();
    // Off-screen (e.g. a skip link parked at left:-9999px until focused) is not shown.
    return r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > -window.scrollY;
  };

  // --- labels -------------------------------------------------------------------------------
  const controls = [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden');
  const labelText = (el) => {
    const texts = [];
    const aria = el.getAttribute('aria-label');
    if (aria && aria.trim()) texts.push(aria.trim());
    const by = el.getAttribute('aria-labelledby');
    if (by) by.split(/\s+/).forEach((id) => {
      const t = document.getElementById(id);
      if (t && t.textContent.trim()) texts.push(t.textContent.trim());
    });
    for (const l of el.labels || []) if (l.textContent.trim()) texts.push(l.textContent.trim());
    if (['submit', 'button', 'reset'].includes(el.type) && el.value.trim()) texts.push(el.value.trim());
    return texts.join(' / ');
  };
  const unlabelled = controls.filter((el) => !labelText(el)).map((el) => path(el));

  // --- contrast -----------------------------------------------------------------------------
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null; // e.g. color(srgb ...) – not used by this site
    const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const over = (top, bottom) => ({ // alpha-composite top over an opaque bottom
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.backgroundImage !== 'none') return { image: path(e) };
      const c = parse(s.backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let bg = { r: 255, g: 255, b: 255, a: 1 }; // the canvas
    for (const l of layers.reverse()) bg = over(l, bg);
    return bg;
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (fg, bg) => {
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
  };
  const hex = (c) => '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  const texts = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(el.tagName)) continue;
    const own = [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim());
    const ph = (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') && el.placeholder && !el.value;
    const val = (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') && el.value;
    if (!own.length && !ph && !val) continue;
    if (!visible(el)) continue;
    const bg = background(el);
    const s = getComputedStyle(el);
    const sample = (own.map((n) => n.textContent.trim()).join(' ') || el.value || el.placeholder).slice(0, 30);
    const push = (kind, colour) => {
      const fg = parse(colour);
      if (!fg) return;
      if (bg.image) { texts.push({ el: path(el), kind, text: sample, ratio: null, note: `background-image on ${bg.image}` }); return; }
      const fgc = fg.a < 1 ? over(fg, bg) : fg;
      texts.push({ el: path(el), kind, text: sample, ratio: Math.round(ratio(fgc, bg) * 100) / 100,
                   fg: hex(fgc), bg: hex(bg), size: s.fontSize, weight: s.fontWeight });
    };
    if (own.length || val) push('text', s.color);
    if (ph) push('placeholder', getComputedStyle(el, '::placeholder').color);
  }

  return {
    lang: document.documentElement.getAttribute('lang'),
    h1: [...document.querySelectorAll('h1')].map((h) => h.textContent.trim()),
    unlabelled,
    imgsWithoutAlt: [...document.images].filter((i) => !i.hasAttribute('alt')).map((i) => path(i)),
    texts,
  };
}
