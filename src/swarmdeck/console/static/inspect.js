// The inspect page's "collapse all" / "expand all": every <details> of the JSON tree at once.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-inspect]")) {
    button.addEventListener("click", () => {
      const open = button.dataset.inspect === "expand";
      for (const d of document.querySelectorAll("#inspect details")) d.open = open;
      // the root stays open: collapsed, the page would show one line
      const root = document.querySelector("#inspect > details");
      if (root) root.open = true;
    });
  }
});
