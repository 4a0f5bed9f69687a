// Copy and print for the backup-code page. Without JavaScript both buttons stay hidden; download still works.
(function () {
    "use strict";
    var list = document.getElementById("mfa-recovery-codes");
    if (!list) {
        return;
    }
    var codes = Array.prototype.map.call(list.querySelectorAll("code"), function (node) {
        return node.textContent.trim();
    });
    var copy = document.getElementById("mfa-recovery-copy");
    if (copy && navigator.clipboard) {
        copy.hidden = false;
        copy.addEventListener("click", function () {
            navigator.clipboard.writeText(codes.join("\n") + "\n").then(function () {
                copy.textContent = copy.getAttribute("data-copied");
            });
        });
    }
    var print = document.getElementById("mfa-recovery-print");
    if (print) {
        print.hidden = false;
        print.addEventListener("click", function () {
            window.print();
        });
    }
})();
