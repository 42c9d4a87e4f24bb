// The phone screen's country picker: turns the plain <select name="country"> into a
// searchable combobox (type a country's name in the page's language or in English,
// its ISO code or its dialing code; arrow keys, Enter, Escape). Without JavaScript the <select> works on its own; with it, the <select>
// stays in the form (hidden) and keeps the chosen value.
(function () {
  "use strict";
  const field = document.querySelector("[data-country-picker]");
  if (!field) return;
  const select = field.querySelector("select");
  const label = field.querySelector("label");
  const wrap = select.parentElement;
  // Lower case, accents dropped: "cote" finds "Côte d’Ivoire", "FRA" finds "fra".
  const fold = (text) =>
    text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  // Each country is found by its name in the page's language and in English, its
  // ISO codes (alpha-2 and alpha-3: "fr", "fra") and its dialing code ("+33", "33").
  const options = Array.from(select.options).map((option) => {
    const extra = (option.dataset.search || "").split(" ");
    const codes = [option.value].concat(extra.filter((w) => /^[A-Z]{3}$/.test(w)));
    return {
      value: option.value,
      label: option.textContent.trim(),
      dial: option.dataset.dial || "",
      codes: codes.map(fold),
      search: fold(option.textContent + " " + (option.dataset.search || "")),
    };
  });

  const input = document.createElement("input");
  input.type = "text";
  input.className = "lk-input lk-combobox-input";
  input.id = select.id;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", "lk-country-list");
  input.setAttribute("autocomplete", "off");
  input.setAttribute("spellcheck", "false");
  const list = document.createElement("ul");
  list.id = "lk-country-list";
  list.className = "lk-combobox-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", label.textContent.trim());
  list.hidden = true;

  select.removeAttribute("id");
  select.hidden = true;
  select.tabIndex = -1;
  wrap.classList.add("lk-combobox");
  select.insertAdjacentElement("afterend", input); // between the globe and the chevron
  field.appendChild(list);

  let shown = [];
  let active = -1;

  function chosen() {
    return options.find((o) => o.value === select.value) || options[0];
  }

  function showChosen() {
    input.value = chosen() ? chosen().label : "";
  }

  function render(query) {
    const q = fold(query.trim()).replace(/^\+/, "");
    // An exact ISO code first, then names (or dialing codes) that start with what was
    // typed, then a word that does, then the rest.
    const rank = (o) => {
      if (!q) return 1;
      if (o.codes.includes(q)) return 1;
      if (o.search.startsWith(q) || o.dial.slice(1).startsWith(q)) return 2;
      if (o.search.includes(" " + q) || o.search.includes("(" + q)) return 3;
      return o.search.includes(q) ? 4 : 0;
    };
    shown = options
      .map((o) => [rank(o), o])
      .filter(([r]) => r > 0)
      .sort((a, b) => a[0] - b[0])
      .map(([, o]) => o);
    list.replaceChildren(
      ...shown.map((o, i) => {
        const item = document.createElement("li");
        item.id = "lk-country-" + o.value;
        item.className = "lk-combobox-option";
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", o.value === select.value ? "true" : "false");
        item.textContent = o.label;
        item.addEventListener("mousedown", (event) => {
          event.preventDefault();
          pick(i);
        });
        return item;
      })
    );
    if (!shown.length) {
      const empty = document.createElement("li");
      empty.className = "lk-combobox-empty";
      empty.textContent = field.dataset.empty || "—";
      list.appendChild(empty);
    }
    highlight(shown.length ? 0 : -1);
  }

  function highlight(index) {
    active = index;
    Array.from(list.children).forEach((item, i) => {
      item.classList.toggle("lk-combobox-option--active", i === index);
    });
    if (index >= 0 && list.children[index]) {
      input.setAttribute("aria-activedescendant", list.children[index].id);
      list.children[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function open() {
    if (!list.hidden) return;
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    showChosen();
  }

  function pick(index) {
    if (index < 0 || !shown[index]) return;
    select.value = shown[index].value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    close();
  }

  input.addEventListener("focus", () => input.select());
  input.addEventListener("click", () => {
    render("");
    open();
  });
  input.addEventListener("input", () => {
    render(input.value);
    open();
  });
  input.addEventListener("blur", close);
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (list.hidden) {
        render("");
        open();
        return;
      }
      const step = event.key === "ArrowDown" ? 1 : -1;
      highlight(Math.max(0, Math.min(shown.length - 1, active + step)));
    } else if (event.key === "Enter") {
      if (!list.hidden) {
        event.preventDefault();
        pick(active);
      }
    } else if (event.key === "Escape") {
      if (!list.hidden) {
        event.preventDefault();
        close();
      }
    }
  });

  showChosen();
})();
