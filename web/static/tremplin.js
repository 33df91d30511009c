// Tremplin pages: tabs (buttons with aria-controls), the print button. Everything works
// without this script (all panels shown, the browser's own print).
document.addEventListener("click", (event) => {
  const tab = event.target.closest("[role=tab]");
  if (tab) {
    const list = tab.closest("[role=tablist]");
    list.querySelectorAll("[role=tab]").forEach((t) => {
      const selected = t === tab;
      t.setAttribute("aria-selected", selected ? "true" : "false");
      t.tabIndex = selected ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !selected;
    });
    return;
  }
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
document.addEventListener("keydown", (event) => {
  const tab = event.target.closest && event.target.closest("[role=tab]");
  if (!tab || !["ArrowLeft", "ArrowRight"].includes(event.key)) return;
  const tabs = [...tab.closest("[role=tablist]").querySelectorAll("[role=tab]")];
  const step = event.key === "ArrowRight" ? 1 : -1;
  const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
  next.focus();
  next.click();
});
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[role=tablist]").forEach((list) => {
    const tabs = [...list.querySelectorAll("[role=tab]")];
    const first = tabs.find((t) => t.getAttribute("aria-selected") === "true") || tabs[0];
    if (first) first.click();
  });
});
// The profile form: "Ajouter" puts the chosen skill label on a new line of the skills list.
document.addEventListener("click", (event) => {
  if (!event.target.closest("[data-add-skill]")) return;
  const search = document.getElementById("skill-search");
  const list = document.getElementById("skills");
  const label = search.value.trim();
  if (!label) return;
  const lines = list.value.split("\n").map((l) => l.trim()).filter(Boolean);
  if (!lines.includes(label)) lines.push(label);
  list.value = lines.join("\n") + "\n";
  search.value = "";
  search.focus();
});
// Skills read in pasted notes: "Ajouter" puts that label on a new line of the skills list.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-add-skill-label]");
  if (!button) return;
  const list = document.getElementById("skills");
  const label = button.getAttribute("data-add-skill-label");
  const lines = list.value.split("\n").map((l) => l.trim()).filter(Boolean);
  if (!lines.includes(label)) lines.push(label);
  list.value = lines.join("\n") + "\n";
  button.disabled = true;
  button.textContent = "Ajoutée";
});
// A field with a stated limit (data-limit) shows how many characters are left; past the limit
// the count turns red and says so (the field never cuts what was typed or pasted).
function updateCounter(field) {
  const counter = document.querySelector(`[data-counter-for="${field.id}"]`);
  if (!counter) return;
  const limit = Number(field.dataset.limit);
  const used = field.value.length;
  const fmt = (n) => n.toLocaleString("fr-BE");
  counter.textContent = used > limit
    ? `${fmt(used)} caractères sur ${fmt(limit)} permis : raccourcissez de ${fmt(used - limit)} caractères avant d'enregistrer.`
    : `${fmt(used)} / ${fmt(limit)} caractères.`;
  counter.classList.toggle("over", used > limit);
}
document.addEventListener("input", (event) => {
  if (event.target.dataset && event.target.dataset.limit) updateCounter(event.target);
});
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-limit]").forEach(updateCounter);
});
// On a phone, tables are stacked as cards (CSS): each cell is headed by its column's name.
function labelCells(root) {
  root.querySelectorAll("table").forEach((table) => {
    const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    if (!heads.length) return;
    table.querySelectorAll("tbody tr").forEach((row) => {
      [...row.children].forEach((cell, i) => {
        if (heads[i] && !cell.hasAttribute("data-label") && !cell.hasAttribute("colspan")) {
          cell.setAttribute("data-label", heads[i]);
        }
      });
    });
  });
}
document.addEventListener("DOMContentLoaded", () => labelCells(document));
document.addEventListener("htmx:afterSwap", (event) => labelCells(event.target));
