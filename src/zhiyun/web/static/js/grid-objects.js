// The console's 网格对象 maps (Leaflet, vendored): the objects in view as points over the unit
// boundaries, reloaded for each view (GET /grid/objects/map.geojson?bbox=…, with the list's
// filters), and one object's point on its page. No tiles unless the site configures a tile URL.
// Every text from the server reaches the page as a text node, never as HTML.
(function () {
  "use strict";
  if (!window.L) return;
  var KIND_COLOURS = { building: "#1c7ed6", rental_house: "#7048e8", shop: "#e8590c", enterprise: "#2b8a3e", facility: "#495057" };
  var KIND_LABELS = { building: "楼栋", rental_house: "出租屋", shop: "三小场所", enterprise: "企业", facility: "部件设施" };
  var RISK_RADIUS = { low: 5, medium: 6, high: 7, major: 8 };
  var MAX_SPAN = 2.0;  // degrees: the widest view the server answers

  function textElement(text) {
    var span = document.createElement("span");
    span.textContent = text === null || text === undefined ? "" : String(text);
    return span;
  }

  function baseMap(el) {
    var map = L.map(el, { attributionControl: false, maxZoom: 19, preferCanvas: true });
    var tiles = el.getAttribute("data-tiles");
    if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
    return map;
  }

  function boundaries(map) {
    return fetch("/map/boundaries.geojson", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (data) {
        if (!data.features || !data.features.length) return null;
        var layer = L.geoJSON(data, {
          style: function (f) {
            var town = f.properties && f.properties.kind !== "village";
            return { color: town ? "#14365f" : "#7a8ca3", weight: town ? 2 : 1, fill: false, dashArray: town ? null : "3" };
          },
          interactive: false
        }).addTo(map);
        layer.bringToBack();
        return layer;
      })
      .catch(function () { return null; });
  }

  // one object's page
  var one = document.getElementById("object-map");
  if (one) {
    var lat = parseFloat(one.getAttribute("data-lat")), lon = parseFloat(one.getAttribute("data-lon"));
    var m = baseMap(one);
    m.setView([lat, lon], 17);
    boundaries(m);
    L.circleMarker([lat, lon], { radius: 8, color: "#c92a2a", fillColor: "#fa5252", fillOpacity: 0.9 }).addTo(m);
  }

  // the list's map layer
  var el = document.getElementById("objects-map");
  if (!el) return;
  var map = baseMap(el);
  map.setView([23.03, 113.14], 12);
  var layer = L.layerGroup().addTo(map);
  var note = document.getElementById("objects-map-count");
  var filters = new URLSearchParams(window.location.search);
  filters.delete("cursor");
  var first = true, pending = null;

  function say(text) { if (note) note.textContent = text; }

  function legend() {
    var box = document.getElementById("objects-map-legend");
    if (!box) return;
    box.textContent = "";
    Object.keys(KIND_COLOURS).forEach(function (k) {
      var item = document.createElement("span");
      item.className = "legend-item";
      var swatch = document.createElement("i");
      swatch.style.background = KIND_COLOURS[k];
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(KIND_LABELS[k]));
      box.appendChild(item);
    });
  }

  function draw(data) {
    layer.clearLayers();
    var features = data.features || [];
    features.forEach(function (f) {
      var p = f.properties || {}, c = f.geometry && f.geometry.coordinates;
      if (!c) return;
      var marker = L.circleMarker([c[1], c[0]], {
        radius: RISK_RADIUS[p.risk] || 5, weight: 1, color: "#fff",
        fillColor: KIND_COLOURS[p.kind] || "#495057", fillOpacity: 0.9, className: "object-point"
      });
      marker.bindTooltip(textElement(p.name + "（" + (p.kind_label || "") + " · " + (p.risk_label || "") + "风险）"));
      marker.on("click", function () { window.location.href = "/grid/objects/" + encodeURIComponent(p.id); });
      marker.addTo(layer);
    });
    say("当前范围 " + features.length + " 个对象" + (data.truncated ? "（仅显示一部分，请放大地图）" : ""));
    if (first && features.length && !data.truncated) {
      first = false;
      var bounds = L.latLngBounds(features.map(function (f) { return [f.geometry.coordinates[1], f.geometry.coordinates[0]]; }));
      if (bounds.isValid()) { map.fitBounds(bounds.pad(0.15), { maxZoom: 17 }); return; }  // loads again
    }
    first = false;
    el.setAttribute("data-state", "ready");  // drawn for the view the map shows
  }

  function load() {
    var b = map.getBounds();
    var west = Math.max(b.getWest(), -180), east = Math.min(b.getEast(), 180);
    var south = Math.max(b.getSouth(), -90), north = Math.min(b.getNorth(), 90);
    if (east - west > MAX_SPAN || north - south > MAX_SPAN) {
      layer.clearLayers();
      say("范围过大，请放大地图");
      return;
    }
    el.setAttribute("data-state", "loading");
    var params = new URLSearchParams(filters);
    params.set("bbox", [west, south, east, north].map(function (v) { return v.toFixed(6); }).join(","));
    if (pending) pending.abort();
    pending = new AbortController();
    fetch("/grid/objects/map.geojson?" + params.toString(), { credentials: "same-origin", signal: pending.signal })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.type === "FeatureCollection") draw(data); else say(data.message || "加载失败");
      })
      .catch(function (e) { if (e.name !== "AbortError") say("加载失败"); });
  }

  // the outlines of the grids in view, named by code and name on hover
  function grids() {
    return fetch("/grid/objects/grids.geojson", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (data) {
        if (!data.features || !data.features.length) return null;
        var outlines = L.geoJSON(data, {
          style: function () { return { color: "#0b7285", weight: 1, fill: true, fillOpacity: 0.03 }; },
          onEachFeature: function (f, l) {
            var p = f.properties || {};
            l.bindTooltip(textElement((p.name || "") + " " + (p.code || "")), { sticky: true });
          }
        }).addTo(map);
        outlines.bringToBack();
        return outlines;
      })
      .catch(function () { return null; });
  }

  window.zhiyunObjectsMap = { map: map, layer: layer };  // for the browser tests
  legend();
  Promise.all([boundaries(map), grids()]).then(function (layers) {
    var fit = layers[1] || layers[0];
    if (fit) map.fitBounds(fit.getBounds());
    load();
    map.on("moveend", load);
  });
})();
