// A row the admin's "Add another …" adds takes the position after the last one
// (forecasts.admin.forms.NextPositionFormSet numbers the rows the page starts with).
"use strict";
document.addEventListener("formset:added", (event) => {
    const row = event.target;
    const input = row.querySelector("input[name$='-position']");
    if (!input) {
        return;
    }
    const positions = Array.from(row.closest(".inline-group").querySelectorAll("input[name$='-position']"))
        .filter((other) => other !== input && !other.name.includes("__prefix__"))
        .map((other) => Number.parseInt(other.value, 10))
        .filter(Number.isFinite);
    input.value = positions.length ? Math.max(...positions) + 1 : 0;
});
