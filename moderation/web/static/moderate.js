// The moderator's page: keys, selection, decisions with undo, and the policy preview.
// Comment text is never turned into markup here: the script moves server-rendered elements and
// writes only textContent. Decisions wait UNDO_MS in the page before they are posted, so an
// undone decision never reaches the server (no status change, no webhook, no audit row).
"use strict";

(function () {
  const UNDO_MS = 5000;
  const ACTION_KEYS = { a: "approve", r: "reject", s: "spam", n: "not_spam" };
  const PAST = { approve: "Approved", reject: "Rejected", spam: "Marked as spam", not_spam: "Marked as not spam" };

  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));

  function postJSON(url, body, keepalive) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: Boolean(keepalive),
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body),
    });
  }

  // -- the queue ---------------------------------------------------------------------------------

  function Queue(root) {
    this.root = root;
    this.status = root.dataset.status;
    this.tab = root.dataset.tab;
    this.current = 0;
    this.anchor = null; // the last checkbox clicked, for shift-click ranges
    this.pending = []; // decisions waiting for their undo window to pass
    this.undoable = []; // what u undoes, newest last: {decision} or {action}
    this.toast = $("#toast");
    this.bulk = $("#bulk");
    this.bind();
    this.focus(0, false);
  }

  Queue.prototype.items = function () {
    return $$("article.comment", this.root);
  };

  Queue.prototype.focus = function (index, scroll) {
    const items = this.items();
    if (!items.length) {
      this.current = 0;
      return;
    }
    this.current = Math.max(0, Math.min(index, items.length - 1));
    items.forEach((item, i) => item.classList.toggle("current", i === this.current));
    const item = items[this.current];
    if (scroll !== false) {
      item.focus({ preventScroll: true });
      item.scrollIntoView({ block: "nearest" });
    }
  };

  Queue.prototype.currentItem = function () {
    return this.items()[this.current] || null;
  };

  Queue.prototype.selected = function () {
    return this.items().filter((item) => $(".select", item).checked);
  };

  Queue.prototype.updateBulk = function () {
    const count = this.selected().length;
    this.bulk.hidden = count === 0;
    $("#bulk-count").textContent = count + " selected";
  };

  Queue.prototype.select = function (item, event) {
    const box = $(".select", item);
    const items = this.items();
    if (event && event.shiftKey && this.anchor && items.includes(this.anchor)) {
      const from = items.indexOf(this.anchor);
      const to = items.indexOf(item);
      const [low, high] = from < to ? [from, to] : [to, from];
      const state = $(".select", this.anchor).checked;
      for (let i = low; i <= high; i++) $(".select", items[i]).checked = state;
    }
    this.anchor = item;
    item.classList.toggle("selected", box.checked);
    items.forEach((i) => i.classList.toggle("selected", $(".select", i).checked));
    this.updateBulk();
  };

  Queue.prototype.setCount = function (delta) {
    const count = $('[data-count="' + this.tab + '"]');
    if (count) count.textContent = String(Math.max(0, Number(count.textContent) + delta));
  };

  // Take the items out of the page now; post the decision once the undo window has passed.
  Queue.prototype.decide = function (items, action, reason, labels) {
    if (!items.length) return;
    const all = this.items();
    const index = all.indexOf(items[0]);
    const placed = items.map((item) => ({ item: item, next: item.nextSibling }));
    items.forEach((item) => {
      $(".select", item).checked = false;
      item.classList.remove("selected", "current");
      item.remove();
    });
    this.setCount(-items.length);
    const decision = {
      ids: items.map((item) => item.dataset.id),
      // Sent with the status each comment showed (the Reported tab mixes statuses).
      statuses: items.map((item) => item.dataset.status || this.status),
      action: action,
      reason: reason || null,
      // What a rejection teaches the models (the comment's "Is" select); other actions none.
      labels: action === "reject" && labels ? labels : [],
      placed: placed,
      index: index,
      timer: null,
    };
    decision.timer = setTimeout(() => this.send(decision), UNDO_MS);
    this.pending.push(decision);
    this.undoable.push({ decision: decision });
    this.updateBulk();
    this.afterChange(index);
    const noun = items.length === 1 ? "comment" : items.length + " comments";
    this.say(PAST[action] + " " + (items.length === 1 ? "1 " + noun : noun) + ".", true);
  };

  Queue.prototype.afterChange = function (index) {
    const left = this.items().length;
    $("#empty").hidden = left > 0;
    this.focus(index, left > 0);
  };

  Queue.prototype.send = function (decision, keepalive) {
    this.pending = this.pending.filter((d) => d !== decision);
    this.undoable = this.undoable.filter((entry) => entry.decision !== decision);
    clearTimeout(decision.timer);
    const groups = {};
    decision.ids.forEach((id, i) => (groups[decision.statuses[i]] = groups[decision.statuses[i]] || []).push(id));
    const posts = Object.keys(groups).map((status) => {
      const body = { ids: groups[status], action: decision.action };
      if (status) body.expected_status = status;
      if (decision.reason) body.reason = decision.reason;
      if (decision.labels.length) body.labels = decision.labels;
      return postJSON(this.root.dataset.decisions, body, keepalive).then((response) => {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
    });
    if (!this.pending.length && !this.toast.dataset.error) this.toast.hidden = true;
    return Promise.all(posts)
      .then((answers) => {
        const data = { results: [].concat(...answers.map((a) => a.results)) };
        const missed = data.results.filter((r) => r.result !== "decided");
        if (missed.length) {
          this.say(missed.length + " of them had been changed by someone else meanwhile; they were left as they are.", false, true);
        }
      })
      .catch((error) => {
        if (keepalive) return;
        this.restore(decision);
        this.say("The decision could not be saved (" + error.message + "); the comments are back. Try again.", false, true);
      });
  };

  Queue.prototype.restore = function (decision) {
    decision.placed
      .slice()
      .reverse()
      .forEach((place) => {
        if (place.next && place.next.parentNode === this.root) this.root.insertBefore(place.item, place.next);
        else this.root.insertBefore(place.item, $("#empty"));
      });
    this.setCount(decision.ids.length);
    $("#empty").hidden = true;
    this.focus(decision.index);
  };

  Queue.prototype.undo = function () {
    const entry = this.undoable.pop();
    if (!entry) return;
    if (entry.action) {
      this.act(entry.action.item, entry.action.kind, entry.action.inverse, true);
      return;
    }
    const decision = entry.decision;
    this.pending = this.pending.filter((d) => d !== decision);
    clearTimeout(decision.timer);
    this.restore(decision);
    this.say("Undone: " + decision.ids.length + " comment" + (decision.ids.length === 1 ? "" : "s") + " back in the queue.", false);
  };

  Queue.prototype.flush = function () {
    this.pending.slice().forEach((decision) => this.send(decision, true));
  };

  Queue.prototype.say = function (text, canUndo, isError) {
    $("#toast-text").textContent = text;
    $("#undo").hidden = !canUndo;
    this.toast.hidden = false;
    if (isError) this.toast.dataset.error = "1";
    else delete this.toast.dataset.error;
    this.toast.classList.toggle("error", Boolean(isError));
  };

  Queue.prototype.targets = function () {
    const selected = this.selected();
    if (selected.length) return selected;
    const item = this.currentItem();
    return item ? [item] : [];
  };

  // The label one comment's select names; a bulk decision names none (each keeps its default).
  Queue.prototype.labelsFor = function (items) {
    if (items.length !== 1 || this.selected().length) return [];
    const field = items[0] && $("select.labels", items[0]);
    return field && field.value ? [field.value] : [];
  };

  Queue.prototype.reasonFor = function (items) {
    if (items.length > 1 || this.selected().length) return $("#bulk-reason").value.trim();
    const field = items[0] && $("input.reason", items[0]);
    return field ? field.value.trim() : "";
  };

  // -- authors, threads and notes: posted at once; u posts the opposite action -------------------

  const INVERSE = {
    author: { ban: "unban", unban: "ban", suspend_24h: "unsuspend", suspend_7d: "unsuspend",
      premoderate: "unpremoderate", unpremoderate: "premoderate", trust: "untrust", untrust: "trust" },
    thread: { close: "reopen", reopen: "close", premoderate: "unpremoderate", unpremoderate: "premoderate" },
  };
  const SAID = {
    author: { ban: "Author banned: their next comments are rejected.", unban: "Author unbanned.",
      suspend_24h: "Author suspended for 24 hours.", suspend_7d: "Author suspended for 7 days.",
      unsuspend: "Suspension lifted.", premoderate: "Author pre-moderated: their next comments are held.",
      unpremoderate: "Author no longer pre-moderated.", trust: "Author trusted: their next comments are approved.",
      untrust: "Author no longer trusted." },
    thread: { close: "Thread closed to new comments.", reopen: "Thread reopened.",
      premoderate: "Thread pre-moderated: its new comments are held.", unpremoderate: "Thread no longer pre-moderated." },
  };

  function errorOf(response) {
    return response
      .json()
      .catch(() => ({}))
      .then((data) => { throw new Error(data.message || "HTTP " + response.status); });
  }

  // Show each flag's chip and the buttons for its state (data-when="flag" or "!flag").
  function applyFlags(item, flags) {
    Object.keys(flags).forEach((flag) => {
      const on = Boolean(flags[flag]);
      const chip = $('[data-flag="' + flag + '"]', item);
      if (chip) chip.hidden = !on;
      $$('[data-when="' + flag + '"]', item).forEach((b) => (b.hidden = !on));
      $$('[data-when="!' + flag + '"]', item).forEach((b) => (b.hidden = on));
    });
  }

  Queue.prototype.flagOn = function (item, flag) {
    const chip = $('[data-flag="' + flag + '"]', item);
    return Boolean(chip && !chip.hidden);
  };

  // Post an author ("author") or thread ("thread") action of the comment's; every card of the
  // same author or thread shows the new state.
  Queue.prototype.act = function (item, kind, action, undoing) {
    const form = item && $("form." + kind + "-actions", item);
    if (!form) {
      this.say(kind === "author" ? "This comment has no author id or e-mail to act on." : "This comment names no thread.", false, true);
      return;
    }
    // getAttribute: the buttons named "action" shadow form.action.
    return postJSON(form.getAttribute("action"), { action: action })
      .then((response) => (response.ok ? response.json() : errorOf(response)))
      .then((data) => {
        const same = kind === "author" ? "author" : "thread";
        const value = item.dataset[same];
        const items = this.items().filter((i) => i.dataset.site === item.dataset.site && i.dataset[same] === value);
        if (kind === "author") {
          const st = data.standing;
          items.forEach((i) => {
            applyFlags(i, { banned: st.banned, suspended: st.suspended_until, premoderated: st.premoderated, trusted: st.trusted });
            const until = $('[data-flag="suspended"] .until', i);
            if (until) until.textContent = st.suspended_until ? " until " + st.suspended_until.slice(0, 16).replace("T", " ") + " UTC" : "";
          });
        } else {
          items.forEach((i) => {
            applyFlags(i, { closed: data.state.closed, thread_premoderated: data.state.premoderated });
            const state = $(".thread-state", i);
            if (state) state.textContent = (data.state.closed ? "closed" : "open") + (data.state.premoderated ? ", pre-moderated" : "");
          });
        }
        const inverse = INVERSE[kind][action];
        if (!undoing && inverse) this.undoable.push({ action: { item: item, kind: kind, inverse: inverse } });
        this.say((undoing ? "Undone: " : "") + SAID[kind][action], !undoing && Boolean(inverse));
      })
      .catch((error) => this.say("Not saved: " + error.message, false, true));
  };

  // The key for a toggle: the opposite of the flag's state on the card.
  Queue.prototype.toggle = function (kind, flag, on, off) {
    const item = this.currentItem();
    if (item) this.act(item, kind, this.flagOn(item, flag) ? off : on);
  };

  Queue.prototype.note = function (form) {
    const item = form.closest("article.comment");
    const field = $(".note-text", form);
    const on = $('select[name="on"]', form);
    const text = field.value.trim();
    if (!text) {
      field.focus();
      return;
    }
    postJSON(form.getAttribute("action"), { text: text, on: on ? on.value : "comment" })
      .then((response) => (response.ok ? response.json() : errorOf(response)))
      .then((data) => {
        const li = document.createElement("li");
        if (data.on === "author") {
          const chip = document.createElement("span");
          chip.className = "chip";
          chip.textContent = "on the author";
          li.append(chip, " ");
        }
        li.append(data.text + " ");
        const by = document.createElement("span");
        by.className = "by";
        by.textContent = "— " + data.moderator;
        li.append(by, " ");
        const time = document.createElement("time");
        time.dateTime = data.created_at;
        time.textContent = data.created_at.slice(0, 16).replace("T", " ");
        li.append(time);
        $(".note-list", item).append(li);
        const count = $(".note-count", item);
        count.textContent = String(Number(count.textContent) + 1);
        field.value = "";
        field.blur();
        item.focus({ preventScroll: true });
        this.say("Note added.", false);
      })
      .catch((error) => this.say("The note was not saved: " + error.message, false, true));
  };

  Queue.prototype.details = function (item, open) {
    const details = item && $("details.details", item);
    if (details) details.open = open === undefined ? !details.open : open;
    return details;
  };

  Queue.prototype.bind = function () {
    const queue = this;
    this.root.addEventListener("click", (event) => {
      const item = event.target.closest("article.comment");
      if (!item) return;
      queue.current = queue.items().indexOf(item);
      queue.items().forEach((i) => i.classList.toggle("current", i === item));
      if (event.target.matches(".select")) queue.select(item, event);
    });
    this.root.addEventListener("click", (event) => {
      const more = event.target.closest("button.more");
      if (!more) return;
      const text = document.getElementById(more.getAttribute("aria-controls"));
      const open = text.classList.toggle("expanded");
      more.setAttribute("aria-expanded", String(open));
      more.textContent = open ? "Less" : "More";
    });
    this.root.addEventListener("submit", (event) => {
      const act = event.target.closest("form.act");
      if (act) {
        event.preventDefault();
        const kind = act.classList.contains("author-actions") ? "author" : "thread";
        if (event.submitter) queue.act(act.closest("article.comment"), kind, event.submitter.value);
        return;
      }
      if (event.target.closest("form.note-form")) {
        event.preventDefault();
        queue.note(event.target.closest("form.note-form"));
        return;
      }
      const form = event.target.closest("form.decide");
      if (!form) return;
      event.preventDefault();
      const action = event.submitter && event.submitter.value;
      if (!ACTIONS.includes(action)) return;
      const item = form.closest("article.comment");
      queue.decide([item], action, $("input.reason", form).value.trim(), queue.labelsFor([item]));
    });
    $$("[data-bulk]").forEach((button) =>
      button.addEventListener("click", () => {
        const action = button.dataset.bulk;
        if (action === "clear") {
          queue.items().forEach((i) => {
            $(".select", i).checked = false;
            i.classList.remove("selected");
          });
          queue.updateBulk();
          return;
        }
        queue.decide(queue.selected(), action, $("#bulk-reason").value.trim());
        $("#bulk-reason").value = "";
      })
    );
    $("#undo").addEventListener("click", () => queue.undo());
    document.addEventListener("keydown", (event) => queue.key(event));
    window.addEventListener("pagehide", () => queue.flush());
  };

  const ACTIONS = Object.values(ACTION_KEYS);

  Queue.prototype.key = function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    // Keys are commands unless the focus is in a field that takes text (a checkbox does not).
    const typing = event.target.closest(
      "textarea, select, [contenteditable], input:not([type=checkbox]):not([type=radio])"
    );
    if (typing) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const dialog = $("#keys");
    if (dialog.open) return;
    const key = event.key;
    if (key === "?") {
      dialog.showModal();
    } else if (key === "j") {
      this.focus(this.current + 1);
    } else if (key === "k") {
      this.focus(this.current - 1);
    } else if (key in ACTION_KEYS) {
      const items = this.targets();
      this.decide(items, ACTION_KEYS[key], this.reasonFor(items), this.labelsFor(items));
    } else if (key === "x") {
      const item = this.currentItem();
      if (!item) return;
      const box = $(".select", item);
      box.checked = !box.checked;
      this.select(item, event);
    } else if (key === "u" || key === "z") {
      this.undo();
    } else if (key === "d") {
      this.details(this.currentItem());
    } else if (key === "w") {
      const details = this.details(this.currentItem(), true);
      if (details) $(".note-text", details).focus();
    } else if (key === "b") {
      this.toggle("author", "banned", "ban", "unban");
    } else if (key === "h" || key === "H") {
      const item = this.currentItem();
      if (item) this.act(item, "author", key === "h" ? "suspend_24h" : "suspend_7d");
    } else if (key === "p") {
      this.toggle("author", "premoderated", "premoderate", "unpremoderate");
    } else if (key === "t") {
      this.toggle("author", "trusted", "trust", "untrust");
    } else if (key === "c") {
      this.toggle("thread", "closed", "close", "reopen");
    } else if (key === "P") {
      this.toggle("thread", "thread_premoderated", "premoderate", "unpremoderate");
    } else if (key === "/") {
      const search = $("#search-q");
      if (!search) return;
      const filters = search.closest("details");
      if (filters) filters.open = true;
      search.focus();
    } else if (key === "e") {
      const item = this.currentItem();
      const field = this.selected().length ? $("#bulk-reason") : item && $("input.reason", item);
      if (field) field.focus();
    } else {
      return;
    }
    event.preventDefault();
  };

  // -- the policy page: held / rejected shares as thresholds change ------------------------------

  function atOrAbove(bins, threshold) {
    if (threshold === null) return 0;
    const first = Math.ceil(Math.round(threshold * 1000 * 1e6) / 1e6);
    let count = 0;
    for (const slot in bins) if (Number(slot) >= first) count += bins[slot];
    return count;
  }

  function percent(part, total) {
    return total ? ((100 * part) / total).toFixed(1) + "%" : "—";
  }

  function readThreshold(input, fallback) {
    if (input.value.trim() === "") return fallback;
    const value = Number(input.value);
    return Number.isFinite(value) && value >= 0 && value <= 1 ? value : fallback;
  }

  function Preview(form, data) {
    $$("tr[data-label]", form).forEach((row) => {
      const label = row.dataset.label;
      const bins = data.labels[label] || {};
      const modelHold = row.dataset.modelHold === "" ? null : Number(row.dataset.modelHold);
      const update = () => {
        const hold = readThreshold($('input[data-kind="hold"]', row), modelHold);
        const reject = readThreshold($('input[data-kind="reject"]', row), null);
        const rejected = atOrAbove(bins, reject);
        let held = hold === null ? 0 : Math.max(0, atOrAbove(bins, hold) - rejected);
        if (hold !== null && reject !== null && hold > reject) held = 0;
        $(".held", row).textContent = percent(held, data.total);
        $(".rejected", row).textContent = percent(rejected, data.total);
      };
      $$("input.threshold", row).forEach((input) => input.addEventListener("input", update));
    });
  }

  // -- start -------------------------------------------------------------------------------------

  // Long texts are clamped only where the script can unclamp them ("More").
  document.documentElement.classList.add("js");

  document.addEventListener("DOMContentLoaded", () => {
    $$("button.more").forEach((button) => (button.hidden = false));
    const help = $('[data-action="help"]');
    if (help) help.addEventListener("click", () => $("#keys").showModal());
    const root = $("#queue");
    if (root) window.moderationQueue = new Queue(root);
    const form = $("#policy-form");
    const bins = $("#score-bins");
    if (form && bins) Preview(form, JSON.parse(bins.textContent));
  });
})();
