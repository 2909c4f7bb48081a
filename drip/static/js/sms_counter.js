// Live SMS length counter for step bodies: <textarea data-sms-counter> next to <small class="sms-count">.
// The rules mirror sms_segments() in drip/domain/templates.py; tests/unit/test_templates.py checks
// that the two character tables below match the Python ones, so edit both together.
(function (root) {
  "use strict";

  // GSM 03.38 default alphabet without ESC, then the extension table (each costs ESC + char).
  const GSM_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  const GSM_EXTENDED = "\f^{}\\[~]|€";
  const LIMITS = { "GSM-7": [160, 153], "UCS-2": [70, 67] };

  const gsmCost = new Map();
  for (const ch of GSM_BASIC) gsmCost.set(ch, 1);
  for (const ch of GSM_EXTENDED) gsmCost.set(ch, 2);

  function smsSegments(text) {
    const chars = Array.from(text); // code points, so a surrogate pair stays one character
    const gsm = chars.every((ch) => gsmCost.has(ch));
    const encoding = gsm ? "GSM-7" : "UCS-2";
    // UCS-2 counts UTF-16 code units: ch.length is 2 for emoji outside the BMP.
    const costs = chars.map((ch) => (gsm ? gsmCost.get(ch) : ch.length));
    const [single, part] = LIMITS[encoding];
    const units = costs.reduce((sum, cost) => sum + cost, 0);
    if (units <= single) {
      return { encoding, units, segments: units ? 1 : 0, perSegment: single, remaining: single - units };
    }
    // Phones never split an escape sequence or a surrogate pair across parts: fill greedily.
    let segments = 1;
    let used = 0;
    for (const cost of costs) {
      if (used + cost > part) {
        segments += 1;
        used = 0;
      }
      used += cost;
    }
    return { encoding, units, segments, perSegment: part, remaining: part - used };
  }

  function describe(count) {
    const capacity = Math.max(count.segments, 1) * count.perSegment;
    const noun = count.segments === 1 ? "segment" : "segments";
    return `${count.units} / ${capacity} · ${count.segments} ${noun} · ${count.encoding}`;
  }

  function outputFor(textarea) {
    for (let el = textarea.nextElementSibling; el; el = el.nextElementSibling) {
      if (el.matches("small.sms-count")) return el;
    }
    return textarea.parentElement ? textarea.parentElement.querySelector("small.sms-count") : null;
  }

  function attach(textarea) {
    const output = outputFor(textarea);
    if (!output || textarea.dataset.smsCounterAttached) return;
    textarea.dataset.smsCounterAttached = "1";
    const update = () => {
      const count = smsSegments(textarea.value);
      output.textContent = describe(count);
      output.dataset.encoding = count.encoding;
      output.dataset.segments = String(count.segments);
    };
    textarea.addEventListener("input", update);
    update();
  }

  function attachAll(scope) {
    (scope || document).querySelectorAll("textarea[data-sms-counter]").forEach(attach);
  }

  const api = { smsSegments, describe, attachAll, GSM_BASIC, GSM_EXTENDED };
  if (typeof module === "object" && module.exports) {
    module.exports = api; // lets the Python tests run the same rules under node
  } else {
    root.DripSmsCounter = api;
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", () => attachAll());
    } else {
      attachAll();
    }
  }
})(typeof window !== "undefined" ? window : globalThis);
