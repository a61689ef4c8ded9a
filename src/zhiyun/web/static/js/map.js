// Maps of the console (Leaflet, vendored). No tiles unless the site configures a tile URL:
// unit boundaries are drawn as vector layers, orders as points and clusters.
(function () {
  "use strict";
  if (!window.L) return;
  var STATUS_COLOURS = {
    pending_dispatch: "#e8590c", dispatched: "#f08c00", in_progress: "#1c7ed6", suspended: "#868e96",
    replied: "#7048e8", awaiting_callback: "#0ca678", closed: "#2b8a3e", cancelled: "#495057", merged: "#495057"
  };
  var PALETTE = ["#1c7ed6", "#e8590c", "#2b8a3e", "#7048e8", "#c2255c", "#0ca678", "#f08c00", "#495057",
    "#5c940d", "#1098ad", "#ae3ec9", "#d6336c"];

  // Every text that comes from the server reaches the page as a text node, never as HTML:
  // Leaflet inserts a string tooltip with innerHTML, so tooltips get an element instead.
  function textElement(text) {
    var span = document.createElement("span");
    span.textContent = text === null || text === undefined ? "" : String(text);
    return span;
  }

  function baseMap(el) {
    var map = L.map(el, { attributionControl: false, maxZoom: 19 });
    var tiles = el.getAttribute("data-tiles");
    if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
    map.hasTiles = !!tiles;
    return map;
  }

  // The centre of a boundary (the area-weighted centroid of its largest ring), where its name goes.
  function ringCentre(ring) {
    var area = 0, x = 0, y = 0;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
      area += f; x += (ring[j][0] + ring[i][0]) * f; y += (ring[j][1] + ring[i][1]) * f;
    }
    if (!area) return { area: 0, lat: ring[0][1], lon: ring[0][0] };
    return { area: Math.abs(area / 2), lat: y / (3 * area), lon: x / (3 * area) };
  }
  function centreOf(geometry) {
    var polygons = geometry.type === "Polygon" ? [geometry.coordinates] :
      geometry.type === "MultiPolygon" ? geometry.coordinates : [];
    var best = null;
    polygons.forEach(function (polygon) {
      if (!polygon.length || polygon[0].length < 3) return;
      var c = ringCentre(polygon[0]);
      if (!best || c.area > best.area) best = c;
    });
    return best ? L.latLng(best.lat, best.lon) : null;
  }

  // Without a tile server the map would be bare shapes: name the towns (and, closer in, the
  // villages) at their centres. Names are text nodes; the labels take no clicks.
  var VILLAGE_NAMES_FROM_ZOOM = 14;
  function placeNames(map, features) {
    var towns = L.layerGroup().addTo(map), villages = L.layerGroup();
    features.forEach(function (f) {
      var props = f.properties || {}, centre = f.geometry ? centreOf(f.geometry) : null;
      if (!props.name || !centre) return;
      var village = props.kind === "village";
      var label = document.createElement("span");
      label.className = "place-label " + (village ? "village" : "town");
      label.textContent = String(props.name);
      var icon = L.divIcon({ className: "place-anchor", html: label, iconSize: [0, 0] });
      L.marker(centre, { icon: icon, interactive: false, keyboard: false }).addTo(village ? villages : towns);
    });
    function byZoom() {
      if (map.getZoom() >= VILLAGE_NAMES_FROM_ZOOM) villages.addTo(map); else villages.remove();
    }
    map.on("zoomend", byZoom);
    byZoom();
  }

  function boundaries(map, fit, url) {
    return fetch(url || "/map/boundaries.geojson", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (data) {
        if (!data.features || !data.features.length) return null;
        var layer = L.geoJSON(data, {
          style: function (f) {
            var town = f.properties && f.properties.kind !== "village";
            return { color: town ? "#14365f" : "#7a8ca3", weight: town ? 2 : 1, fill: true,
              fillOpacity: town ? 0.03 : 0.02, dashArray: town ? null : "3" };
          },
          onEachFeature: function (f, l) { if (f.properties && f.properties.name) l.bindTooltip(textElement(f.properties.name)); }
        }).addTo(map);
        layer.bringToBack();
        if (!map.hasTiles) placeNames(map, data.features);
        if (fit) map.fitBounds(layer.getBounds());
        return layer;
      })
      .catch(function () { return null; });
  }

  // the order page's small map
  var mini = document.getElementById("order-map");
  if (mini) {
    var lat = parseFloat(mini.getAttribute("data-lat")), lon = parseFloat(mini.getAttribute("data-lon"));
    var m = baseMap(mini);
    m.setView([lat, lon], 15);
    boundaries(m, false);
    L.circleMarker([lat, lon], { radius: 8, color: "#c92a2a", fillColor: "#fa5252", fillOpacity: 0.9 }).addTo(m);
  }

  // the pick map of the seat (受理登记) and of the citizens' portal (反映问题): a click puts the
  // place there; the address field stays the keyboard's way. The point goes to the form's hidden
  // latitude/longitude (WGS-84). The portal's page names its public outlines (data-boundaries).
  // 小南's hand-over form on the portal's home page has one too (data-lat/data-lon name its fields;
  // it is drawn again when the form is shown: the event "zhiyun:shown").
  var pick = document.getElementById("seat-map") || document.getElementById("portal-map") ||
    document.getElementById("assistant-map");
  if (pick) {
    var pm = baseMap(pick);
    pm.setView([23.03, 113.14], 12);
    boundaries(pm, true, pick.getAttribute("data-boundaries"));
    pick.addEventListener("zhiyun:shown", function () { pm.invalidateSize(); });
    var chosen = null;
    var latField = document.getElementById(pick.getAttribute("data-lat") || "latitude");
    var lonField = document.getElementById(pick.getAttribute("data-lon") || "longitude");
    function place(latlng) {
      if (chosen) chosen.setLatLng(latlng); else chosen = L.circleMarker(latlng, { radius: 8, color: "#c92a2a", fillColor: "#fa5252", fillOpacity: 0.9 }).addTo(pm);
      latField.value = latlng.lat.toFixed(6);
      lonField.value = latlng.lng.toFixed(6);
      latField.dispatchEvent(new Event("change", { bubbles: true }));
      var said = document.getElementById(pick.id + "-point");
      if (said) said.textContent = "已选位置：" + latField.value + "，" + lonField.value;
    }
    if (latField.value && lonField.value) place(L.latLng(parseFloat(latField.value), parseFloat(lonField.value)));
    pm.on("click", function (e) { place(e.latlng); });
  }

  // the map page: points and clusters, coloured by status or category
  var big = document.getElementById("orders-map");
  if (!big) return;
  var map = baseMap(big);
  map.setView([23.03, 113.14], 12);
  var points = [];
  var layer = L.layerGroup().addTo(map);
  var colourBy = "status";
  var categoryColours = {};

  function categoryOf(p) { return p.category_group || (p.category_code ? p.category_code : "未分类"); }

  function colourOf(p) {
    if (colourBy === "status") return STATUS_COLOURS[p.status] || "#495057";
    var key = categoryOf(p);
    if (!(key in categoryColours)) categoryColours[key] = PALETTE[Object.keys(categoryColours).length % PALETTE.length];
    return categoryColours[key];
  }

  // Clustering in screen space: points first share a cell of CELL pixels; then any two groups
  // whose markers would touch (their sizes apart, plus GAP) are merged, until none do, so that
  // no cluster hides another's number or a point.
  var CELL = 56, GAP = 4, POINT_SIZE = 16;
  function sizeOf(n) { return n === 1 ? POINT_SIZE : n < 10 ? 30 : n < 100 ? 36 : 44; }
  function groups(zoom, bounds) {
    var cells = {};
    points.forEach(function (p) {
      if (!bounds.contains([p.lat, p.lon])) return;
      var pt = map.project([p.lat, p.lon], zoom);
      var key = Math.floor(pt.x / CELL) + ":" + Math.floor(pt.y / CELL);
      var g = cells[key] || (cells[key] = { x: 0, y: 0, members: [] });
      g.x += pt.x; g.y += pt.y; g.members.push(p);
    });
    var list = Object.keys(cells).map(function (k) {
      var g = cells[k];
      return { x: g.x / g.members.length, y: g.y / g.members.length, members: g.members };
    });
    if (zoom >= 18) return list;  // the closest zoom shows every point
    var merged = true;
    while (merged) {
      merged = false;
      for (var i = 0; i < list.length && !merged; i++) {
        for (var j = i + 1; j < list.length; j++) {
          var a = list[i], b = list[j];
          var reach = (sizeOf(a.members.length) + sizeOf(b.members.length)) / 2 + GAP;
          if (Math.abs(a.x - b.x) < reach && Math.abs(a.y - b.y) < reach) {
            var n = a.members.length + b.members.length;
            list[i] = { x: (a.x * a.members.length + b.x * b.members.length) / n,
              y: (a.y * a.members.length + b.y * b.members.length) / n, members: a.members.concat(b.members) };
            list.splice(j, 1);
            merged = true;
            break;
          }
        }
      }
    }
    return list;
  }

  function pointMarker(p) {
    var marker = L.circleMarker([p.lat, p.lon], { radius: 7, weight: 1, color: "#fff", className: "order-point",
      fillColor: colourOf(p), fillOpacity: 0.95 });
    var category = p.category_name ? " · " + p.category_name : "";
    marker.bindTooltip(textElement(p.number + " " + p.title + "（" + p.status_label + category + "）"));
    marker.on("click", function () { window.location.href = "/orders/" + encodeURIComponent(p.number); });
    return marker;
  }

  function clusterMarker(group, zoom) {
    var n = group.members.length, size = sizeOf(n);
    var count = document.createElement("span");
    count.textContent = String(n);
    var icon = L.divIcon({ className: "cluster", iconSize: [size, size], html: count });
    var at = map.unproject([group.x, group.y], zoom);
    var marker = L.marker(at, { icon: icon, keyboard: true, title: n + " 件工单" });
    marker.on("click", function () {
      var spread = L.latLngBounds(group.members.map(function (p) { return [p.lat, p.lon]; }));
      map.fitBounds(spread.pad(0.2), { maxZoom: Math.max(zoom + 1, Math.min(zoom + 3, 18)) });
    });
    return marker;
  }

  function draw() {
    layer.clearLayers();
    var zoom = map.getZoom();
    groups(zoom, map.getBounds().pad(0.2)).forEach(function (group) {
      if (group.members.length === 1 || zoom >= 18) {
        group.members.forEach(function (p) { pointMarker(p).addTo(layer); });
      } else {
        clusterMarker(group, zoom).addTo(layer);
      }
    });
    if (colourBy !== "status") points.forEach(colourOf);  // every category of the list, drawn or clustered
    var legend = document.getElementById("map-legend");
    if (legend) {
      var entries = colourBy === "status" ? Object.keys(STATUS_COLOURS).map(function (k) {
        var option = document.querySelector('[data-status-label="' + k + '"]');
        return [option ? option.textContent : k, STATUS_COLOURS[k]];
      }) : Object.keys(categoryColours).map(function (k) { return [k, categoryColours[k]]; });
      legend.textContent = "";
      entries.forEach(function (e) {
        var item = document.createElement("span");
        item.className = "legend-item";
        var swatch = document.createElement("i");
        swatch.style.background = e[1];
        item.appendChild(swatch);
        item.appendChild(document.createTextNode(e[0]));
        legend.appendChild(item);
      });
    }
  }

  function load() {
    var url = "/map/points.json" + window.location.search;
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      points = data.points || [];
      var note = document.getElementById("map-count");
      if (note) note.textContent = "共 " + points.length + " 件" + (data.truncated ? "（仅显示最新的部分）" : "");
      if (points.length === 1) {
        map.setView([points[0].lat, points[0].lon], 16);
      } else if (points.length) {
        map.fitBounds(L.latLngBounds(points.map(function (p) { return [p.lat, p.lon]; })).pad(0.1));
      }
      draw();
    });
  }
  window.zhiyunMap = { map: map };  // for the browser tests (and the console's devtools)
  boundaries(map, true).then(load);
  map.on("zoomend moveend", draw);
  var select = document.getElementById("colour-by");
  if (select) select.addEventListener("change", function () { colourBy = select.value; draw(); });
})();
