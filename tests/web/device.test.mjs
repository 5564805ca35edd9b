// What the page reports about its device in hello (web/device.js, docs/PROTOCOL.md
// "The device in a hello"): the server screens with these facts, so each must mean what
// the docs say for the browsers participants really use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceFacts, primaryPointer, userAgentMobile } from '../../web/device.js';

const UA = {
  chromeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  safariMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  androidPhone: 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36',
  androidTablet: 'Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  iphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
};

test('phones and tablets are mobile by their user agent, desktops are not', () => {
  assert.equal(userAgentMobile({ userAgent: UA.chromeWindows, maxTouchPoints: 0 }), false);
  assert.equal(userAgentMobile({ userAgent: UA.safariMac, maxTouchPoints: 0 }), false);
  assert.equal(userAgentMobile({ userAgent: UA.androidPhone, maxTouchPoints: 5 }), true);
  assert.equal(userAgentMobile({ userAgent: UA.androidTablet, maxTouchPoints: 10 }), true);
  assert.equal(userAgentMobile({ userAgent: UA.iphone, maxTouchPoints: 5 }), true);
  // iPadOS Safari asks for desktop pages: a "Mac" with a touchscreen.
  assert.equal(userAgentMobile({ userAgent: UA.safariMac, maxTouchPoints: 5 }), true);
  // Client Hints win where the browser has them; a touchscreen Windows laptop is no tablet.
  assert.equal(userAgentMobile({ userAgent: UA.chromeWindows, userAgentData: { mobile: true } }), true);
  assert.equal(userAgentMobile({ userAgent: UA.chromeWindows, maxTouchPoints: 10 }), false);
  assert.equal(userAgentMobile(undefined), false);
});

const media = (matching) => (q) => ({ matches: matching.includes(q) });

test('the primary pointer and hover come from the media queries', () => {
  assert.equal(primaryPointer(media(['(pointer: fine)'])), 'fine');
  assert.equal(primaryPointer(media(['(pointer: coarse)'])), 'coarse');
  assert.equal(primaryPointer(media([])), 'none');
  assert.equal(primaryPointer(undefined), 'none');
  const phone = {
    innerWidth: 412.7, innerHeight: 839, matchMedia: media(['(pointer: coarse)']),
    navigator: { userAgent: UA.androidPhone, maxTouchPoints: 5 },
  };
  assert.deepEqual(deviceFacts(phone), {
    width: 412, height: 839, mobile: true, pointer: 'coarse', hover: false, touch_points: 5,
  });
  const laptop = {
    innerWidth: 1440, innerHeight: 800, matchMedia: media(['(pointer: fine)', '(hover: hover)']),
    navigator: { userAgent: UA.chromeWindows, maxTouchPoints: 0 },
  };
  assert.deepEqual(deviceFacts(laptop), {
    width: 1440, height: 800, mobile: false, pointer: 'fine', hover: true, touch_points: 0,
  });
});

test('whatever the browser says, the numbers stay in the range the server accepts', () => {
  const odd = { innerWidth: -3, innerHeight: Infinity, navigator: { maxTouchPoints: 1e6 } };
  const d = deviceFacts(odd);
  assert.equal(d.width, 0);
  assert.equal(d.height, 0);
  assert.equal(d.touch_points, 256);
  assert.equal(d.pointer, 'none');
  assert.equal(d.hover, false);
});
