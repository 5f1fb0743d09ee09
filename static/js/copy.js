// Adds a "Copy" button to each <pre data-copy-label>; without JavaScript the code is
// plain selectable text.
(function () {
    "use strict";
    document.querySelectorAll("pre[data-copy-label]").forEach(function (pre) {
        if (!navigator.clipboard) { return; }
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button button--small copy-button";
        button.textContent = pre.getAttribute("data-copy-label");
        var status = document.createElement("span");
        status.className = "copy-status";
        status.setAttribute("role", "status");
        button.addEventListener("click", function () {
            navigator.clipboard.writeText(pre.textContent.trim()).then(function () {
                status.textContent = "Copied";
            }, function () {
                status.textContent = "Select the code and copy it";
            });
        });
        pre.after(button, status);
    });
}());
