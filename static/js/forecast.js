// Shows the running total of a forecast as the reader types. The form works without it.
(function () {
    "use strict";
    var form = document.querySelector(".forecast__form");
    if (!form) { return; }
    var inputs = form.querySelectorAll(".forecast__input");
    var total = document.getElementById("forecast-total");
    var normalise = form.querySelector("input[name=normalise]");
    function update() {
        var sum = 0;
        inputs.forEach(function (input) {
            var value = parseFloat(input.value);
            if (!isNaN(value)) { sum += value; }
        });
        var off = Math.abs(sum - 100) > 0.05;
        total.textContent = sum.toFixed(1) + "%" + (off && !(normalise && normalise.checked) ? " (needs to be 100%)" : "");
        total.className = off ? "total--off" : "total--ok";
    }
    inputs.forEach(function (input) { input.addEventListener("input", update); });
    if (normalise) { normalise.addEventListener("change", update); }
    update();
}());
