/* The recovery desk's request form: the copy of the identity document is masked and stamped on this device.
 *
 * The picked file stays in the browser: it is drawn on a canvas at its own resolution (at most MAX_SIDE pixels on
 * the long side), the requester drags black rectangles over the BSN and the number line, and the page writes
 * "KOPIE / COPY – <organisation> MFA recovery – <date>" across it. On submit the canvas's PNG goes into the file
 * input "id_document"; the picker itself has no name, so the original is never part of the form.
 */
"use strict";

(() => {
  const MAX_SIDE = 3000;
  const form = document.getElementById("desk-request-form");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const picker = $("id-document-picker");
  const masked = $("id_document");
  const editor = $("id-document-editor");
  const canvas = $("id-document-canvas");
  const idStatus = $("id-document-status");
  const formStatus = $("form-status");
  const organisation = $("organisation");
  const undo = $("mask-undo");
  const clear = $("mask-clear");
  const send = $("send-request");

  let image = null; // the picked image, decoded; never sent
  let boxes = []; // black areas in canvas pixels: {x, y, w, h}
  let dragging = null; // {start, box} while the pointer is down
  let frame = 0;

  const say = (where, message) => {
    where.textContent = message || "";
    where.hidden = !message;
  };

  const supported = () => {
    try {
      new DataTransfer();
    } catch (error) {
      return false;
    }
    return Boolean(canvas.getContext && canvas.toBlob && window.URL && URL.createObjectURL);
  };

  const today = () => {
    const now = new Date();
    const two = (n) => String(n).padStart(2, "0");
    return `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}`;
  };

  const stampText = () => {
    const name = organisation ? organisation.value.trim().replace(/\s+/g, " ") : "";
    return `KOPIE / COPY – ${name ? name + " " : ""}MFA recovery – ${today()}`;
  };

  /* The stamp: the text in bands parallel to the image's diagonal, repeated along each band, red with a light
     outline so that it reads on dark and light parts alike. */
  const stamp = (ctx) => {
    const { width, height } = canvas;
    const diagonal = Math.hypot(width, height);
    const line = stampText();
    let size = Math.max(12, Math.round(Math.min(width, height) / 14));
    ctx.save();
    ctx.font = `bold ${size}px sans-serif`;
    const fit = (diagonal * 0.8) / ctx.measureText(line).width;
    if (fit < 1) {
      size = Math.max(10, Math.floor(size * fit));
      ctx.font = `bold ${size}px sans-serif`;
    }
    const step = ctx.measureText(line).width + size * 2;
    ctx.translate(width / 2, height / 2);
    ctx.rotate(-Math.atan2(height, width));
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.lineJoin = "round";
    ctx.lineWidth = Math.max(2, size / 5);
    ctx.strokeStyle = "rgba(255, 255, 255, 0.7)";
    ctx.fillStyle = "rgba(200, 0, 0, 0.75)";
    const bands = Math.ceil(diagonal / (size * 6) / 2);
    for (let band = -bands; band <= bands; band += 1) {
      const y = band * size * 6;
      const shift = band % 2 ? step / 2 : 0;
      for (let x = -Math.ceil(diagonal / step) * step; x <= diagonal; x += step) {
        ctx.strokeText(line, x + shift, y);
        ctx.fillText(line, x + shift, y);
      }
    }
    ctx.restore();
  };

  const render = () => {
    frame = 0;
    if (!image) return;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    stamp(ctx);
    ctx.fillStyle = "#000"; // over the stamp too: a black area stays wholly black
    for (const box of dragging ? [...boxes, dragging.box] : boxes) ctx.fillRect(box.x, box.y, box.w, box.h);
    undo.disabled = clear.disabled = boxes.length === 0;
  };
  const redraw = () => {
    if (!frame) frame = requestAnimationFrame(render);
  };

  const forget = () => {
    image = null;
    boxes = [];
    dragging = null;
    masked.files = new DataTransfer().files;
    editor.hidden = true;
  };

  const pick = () => {
    forget();
    say(idStatus, "");
    const file = picker.files && picker.files[0];
    if (!file) return;
    const url = URL.createObjectURL(file);
    const picture = new Image();
    picture.onload = () => {
      URL.revokeObjectURL(url);
      const scale = Math.min(1, MAX_SIDE / Math.max(picture.naturalWidth, picture.naturalHeight));
      canvas.width = Math.max(1, Math.round(picture.naturalWidth * scale));
      canvas.height = Math.max(1, Math.round(picture.naturalHeight * scale));
      image = picture;
      editor.hidden = false;
      render();
    };
    picture.onerror = () => {
      URL.revokeObjectURL(url);
      picker.value = "";
      say(idStatus, form.dataset.msgNotImage);
    };
    picture.src = url;
  };

  /* Where the pointer is, in canvas pixels (the canvas is shown smaller than it is, inside its border). */
  const at = (event) => {
    const shown = canvas.getBoundingClientRect();
    const x = ((event.clientX - shown.left - canvas.clientLeft) * canvas.width) / canvas.clientWidth;
    const y = ((event.clientY - shown.top - canvas.clientTop) * canvas.height) / canvas.clientHeight;
    return { x: Math.min(Math.max(x, 0), canvas.width), y: Math.min(Math.max(y, 0), canvas.height) };
  };
  const between = (a, b) => ({
    x: Math.min(a.x, b.x),
    y: Math.min(a.y, b.y),
    w: Math.abs(a.x - b.x),
    h: Math.abs(a.y - b.y),
  });

  canvas.addEventListener("pointerdown", (event) => {
    if (!image || event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    const start = at(event);
    dragging = { start, box: between(start, start) };
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!dragging) return;
    dragging.box = between(dragging.start, at(event));
    redraw();
  });
  canvas.addEventListener("pointerup", (event) => {
    if (!dragging) return;
    const box = between(dragging.start, at(event));
    dragging = null;
    if (box.w >= 2 && box.h >= 2) boxes.push(box);
    say(idStatus, "");
    redraw();
  });
  canvas.addEventListener("pointercancel", () => {
    dragging = null;
    redraw();
  });
  undo.addEventListener("click", () => {
    boxes.pop();
    redraw();
  });
  clear.addEventListener("click", () => {
    boxes = [];
    redraw();
  });
  if (organisation) organisation.addEventListener("input", redraw);
  picker.addEventListener("change", pick);

  const sizeOf = (id) => {
    const input = $(id);
    return input && input.files && input.files[0] ? input.files[0].size : 0;
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault(); // the browser's checks passed; the copy is made first, then the form is sent
    say(formStatus, "");
    if (!image) {
      picker.focus();
      return;
    }
    if (boxes.length === 0) {
      say(idStatus, form.dataset.msgNoMask);
      canvas.focus();
      return;
    }
    send.disabled = true;
    render(); // the stamp with the organisation and date as they are now
    canvas.toBlob((blob) => {
      if (!blob) {
        send.disabled = false;
        say(idStatus, form.dataset.msgUnsupported);
        return;
      }
      if (blob.size + sizeOf("kvk_extract") + sizeOf("selfie") > Number(form.dataset.maxBytes)) {
        send.disabled = false;
        say(formStatus, form.dataset.msgTooLarge);
        return;
      }
      const copy = new DataTransfer();
      copy.items.add(new File([blob], "id-document-copy.png", { type: "image/png" }));
      masked.files = copy.files;
      form.submit(); // no submit event again; the picker, having no name, is not sent
    }, "image/png");
  });

  if (!supported()) {
    picker.disabled = true;
    say(idStatus, form.dataset.msgUnsupported);
  }
})();
