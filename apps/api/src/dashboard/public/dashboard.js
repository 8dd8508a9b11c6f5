/* The Insiders dashboard: reads the API's JSON, draws the charts, follows the live segment-change stream. */
(function () {
  'use strict';
  var C = window.Charts;
  var KEY_STORAGE = 'insiders.apiKey';
  var state = { summary: null, segments: new Map(), hitMap: null, refreshTimer: null, lastLoad: null };

  function $(id) { return document.getElementById(id); }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; });
  }
  var fmtInt = function (v) { return Math.round(v).toLocaleString('en-US'); };
  var fmtMoney = function (v) { return v.toLocaleString('en-US', { maximumFractionDigits: 0 }); };
  var fmtPct = function (v, d) { return (v * 100).toFixed(d === undefined ? 1 : d) + '%'; };
  var fmtNum = function (v, d) { return v === null || v === undefined || !isFinite(v) ? '–' : Number(v).toFixed(d === undefined ? 1 : d); };

  function headers() {
    var key = localStorage.getItem(KEY_STORAGE);
    return key ? { 'X-API-Key': key } : {};
  }

  function api(path) {
    return fetch(path, { headers: headers() }).then(function (res) {
      if (res.status === 401 || res.status === 403) {
        $('key-bar').hidden = false;
        throw new Error('an API key is required');
      }
      if (!res.ok) {
        return res.json().catch(function () { return {}; }).then(function (body) {
          var err = new Error((body && body.message) || res.status + ' ' + res.statusText);
          err.status = res.status;
          throw err;
        });
      }
      return res.json();
    });
  }

  function showError(message) {
    var bar = $('error-bar');
    if (!message) { bar.hidden = true; return; }
    bar.textContent = message;
    bar.hidden = false;
  }

  function segmentMeta(id) {
    return state.segments.get(id) || { segmentId: id, name: 'segment ' + id, isInsiders: false };
  }
  function segmentColor(id) { return C.colorFor(segmentMeta(id)); }
  function chip(id) {
    var s = segmentMeta(id);
    return '<span class="chip"><i style="background:' + segmentColor(id) + '"></i>' + esc(s.name) + '</span>';
  }

  function legend(container, segments) {
    container.innerHTML = segments
      .map(function (s) {
        return '<span class="key' + (s.isInsiders ? ' insiders' : '') + '"><i style="background:' + C.colorFor(s) + '"></i>' + esc(s.name) + (s.isInsiders ? ' ★' : '') + '</span>';
      })
      .join('');
  }

  /** Bucket for a time span: days up to ~4 months, weeks up to 2 years, months beyond. */
  function bucketFor(spanMs) {
    var days = spanMs / 86400000;
    if (days <= 2) return 'hour';
    if (days <= 120) return 'day';
    if (days <= 730) return 'week';
    return 'month';
  }

  function renderKpis(s) {
    $('kpi-customers').textContent = fmtInt(s.customers);
    $('kpi-customers-note').textContent = s.segments.length + ' segments · policy ' + s.featurePolicy;
    $('kpi-insiders').textContent = fmtInt(s.insiders);
    $('kpi-insiders-note').textContent = fmtPct(s.insidersShare) + ' of customers';
    $('kpi-revenue').textContent = fmtPct(s.revenue.insidersShare);
    $('kpi-revenue-note').textContent = fmtMoney(s.revenue.insiders) + ' of ' + fmtMoney(s.revenue.total);
    if (s.model) {
      $('kpi-model').textContent = 'v' + s.model.version;
      $('kpi-model-note').textContent = 'k = ' + s.model.k + ' · data to ' + (s.model.dataCutoff || '').slice(0, 10);
      $('kpi-silhouette').textContent = fmtNum(s.model.silhouette, 3);
      $('kpi-silhouette-note').textContent = s.model.ariPrevious === null ? 'first model' : 'ARI vs previous ' + fmtNum(s.model.ariPrevious, 2);
      $('model-badge').textContent = 'model v' + s.model.version;
    } else {
      $('kpi-model').textContent = '–';
      $('kpi-model-note').textContent = 'no model fitted yet';
      $('kpi-silhouette').textContent = '–';
      $('model-badge').textContent = 'no model';
    }
  }

  function loadTimeCharts(s) {
    if (!s.history) {
      C.stackedArea($('sizes-chart'), [], {});
      C.divergingBars($('transitions-chart'), [], {});
      $('sizes-range').textContent = '';
      return Promise.resolve();
    }
    var from = Date.parse(s.history.first);
    var to = Date.parse(s.history.last) + 86400000;
    var bucket = bucketFor(to - from);
    var q = '?from=' + encodeURIComponent(new Date(from).toISOString()) + '&to=' + encodeURIComponent(new Date(to).toISOString()) + '&bucket=' + bucket;
    $('sizes-range').textContent = s.history.first.slice(0, 10) + ' → ' + s.history.last.slice(0, 10) + ' · per ' + bucket;
    var sizes = api('/v1/segments/sizes' + q).then(function (res) {
      var series = res.series
        .slice()
        .sort(function (a, b) { return (b.isInsiders ? 1 : 0) - (a.isInsiders ? 1 : 0) || a.segmentId - b.segmentId; })
        .map(function (x) { return { name: x.name, color: C.colorFor(x), points: x.points }; });
      C.stackedArea($('sizes-chart'), series, { bucket: bucket });
      legend($('sizes-legend'), res.series.map(function (x) { return { segmentId: x.segmentId, name: x.name, isInsiders: x.isInsiders }; }));
    });
    var transitions = api('/v1/dashboard/transitions' + q).then(function (res) {
      C.divergingBars($('transitions-chart'), res.points, { bucket: bucket });
      var e = res.points.reduce(function (a, p) { return a + p.entered; }, 0);
      var x = res.points.reduce(function (a, p) { return a + p.exited; }, 0);
      $('transitions-total').textContent = fmtInt(e) + ' entered · ' + fmtInt(x) + ' exited';
    });
    return Promise.all([sizes, transitions]);
  }

  function loadMap() {
    return api('/v1/dashboard/map').then(function (res) {
      state.hitMap = C.scatter($('map'), res.points, segmentColor);
      $('map-note').textContent = res.sampled ? fmtInt(res.points.length) + ' of ' + fmtInt(res.total) + ' customers (even sample)' : fmtInt(res.total) + ' customers';
      legend($('map-legend'), Array.from(state.segments.values()));
    });
  }

  function loadCountries() {
    return api('/v1/dashboard/countries?limit=12').then(function (res) {
      var rows = res.countries.map(function (c) { return { label: c.country, total: c.customers, part: c.insiders }; });
      if (res.other) rows.push({ label: res.other.country, total: res.other.customers, part: res.other.insiders });
      C.horizontalBars($('countries-chart'), rows, {});
      $('countries-note').textContent = fmtInt(res.total) + ' customers';
    });
  }

  function loadProfiles() {
    return api('/v1/segments').then(function (res) {
      var body = $('profile-table').querySelector('tbody');
      var rows = res.segments.slice().sort(function (a, b) { return (b.isInsiders ? 1 : 0) - (a.isInsiders ? 1 : 0) || b.meanRevenue - a.meanRevenue; });
      body.innerHTML = rows.length
        ? rows
            .map(function (p) {
              return (
                '<tr class="' + (p.isInsiders ? 'insiders' : '') + '"><td>' + chip(p.segmentId) + (p.isInsiders ? '<span class="tag">Insiders</span>' : '') + '</td>' +
                '<td>' + fmtInt(p.size) + '</td><td>' + fmtPct(p.share) + '</td><td>' + fmtPct(p.revenueShare) + '</td>' +
                '<td>' + fmtMoney(p.meanRevenue) + '</td><td>' + fmtMoney(p.medianRevenue) + '</td><td>' + fmtNum(p.meanRecency) + '</td>' +
                '<td>' + fmtNum(p.meanFrequency, 3) + '</td><td>' + fmtNum(p.meanInvoices) + '</td><td>' + fmtInt(p.meanItems) + '</td><td>' + fmtNum(p.meanReturns) + '</td><td>' + fmtMoney(p.meanTicket) + '</td></tr>'
              );
            })
            .join('')
        : '<tr><td colspan="12" class="muted">no segments yet</td></tr>';
      $('profile-note').textContent = res.model ? 'model v' + res.model.version : '';
    });
  }

  function loadAll() {
    return api('/v1/dashboard/summary')
      .then(function (s) {
        state.summary = s;
        state.segments = new Map(s.segments.map(function (x) { return [x.segmentId, x]; }));
        renderKpis(s);
        return Promise.all([loadTimeCharts(s), loadMap(), loadCountries(), loadProfiles()]);
      })
      .then(function () {
        showError(null);
        state.lastLoad = new Date();
        $('updated').textContent = 'updated ' + state.lastLoad.toLocaleTimeString();
        document.body.dataset.loaded = 'true';
      })
      .catch(function (err) {
        showError('Could not load the dashboard: ' + err.message);
        document.body.dataset.loaded = 'error';
      });
  }

  // ---- customer search -------------------------------------------------------------------------------------------
  var FACT_LABELS = { revenue: 'gross revenue', recencyDays: 'recency (days)', frequency: 'frequency', returns: 'items returned', invoices: 'invoices', items: 'items', products: 'purchase lines', avgTicket: 'average ticket' };

  function renderCustomer(c) {
    var box = $('customer');
    var e = c.explanation;
    var html = '<h3>Customer ' + esc(c.customerId) + (c.insider ? '<span class="tag">Insider</span>' : '<span class="tag no">not an Insider</span>') + '</h3>';
    html += '<div>' + (c.segment ? 'Segment ' + chip(c.segment.id) + (c.membership ? ' <span class="muted">· confidence ' + fmtPct(c.membership.confidence, 0) + ' · model v' + c.membership.modelVersion + '</span>' : '') : '<span class="muted">not assigned to a segment yet</span>') + '</div>';
    if (c.rfm) html += '<div class="muted">RFM baseline: ' + esc(c.rfm.segment) + ' (R' + c.rfm.r + ' F' + c.rfm.f + ' M' + c.rfm.m + ')</div>';
    if (e) {
      html += '<p class="summary" data-testid="explanation">' + esc(e.summary) + '</p>';
      if (e.guards && e.guards.length) {
        html += '<ul class="guards">' + e.guards.map(function (g) {
          return '<li class="' + (g.passed ? '' : 'fail') + '">' + (g.passed ? '✓ ' : '✗ ') + esc(g.guard) + ': ' + fmtNum(g.actual, 0) + ' (needs ' + (g.guard === 'maxRecencyDays' ? '≤ ' : '≥ ') + fmtNum(g.required, 0) + ')</li>';
        }).join('') + '</ul>';
      }
      if (e.features && e.features.length) {
        html += '<table><thead><tr><th>feature</th><th>customer</th><th>segment mean</th><th>Insiders mean</th><th>z</th></tr></thead><tbody>' +
          e.features.map(function (f) {
            var d = f.fact === 'frequency' ? 3 : f.fact === 'revenue' || f.fact === 'avgTicket' ? 0 : 1;
            var dv = Number.isInteger(f.value) ? 0 : d;
            return '<tr><td>' + esc(FACT_LABELS[f.fact] || f.fact) + '</td><td>' + fmtNum(f.value, dv) + '</td><td>' + fmtNum(f.segmentMean, d) + '</td><td>' + fmtNum(f.insidersMean, d) + '</td><td class="' + (f.z >= 0 ? 'z-pos' : 'z-neg') + '">' + (f.z >= 0 ? '+' : '') + fmtNum(f.z, 1) + '</td></tr>';
          }).join('') + '</tbody></table>';
      }
      if (e.neighbours && e.neighbours.votes && e.neighbours.votes.length) {
        html += '<div class="muted" style="margin-top:6px">Nearest customers voted: ' + e.neighbours.votes.map(function (v) { return esc(segmentMeta(v.segmentId).name) + ' ' + fmtPct(v.share, 0); }).join(' · ') + '</div>';
      }
    } else if (c.features) {
      html += '<p class="summary">No explanation yet (the customer has not been assigned by a model).</p>';
    }
    box.innerHTML = html;
    box.dataset.customer = c.customerId;
  }

  function search(id) {
    id = (id || '').trim();
    if (!id) return;
    $('search-input').value = id;
    var box = $('customer');
    box.innerHTML = '<p class="muted">Looking up ' + esc(id) + '…</p>';
    api('/v1/customers/' + encodeURIComponent(id))
      .then(renderCustomer)
      .catch(function (err) {
        box.innerHTML = '<p>' + (err.status === 404 ? 'No customer <b>' + esc(id) + '</b>.' : esc(err.message)) + '</p>';
        box.dataset.customer = '';
      });
  }

  var suggestTimer = null;
  function suggest() {
    var prefix = $('search-input').value.trim();
    clearTimeout(suggestTimer);
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) return;
    suggestTimer = setTimeout(function () {
      api('/v1/dashboard/customers?limit=8&prefix=' + encodeURIComponent(prefix)).then(function (rows) {
        $('search-suggestions').innerHTML = rows.map(function (r) {
          return '<option value="' + esc(r.customerId) + '">' + esc(segmentMeta(r.segmentId).name) + (r.isInsider ? ' · Insider' : '') + '</option>';
        }).join('');
      }).catch(function () {});
    }, 150);
  }

  // ---- live stream (fetch-based SSE, so the API key header can be sent) ------------------------------------------
  function tick(e) {
    var list = $('ticker');
    if (list.firstElementChild && list.firstElementChild.classList.contains('muted')) list.innerHTML = '';
    var li = document.createElement('li');
    var what = e.insider === 'entered' ? '<span class="entered">entered Insiders</span>' : e.insider === 'exited' ? '<span class="exited">left Insiders</span>' : esc(e.type || 'moved');
    var from = e.from ? esc(e.from.name || 'segment ' + e.from.id) : '—';
    var to = e.to ? esc(e.to.name || 'segment ' + e.to.id) : '—';
    li.innerHTML = '<span class="muted">' + esc((e.at || '').slice(0, 16).replace('T', ' ')) + '</span><a href="#" data-id="' + esc(e.customerId) + '">' + esc(e.customerId) + '</a>' + what + '<span class="muted">' + from + ' → ' + to + '</span>';
    list.insertBefore(li, list.firstChild);
    while (list.children.length > 50) list.removeChild(list.lastChild);
    var live = $('live');
    live.classList.add('flash');
    setTimeout(function () { live.classList.remove('flash'); }, 400);
  }

  function scheduleRefresh() {
    if (state.refreshTimer) return;
    state.refreshTimer = setTimeout(function () {
      state.refreshTimer = null;
      void loadAll();
    }, 3000);
  }

  function setLive(on, text) {
    $('live').className = 'live ' + (on ? 'on' : 'off');
    $('live-text').textContent = text;
  }

  function connectLive(attempt) {
    attempt = attempt || 0;
    fetch('/v1/live/segment-changes', { headers: Object.assign({ Accept: 'text/event-stream' }, headers()) })
      .then(function (res) {
        if (!res.ok || !res.body) {
          setLive(false, res.status === 503 ? 'live: off (no event bus)' : 'live: unavailable');
          if (res.status !== 503) retry(attempt);
          return;
        }
        setLive(true, 'live');
        var reader = res.body.getReader();
        var decoder = new TextDecoder();
        var buffer = '';
        var pump = function () {
          return reader.read().then(function (chunk) {
            if (chunk.done) { setLive(false, 'live: reconnecting'); retry(0); return; }
            buffer += decoder.decode(chunk.value, { stream: true });
            var parts = buffer.split(/\r?\n\r?\n/);
            buffer = parts.pop();
            parts.forEach(function (block) {
              var type = 'message';
              var data = '';
              block.split(/\r?\n/).forEach(function (line) {
                if (line.indexOf('event:') === 0) type = line.slice(6).trim();
                else if (line.indexOf('data:') === 0) data += line.slice(5).trim();
              });
              if (type === 'segment-change' && data) {
                try { tick(JSON.parse(data)); } catch (e) { /* ignore a malformed event */ }
                scheduleRefresh();
              }
            });
            return pump();
          });
        };
        return pump();
      })
      .catch(function () {
        setLive(false, 'live: reconnecting');
        retry(attempt);
      });
  }
  function retry(attempt) {
    setTimeout(function () { connectLive(attempt + 1); }, Math.min(30000, 1000 * Math.pow(2, attempt)));
  }

  // ---- wiring ----------------------------------------------------------------------------------------------------
  $('search-form').addEventListener('submit', function (ev) { ev.preventDefault(); search($('search-input').value); });
  $('search-input').addEventListener('input', suggest);
  $('ticker').addEventListener('click', function (ev) {
    var a = ev.target.closest('a[data-id]');
    if (a) { ev.preventDefault(); search(a.dataset.id); }
  });
  $('key-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    localStorage.setItem(KEY_STORAGE, $('key-input').value);
    $('key-bar').hidden = true;
    void loadAll();
    connectLive(0);
  });
  var map = $('map');
  map.addEventListener('mousemove', function (ev) {
    var tip = $('map-tip');
    var hit = state.hitMap && state.hitMap(ev.clientX, ev.clientY);
    if (!hit) { tip.hidden = true; return; }
    tip.hidden = false;
    tip.textContent = hit.point[4] + ' · ' + segmentMeta(hit.point[2]).name + (hit.point[3] ? ' · Insider' : '');
    tip.style.left = hit.x + 10 + 'px';
    tip.style.top = hit.y - 10 + 'px';
  });
  map.addEventListener('mouseleave', function () { $('map-tip').hidden = true; });
  map.addEventListener('click', function (ev) {
    var hit = state.hitMap && state.hitMap(ev.clientX, ev.clientY);
    if (hit) search(hit.point[4]);
  });
  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { void loadAll(); }, 250);
  });
  var initial = new URLSearchParams(location.search).get('customer');
  void loadAll().then(function () { if (initial) search(initial); });
  connectLive(0);
  window.InsidersDashboard = { reload: loadAll, search: search };
})();
