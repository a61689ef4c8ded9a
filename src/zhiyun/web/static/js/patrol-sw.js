// The patrol page's service worker, served as /grid/patrol/sw.js with scope /grid/patrol
// (zhiyun.grid.patrol_pages fills in VERSION and SHELL). It keeps:
//
// - the app shell (the page and the files it loads, Leaflet included) in the cache
//   "zhiyun-patrol-shell-<VERSION>": network first, the cached copy when there is no network;
// - the last answer of GET /api/v1/grid/patrol/today in "zhiyun-patrol-data": network first;
//   without network the cached answer, marked with the header X-Patrol-Offline: 1 so that the
//   page says "离线数据，更新于 …".
//
// - the last answer of GET /api/v1/sensing/verifications/mine (the grid worker's verification
//   tasks, 核实) the same way, and the evidence images of those tasks (network first too).
//
// It never touches writes: submissions wait in the page's IndexedDB and the page sends them.
// Nothing but plain successful same-origin answers is cached (no redirects to the login page,
// no errors).
"use strict";

var VERSION = "__VERSION__";
var SHELL = "__SHELL__";
var SHELL_CACHE = "zhiyun-patrol-shell-" + VERSION;
var DATA_CACHE = "zhiyun-patrol-data";
var PAGE = SHELL[0];
var TODAY = "/api/v1/grid/patrol/today";
var VERIFICATIONS = "/api/v1/sensing/verifications/mine";
var EVIDENCE = "/api/v1/sensing/evidence/";
var WAIT_MS = 6000; // how long a slow network is waited for before the cached copy answers

function cacheable(response) {
  return response && response.ok && response.type === "basic" && !response.redirected;
}

function store(cacheName, key, response) {
  if (!cacheable(response)) return Promise.resolve();
  return caches.open(cacheName).then(function (cache) { return cache.put(key, response); });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL_CACHE).then(function (cache) {
      return Promise.all(
        SHELL.map(function (url) {
          return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(
            function (response) { if (cacheable(response)) return cache.put(url, response); },
            function () {}
          );
        })
      );
    }).then(function () {
      // the day's tasks as they are now: the page may have asked before this worker ran
      return fetch(TODAY, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
        function (response) { return store(DATA_CACHE, TODAY, response); },
        function () {}
      );
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(
        names
          .filter(function (name) { return name.indexOf("zhiyun-patrol-shell-") === 0 && name !== SHELL_CACHE; })
          .map(function (name) { return caches.delete(name); })
      );
    }).then(function () { return self.clients.claim(); })
  );
});

function offlineCopy(response) {
  var headers = new Headers(response.headers);
  headers.set("X-Patrol-Offline", "1");
  return response.blob().then(function (body) {
    return new Response(body, { status: response.status, statusText: response.statusText, headers: headers });
  });
}

// The network's answer (cached when it is a good one); the cached copy when the network fails,
// answers with a server error, or takes longer than WAIT_MS (the network's answer still
// refreshes the cache when it comes).
function networkFirst(event, cacheName, key, mark) {
  var request = event.request;
  var fromNetwork = fetch(request).then(function (response) {
    if (cacheable(response)) {
      var copy = response.clone();
      event.waitUntil(store(cacheName, key, copy));
    }
    return response;
  });
  function cached() {
    return caches.open(cacheName).then(function (cache) {
      return cache.match(key, { ignoreSearch: true });
    }).then(function (hit) {
      if (!hit) return null;
      return mark ? offlineCopy(hit) : hit;
    });
  }
  return new Promise(function (resolve, reject) {
    var settled = false;
    function give(response) {
      if (!settled && response) { settled = true; resolve(response); }
    }
    var timer = setTimeout(function () { cached().then(give); }, WAIT_MS);
    fromNetwork.then(
      function (response) {
        if (response.status >= 500) {
          cached().then(function (hit) { clearTimeout(timer); give(hit || response); });
          return;
        }
        clearTimeout(timer);
        give(response);
      },
      function (error) {
        clearTimeout(timer);
        cached().then(function (hit) {
          if (hit) give(hit);
          else if (!settled) { settled = true; reject(error); }
        });
      }
    );
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === TODAY) {
    event.respondWith(networkFirst(event, DATA_CACHE, TODAY, true));
    return;
  }
  if (url.pathname === VERIFICATIONS) {
    event.respondWith(networkFirst(event, DATA_CACHE, VERIFICATIONS, true));
    return;
  }
  if (url.pathname.indexOf(EVIDENCE) === 0 && /^[0-9]+$/.test(url.pathname.slice(EVIDENCE.length))) {
    event.respondWith(networkFirst(event, DATA_CACHE, url.pathname, false));
    return;
  }
  if (request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(networkFirst(event, SHELL_CACHE, PAGE, false));
    return;
  }
  if (SHELL.indexOf(url.pathname) > 0) {
    event.respondWith(networkFirst(event, SHELL_CACHE, url.pathname, false));
  }
});
