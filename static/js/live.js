// Live bars: where the browser has EventSource, the question's bars follow the community
// forecast as readers forecast (Server-Sent Events from /live/questions/<slug>/). The page
// works without it; it only keeps the numbers current.
(function () {
    "use strict";
    var article = document.querySelector("[data-live-stream]");
    if (!article || !window.EventSource) { return; }
    var stream = new EventSource(article.getAttribute("data-live-stream"));
    stream.addEventListener("forecast", function (event) {
        var update = JSON.parse(event.data);
        update.options.forEach(function (option) {
            var row = article.querySelector('[data-option="' + option.id + '"]');
            if (!row) { return; }
            row.querySelector(".option__percent").textContent = option.percent + "%";
            // Bars are sized by a class per whole percent (the CSP allows no inline style).
            var fill = row.querySelector(".bar__fill");
            if (fill) {
                fill.className = fill.className.replace(/\bpct-\d+\b/, "pct-" + option.percent);
            }
        });
    });
}());
