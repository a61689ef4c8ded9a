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
    return map;
  }

  function boundaries(map, fit) {
    return fetch("/map/boundaries.geojson", { credentials: "same-origin" })
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

  // the map page: points and clusters, coloured by status or category
  var big = document.getElementById("orders-map");
  if (!big) return;
  var map = baseMap(big);
  map.setView([23.03, 113.14], 12);
  var points = [];
  var layer = L.layerGroup().addTo(map);
  var colourBy = "status";
  var categoryColours = {};

  function colourOf(p) {
    if (colourBy === "status") return STATUS_COLOURS[p.status] || "#495057";
    var key = (p.category_code || "").split(".")[0] || "未分类";
    if (!(key in categoryColours)) categoryColours[key] = PALETTE[Object.keys(categoryColours).length % PALETTE.length];
    return categoryColours[key];
  }

  // grid clustering in screen space: points closer than CELL pixels share a cluster
  var CELL = 56;
  function draw() {
    layer.clearLayers();
    var zoom = map.getZoom(), cells = {};
    var bounds = map.getBounds().pad(0.2);
    points.forEach(function (p) {
      if (!bounds.contains([p.lat, p.lon])) return;
      var pt = map.project([p.lat, p.lon], zoom);
      var key = Math.floor(pt.x / CELL) + ":" + Math.floor(pt.y / CELL);
      (cells[key] = cells[key] || []).push(p);
    });
    Object.keys(cells).forEach(function (key) {
      var group = cells[key];
      if (group.length === 1 || zoom >= 18) {
        group.forEach(function (p) {
          var marker = L.circleMarker([p.lat, p.lon], { radius: 7, weight: 1, color: "#fff", className: "order-point",
            fillColor: colourOf(p), fillOpacity: 0.95 });
          marker.bindTooltip(textElement(p.number + " " + p.title + "（" + p.status_label + "）"));
          marker.on("click", function () { window.location.href = "/orders/" + encodeURIComponent(p.number); });
          marker.addTo(layer);
        });
        return;
      }
      var lat = 0, lon = 0;
      group.forEach(function (p) { lat += p.lat; lon += p.lon; });
      lat /= group.length; lon /= group.length;
      var size = group.length < 10 ? 30 : group.length < 100 ? 36 : 44;
      var icon = L.divIcon({ className: "cluster", iconSize: [size, size],
        html: "<span>" + group.length + "</span>" });
      var marker = L.marker([lat, lon], { icon: icon, keyboard: true, title: group.length + " 件工单" });
      marker.on("click", function () { map.setView([lat, lon], Math.min(zoom + 2, 18)); });
      marker.addTo(layer);
    });
    var legend = document.getElementById("map-legend");
    if (legend) {
      var entries = colourBy === "status" ? Object.keys(STATUS_COLOURS).map(function (k) {
        return [document.querySelector('[data-status-label="' + k + '"]') ?
          document.querySelector('[data-status-label="' + k + '"]').textContent : k, STATUS_COLOURS[k]];
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
  boundaries(map, true).then(load);
  map.on("zoomend moveend", draw);
  var select = document.getElementById("colour-by");
  if (select) select.addEventListener("change", function () { colourBy = select.value; draw(); });
})();
