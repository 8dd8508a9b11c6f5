/* Small hand-written SVG / canvas charts for the Insiders dashboard. No dependencies. */
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';

  /** Segment colours: stable by segment id; the Insiders segment(s) get amber. */
  var PALETTE = ['#6366f1', '#14b8a6', '#ec4899', '#0ea5e9', '#84cc16', '#a855f7', '#f97316', '#64748b', '#06b6d4', '#e11d48', '#22c55e', '#8b5cf6'];
  var INSIDERS = '#f59e0b';
  function colorFor(segment) {
    if (segment.isInsiders) return INSIDERS;
    return PALETTE[segment.segmentId % PALETTE.length];
  }

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function clear(svg) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var r = svg.getBoundingClientRect();
    var w = Math.max(200, Math.round(r.width));
    var h = Math.max(120, Math.round(r.height));
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
    return { w: w, h: h };
  }
  function empty(svg, size, text) {
    el('text', { x: size.w / 2, y: size.h / 2, 'text-anchor': 'middle', class: 'empty' }, svg).textContent = text;
  }

  /** "Nice" axis ticks for [0, max]. */
  function niceTicks(max, count) {
    if (!(max > 0)) return [0, 1];
    var raw = max / count;
    var mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 2, 2.5, 5, 10];
    var step = mag;
    for (var i = 0; i < steps.length; i++) if (steps[i] * mag >= raw) { step = steps[i] * mag; break; }
    var ticks = [];
    for (var v = 0; v <= max + step * 0.001; v += step) ticks.push(v);
    if (ticks[ticks.length - 1] < max) ticks.push(ticks[ticks.length - 1] + step);
    return ticks;
  }
  function compact(v) {
    var a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + 'M';
    if (a >= 1e3) return (v / 1e3).toFixed(a >= 1e4 ? 0 : 1) + 'k';
    return String(Math.round(v * 100) / 100);
  }
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  function dateLabel(ms, bucket) {
    var d = new Date(ms);
    if (bucket === 'month') return MONTHS[d.getUTCMonth()] + ' ' + String(d.getUTCFullYear()).slice(2);
    if (bucket === 'hour') return d.getUTCDate() + ' ' + MONTHS[d.getUTCMonth()] + ' ' + String(d.getUTCHours()).padStart(2, '0') + 'h';
    return d.getUTCDate() + ' ' + MONTHS[d.getUTCMonth()] + (d.getUTCMonth() === 0 || bucket === 'week' ? " '" + String(d.getUTCFullYear()).slice(2) : '');
  }

  function yAxis(svg, size, m, ticks, y) {
    var g = el('g', { class: 'axis' }, svg);
    ticks.forEach(function (t) {
      el('line', { x1: m.l, x2: size.w - m.r, y1: y(t), y2: y(t), class: 'gridline' }, g);
      el('text', { x: m.l - 6, y: y(t) + 3.5, 'text-anchor': 'end' }, g).textContent = compact(t);
    });
  }
  function xAxis(svg, size, m, times, x, bucket) {
    var g = el('g', { class: 'axis' }, svg);
    var n = times.length;
    var every = Math.max(1, Math.ceil(n / Math.max(2, Math.floor((size.w - m.l - m.r) / 70))));
    for (var i = 0; i < n; i += every) {
      el('text', { x: x(i), y: size.h - m.b + 16, 'text-anchor': 'middle' }, g).textContent = dateLabel(times[i], bucket);
    }
    el('line', { x1: m.l, x2: size.w - m.r, y1: size.h - m.b, y2: size.h - m.b }, g);
  }

  /**
   * Stacked areas with a line on top of each: series = [{ name, color, points: [[t, v], ...] }] sharing time stamps.
   * One <path class="area"> and one <path class="series-line"> per series.
   */
  function stackedArea(svg, series, opts) {
    opts = opts || {};
    var size = clear(svg);
    var times = series.length ? series[0].points.map(function (p) { return p[0]; }) : [];
    if (!series.length || times.length === 0) return empty(svg, size, opts.emptyText || 'no history yet');
    var m = { l: 44, r: 12, t: 10, b: 26 };
    var n = times.length;
    var tops = series.map(function () { return new Array(n); });
    var base = new Array(n).fill(0);
    series.forEach(function (s, k) {
      for (var i = 0; i < n; i++) {
        base[i] += (s.points[i] && s.points[i][1]) || 0;
        tops[k][i] = base[i];
      }
    });
    var max = Math.max.apply(null, base.concat([1]));
    var ticks = niceTicks(max, 4);
    var top = ticks[ticks.length - 1];
    var x = function (i) { return n === 1 ? (m.l + size.w - m.r) / 2 : m.l + (i * (size.w - m.l - m.r)) / (n - 1); };
    var y = function (v) { return size.h - m.b - (v * (size.h - m.t - m.b)) / top; };
    yAxis(svg, size, m, ticks, y);
    for (var k = series.length - 1; k >= 0; k--) {
      var upper = tops[k];
      var lower = k === 0 ? new Array(n).fill(0) : tops[k - 1];
      var d = '';
      for (var i = 0; i < n; i++) d += (i ? 'L' : 'M') + x(i).toFixed(1) + ',' + y(upper[i]).toFixed(1);
      for (var j = n - 1; j >= 0; j--) d += 'L' + x(j).toFixed(1) + ',' + y(lower[j]).toFixed(1);
      el('path', { d: d + 'Z', fill: series[k].color, 'fill-opacity': 0.28, class: 'area', 'data-series': series[k].name }, svg);
      var line = '';
      for (var q = 0; q < n; q++) line += (q ? 'L' : 'M') + x(q).toFixed(1) + ',' + y(upper[q]).toFixed(1);
      el('path', { d: line, fill: 'none', stroke: series[k].color, 'stroke-width': 1.8, class: 'series-line' }, svg);
    }
    xAxis(svg, size, m, times, x, opts.bucket);
    // hover: vertical rule + values
    var rule = el('line', { y1: m.t, y2: size.h - m.b, stroke: '#94a3b8', 'stroke-dasharray': '3 3', visibility: 'hidden' }, svg);
    var label = el('text', { y: m.t + 10, class: 'bar-label', visibility: 'hidden' }, svg);
    svg.onmousemove = function (ev) {
      var r = svg.getBoundingClientRect();
      var px = ((ev.clientX - r.left) * size.w) / r.width;
      var i = Math.max(0, Math.min(n - 1, Math.round(((px - m.l) * (n - 1)) / (size.w - m.l - m.r))));
      rule.setAttribute('x1', x(i)); rule.setAttribute('x2', x(i)); rule.setAttribute('visibility', 'visible');
      var parts = series.map(function (s) { return s.name + ' ' + ((s.points[i] && s.points[i][1]) || 0); });
      label.textContent = dateLabel(times[i], opts.bucket) + ': ' + parts.join(' · ');
      var anchorRight = x(i) > size.w / 2;
      label.setAttribute('x', anchorRight ? x(i) - 6 : x(i) + 6);
      label.setAttribute('text-anchor', anchorRight ? 'end' : 'start');
      label.setAttribute('visibility', 'visible');
    };
    svg.onmouseleave = function () { rule.setAttribute('visibility', 'hidden'); label.setAttribute('visibility', 'hidden'); };
  }

  /** Diverging bars: entered above the axis, exited below. Only non-zero bars are drawn (rect.bar-entered / .bar-exited). */
  function divergingBars(svg, points, opts) {
    opts = opts || {};
    var size = clear(svg);
    if (!points.length) return empty(svg, size, opts.emptyText || 'no entries or exits yet');
    var m = { l: 44, r: 12, t: 12, b: 26 };
    var n = points.length;
    var maxUp = Math.max.apply(null, points.map(function (p) { return p.entered; }).concat([1]));
    var maxDown = Math.max.apply(null, points.map(function (p) { return p.exited; }).concat([1]));
    var ticksUp = niceTicks(maxUp, 3);
    var up = ticksUp[ticksUp.length - 1];
    var down = niceTicks(maxDown, 1).slice(-1)[0];
    var plotH = size.h - m.t - m.b;
    // entries above the zero line, exits below; each side keeps at least a quarter of the height
    var ratio = Math.min(0.75, Math.max(0.5, up / (up + down)));
    var zero = m.t + plotH * ratio;
    var y = function (v) { return v >= 0 ? zero - (v * plotH * ratio) / up : zero - (v * plotH * (1 - ratio)) / down; };
    var g = el('g', { class: 'axis' }, svg);
    ticksUp.forEach(function (t) {
      el('line', { x1: m.l, x2: size.w - m.r, y1: y(t), y2: y(t), class: 'gridline' }, g);
      el('text', { x: m.l - 6, y: y(t) + 3.5, 'text-anchor': 'end' }, g).textContent = compact(t);
    });
    el('line', { x1: m.l, x2: size.w - m.r, y1: y(-down), y2: y(-down), class: 'gridline' }, g);
    el('text', { x: m.l - 6, y: y(-down) + 3.5, 'text-anchor': 'end' }, g).textContent = '−' + compact(down);
    var slot = (size.w - m.l - m.r) / n;
    var bw = Math.max(1, Math.min(28, slot * 0.72));
    var xc = function (i) { return m.l + slot * (i + 0.5); };
    points.forEach(function (p, i) {
      if (p.entered > 0) {
        var r1 = el('rect', { x: xc(i) - bw / 2, y: y(p.entered), width: bw, height: zero - y(p.entered), rx: 2, fill: 'var(--enter)', class: 'bar-entered' }, svg);
        el('title', {}, r1).textContent = dateLabel(p.t, opts.bucket) + ': ' + p.entered + ' entered';
      }
      if (p.exited > 0) {
        var r2 = el('rect', { x: xc(i) - bw / 2, y: zero, width: bw, height: y(-p.exited) - zero, rx: 2, fill: 'var(--exit)', class: 'bar-exited' }, svg);
        el('title', {}, r2).textContent = dateLabel(p.t, opts.bucket) + ': ' + p.exited + ' exited';
      }
    });
    el('line', { x1: m.l, x2: size.w - m.r, y1: zero, y2: zero, stroke: '#94a3b8' }, svg);
    var every = Math.max(1, Math.ceil(n / Math.max(2, Math.floor((size.w - m.l - m.r) / 70))));
    for (var i = 0; i < n; i += every) {
      el('text', { x: xc(i), y: size.h - m.b + 16, 'text-anchor': 'middle' }, svg).textContent = dateLabel(points[i].t, opts.bucket);
    }
  }

  /** Horizontal bars: rows = [{ label, total, part }], part drawn over total (rect.country-bar, rect.country-part). */
  function horizontalBars(svg, rows, opts) {
    opts = opts || {};
    var size = clear(svg);
    if (!rows.length) return empty(svg, size, opts.emptyText || 'no customers yet');
    var labelW = Math.min(170, Math.max(70, Math.max.apply(null, rows.map(function (r) { return r.label.length; })) * 7.4));
    var valueW = Math.max.apply(null, rows.map(function (r) { return (r.total.toLocaleString('en-US') + (r.part ? ' · ' + r.part : '')).length; })) * 6.6 + 10;
    var m = { l: labelW + 8, r: Math.max(40, valueW), t: 4, b: 4 };
    var max = Math.max.apply(null, rows.map(function (r) { return r.total; }).concat([1]));
    var slot = (size.h - m.t - m.b) / rows.length;
    var bh = Math.max(4, Math.min(20, slot * 0.7));
    var w = function (v) { return (v * (size.w - m.l - m.r)) / max; };
    rows.forEach(function (r, i) {
      var yc = m.t + slot * (i + 0.5);
      el('text', { x: m.l - 8, y: yc + 4, 'text-anchor': 'end', class: 'country-label' }, svg).textContent = r.label;
      var bar = el('rect', { x: m.l, y: yc - bh / 2, width: Math.max(1, w(r.total)), height: bh, rx: 3, fill: 'var(--bar)', class: 'country-bar' }, svg);
      el('title', {}, bar).textContent = r.label + ': ' + r.total + ' customers, ' + r.part + ' Insiders';
      if (r.part > 0) el('rect', { x: m.l, y: yc - bh / 2, width: Math.max(1, w(r.part)), height: bh, rx: 3, fill: 'var(--insiders)', class: 'country-part' }, svg);
      el('text', { x: m.l + w(r.total) + 6, y: yc + 4, class: 'bar-label' }, svg).textContent = r.total.toLocaleString('en-US') + (r.part ? ' · ' + r.part : '');
    });
  }

  /**
   * Canvas scatter: points = [[x, y, segmentId, isInsider, customerId]]. Returns a hit-test function for hover / click.
   * Sets canvas.dataset.points to the number of points drawn.
   */
  function scatter(canvas, points, colorOfSegment) {
    var dpr = window.devicePixelRatio || 1;
    var r = canvas.getBoundingClientRect();
    var w = Math.max(200, Math.round(r.width));
    var h = Math.max(150, Math.round(r.height));
    canvas.width = w * dpr;
    canvas.height = h * dpr;
    var ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    canvas.dataset.points = String(points.length);
    if (!points.length) {
      ctx.fillStyle = '#6b7280';
      ctx.font = '13px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.fillText('no customers on the map yet', w / 2, h / 2);
      return function () { return null; };
    }
    var minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    points.forEach(function (p) {
      if (p[0] < minX) minX = p[0]; if (p[0] > maxX) maxX = p[0];
      if (p[1] < minY) minY = p[1]; if (p[1] > maxY) maxY = p[1];
    });
    var pad = 14;
    var sx = (w - 2 * pad) / ((maxX - minX) || 1);
    var sy = (h - 2 * pad) / ((maxY - minY) || 1);
    var s = Math.min(sx, sy);
    var ox = (w - s * (maxX - minX)) / 2;
    var oy = (h - s * (maxY - minY)) / 2;
    var px = function (p) { return ox + (p[0] - minX) * s; };
    var py = function (p) { return h - (oy + (p[1] - minY) * s); };
    var radius = points.length > 3000 ? 1.8 : points.length > 800 ? 2.4 : 3.4;
    // non-Insiders first, Insiders on top
    var order = points.slice().sort(function (a, b) { return a[3] - b[3]; });
    ctx.globalAlpha = 0.78;
    order.forEach(function (p) {
      ctx.beginPath();
      ctx.arc(px(p), py(p), p[3] ? radius + 0.8 : radius, 0, Math.PI * 2);
      ctx.fillStyle = colorOfSegment(p[2]);
      ctx.fill();
    });
    ctx.globalAlpha = 1;
    return function hit(clientX, clientY) {
      var rr = canvas.getBoundingClientRect();
      var cx = ((clientX - rr.left) * w) / rr.width;
      var cy = ((clientY - rr.top) * h) / rr.height;
      var best = null, bestD = 64;
      for (var i = 0; i < points.length; i++) {
        var dx = px(points[i]) - cx, dy = py(points[i]) - cy;
        var d = dx * dx + dy * dy;
        if (d < bestD) { bestD = d; best = points[i]; }
      }
      return best ? { point: best, x: px(best) * rr.width / w, y: py(best) * rr.height / h } : null;
    };
  }

  window.Charts = { colorFor: colorFor, stackedArea: stackedArea, divergingBars: divergingBars, horizontalBars: horizontalBars, scatter: scatter, compact: compact, dateLabel: dateLabel };
})();
