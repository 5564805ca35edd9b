// What this page can tell about its device, for hello's `device` (docs/PROTOCOL.md). The
// server screens with these facts against the experiment's `require:`; the page never
// decides for itself. Every fact is what the browser says, so it can be wrong: a user
// can ask for the "desktop site", resize the window, or use a script.

// User agents of phones and tablets. Android tablets say "Android" without "Mobile".
const MOBILE_UA = /Android|iPhone|iPad|iPod|Mobi|Silk|Kindle|BlackBerry|IEMobile|Opera Mini/i;

/**
 * Whether the user agent says phone or tablet: User-Agent Client Hints' `mobile` where
 * the browser has them (Chromium), else the user agent string; and a "Macintosh" with
 * touch points, which is iPadOS Safari asking for desktop pages (no Mac has a touchscreen).
 */
export function userAgentMobile(nav) {
  if (nav?.userAgentData?.mobile === true) return true;
  const ua = String(nav?.userAgent ?? '');
  if (MOBILE_UA.test(ua)) return true;
  return /Macintosh/.test(ua) && Number(nav?.maxTouchPoints) > 1;
}

/** The primary pointer by the `(pointer: ...)` media query: fine, coarse or none. */
export function primaryPointer(matchMedia) {
  if (typeof matchMedia !== 'function') return 'none';
  if (matchMedia('(pointer: fine)').matches) return 'fine';
  if (matchMedia('(pointer: coarse)').matches) return 'coarse';
  return 'none';
}

const whole = (n, max) => {
  const v = Math.floor(Number(n));
  return Number.isFinite(v) ? Math.min(Math.max(v, 0), max) : 0;
};

/** hello.device for the global object g (a window). */
export function deviceFacts(g = globalThis) {
  const nav = g.navigator;
  const mm = typeof g.matchMedia === 'function' ? (q) => g.matchMedia(q) : null;
  return {
    width: whole(g.innerWidth, 100000),
    height: whole(g.innerHeight, 100000),
    mobile: userAgentMobile(nav),
    pointer: primaryPointer(mm),
    hover: mm ? mm('(hover: hover)').matches : false,
    touch_points: whole(nav?.maxTouchPoints, 256),
  };
}
