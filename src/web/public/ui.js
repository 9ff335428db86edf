/* Breakglass web UI: small, unobtrusive enhancements. Every page works without this
 * script (forms post, links navigate); it adds local times, countdowns, copy buttons,
 * confirmations, the recording player, the live view and streamed search progress.
 * Served from /static (the CSP allows no inline script). */
(function () {
  'use strict';

  var pad = function (n) {
    return String(n).padStart(2, '0');
  };

  function span(ms) {
    var t = Math.max(0, Math.floor(ms / 1000));
    var d = Math.floor(t / 86400);
    var h = Math.floor((t % 86400) / 3600);
    var m = Math.floor((t % 3600) / 60);
    var s = t % 60;
    if (d > 0) return h > 0 ? d + 'd ' + h + 'h' : d + 'd';
    if (h > 0) return m > 0 ? h + 'h ' + m + 'm' : h + 'h';
    if (m > 0) return s > 0 && m < 10 ? m + 'm ' + s + 's' : m + 'm';
    return s + 's';
  }

  function localTimes(root) {
    root.querySelectorAll('time[data-local]').forEach(function (el) {
      var d = new Date(el.getAttribute('datetime'));
      if (isNaN(d.getTime())) return;
      var text =
        d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes());
      if (el.getAttribute('data-local') === 'seconds') text += ':' + pad(d.getSeconds());
      el.title = el.textContent;
      el.textContent = text;
    });
  }

  function countdowns() {
    var els = document.querySelectorAll('time[data-countdown]');
    if (!els.length) return;
    var tick = function () {
      els.forEach(function (el) {
        var left = new Date(el.getAttribute('datetime')).getTime() - Date.now();
        el.textContent = left > 0 ? span(left) + ' left' : 'ended';
        el.classList.toggle('ended', left <= 0);
      });
    };
    tick();
    setInterval(tick, 1000);
  }

  function copyButtons() {
    document.querySelectorAll('[data-copy]').forEach(function (btn) {
      btn.addEventListener('click', function () {
        var target = document.getElementById(btn.getAttribute('data-copy'));
        if (!target) return;
        var text = target.textContent;
        var done = function (ok) {
          var old = btn.textContent;
          btn.textContent = ok ? 'Copied' : 'Select and copy';
          btn.classList.toggle('copied', ok);
          setTimeout(function () {
            btn.textContent = old;
            btn.classList.remove('copied');
          }, 2000);
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(
            function () {
              done(true);
            },
            function () {
              done(false);
            },
          );
        } else {
          var range = document.createRange();
          range.selectNodeContents(target);
          var sel = window.getSelection();
          sel.removeAllRanges();
          sel.addRange(range);
          var ok = false;
          try {
            ok = document.execCommand('copy');
          } catch (e) {
            ok = false;
          }
          done(ok);
        }
      });
    });
  }

  function confirmations() {
    document.querySelectorAll('form[data-confirm]').forEach(function (form) {
      form.addEventListener('submit', function (ev) {
        if (!window.confirm(form.getAttribute('data-confirm'))) ev.preventDefault();
      });
    });
    document.querySelectorAll('input[data-confirm-check]').forEach(function (box) {
      if (!box.form) return;
      box.form.addEventListener('submit', function (ev) {
        if (box.checked && !window.confirm(box.getAttribute('data-confirm-check'))) ev.preventDefault();
      });
    });
    // A form submits once: the button shows it is working (feedback for slow actions).
    document.querySelectorAll('form[method="post"]').forEach(function (form) {
      form.addEventListener('submit', function (ev) {
        if (ev.defaultPrevented) return;
        var btn = ev.submitter;
        if (btn && btn.tagName === 'BUTTON') {
          setTimeout(function () {
            btn.disabled = true;
            btn.setAttribute('aria-busy', 'true');
          }, 0);
        }
      });
    });
  }

  function fileInputs() {
    document.querySelectorAll('[data-show-with-script]').forEach(function (el) {
      el.hidden = false;
    });
    document.querySelectorAll('input[type="file"][data-file-into]').forEach(function (input) {
      input.addEventListener('change', function () {
        var file = input.files && input.files[0];
        var target = document.getElementById(input.getAttribute('data-file-into'));
        if (!file || !target) return;
        if (file.size > 16384) {
          window.alert('That file is too large to be a public key (.pub).');
          return;
        }
        file.text().then(function (text) {
          target.value = text.trim();
          target.focus();
        });
      });
    });
  }

  function filterLists() {
    document.querySelectorAll('input[data-filter-list]').forEach(function (input) {
      var list = document.getElementById(input.getAttribute('data-filter-list'));
      var count = document.getElementById('host-count');
      if (!list) return;
      var items = Array.prototype.slice.call(list.children);
      input.addEventListener('input', function () {
        var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
        var shown = 0;
        items.forEach(function (li) {
          var text = li.getAttribute('data-filter-text') || '';
          var hit = words.every(function (w) {
            return text.indexOf(w.replace(':', '=')) >= 0 || text.indexOf(w) >= 0;
          });
          li.hidden = !hit;
          if (hit) shown++;
        });
        if (count) count.textContent = shown + ' of ' + items.length + ' hosts shown (press Enter to search all hosts).';
      });
    });
  }

  /* If a request changes state while its page is open, reload to show it. */
  function pollStatus() {
    var el = document.querySelector('[data-poll-request]');
    if (!el) return;
    var url = '/api/v1/requests/' + encodeURIComponent(el.getAttribute('data-poll-request'));
    var status = el.getAttribute('data-status');
    var timer = setInterval(function () {
      if (document.hidden) return;
      fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (r) {
          return r.ok ? r.json() : null;
        })
        .then(function (body) {
          if (body && body.status && body.status !== status) {
            clearInterval(timer);
            window.location.reload();
          }
        })
        .catch(function () {});
    }, 5000);
  }

  /* Recording playback with asciinema-player: speed, idle-time compression, markers, jump to time. */
  function player() {
    var el = document.getElementById('player');
    if (!el || !window.AsciinemaPlayer) return;
    var url = el.getAttribute('data-cast');
    var speed = document.getElementById('speed');
    var idle = document.getElementById('idle');
    var status = document.getElementById('player-status');
    var instance = null;
    var start = el.getAttribute('data-start');
    var jump = start !== null && start !== '';
    var startAt = jump ? parseFloat(start) || 0 : 0;

    function create(at, play) {
      if (instance) instance.dispose();
      el.textContent = '';
      var opts = {
        fit: 'width',
        speed: speed ? parseFloat(speed.value) || 1 : 1,
        preload: true,
        startAt: at,
        pauseOnMarkers: false,
        terminalFontSize: 'small',
      };
      var limit = idle ? parseFloat(idle.value) : 0;
      if (limit > 0) opts.idleTimeLimit = limit;
      instance = window.AsciinemaPlayer.create(url, el, opts);
      window.breakglassPlayer = instance;
      instance.addEventListener('marker', function (ev) {
        if (status) status.textContent = 'Marker: ' + (ev.label || 'command') + ' at ' + ev.time.toFixed(1) + 's';
      });
      if (play) instance.play();
    }
    create(startAt, jump);
    var recreate = function () {
      var at = instance ? instance.getCurrentTime() : 0;
      create(at, true);
    };
    if (speed) speed.addEventListener('change', recreate);
    if (idle) idle.addEventListener('change', recreate);
    document.querySelectorAll('[data-seek]').forEach(function (btn) {
      btn.addEventListener('click', function (ev) {
        var t = parseFloat(btn.getAttribute('data-seek'));
        var marker = btn.getAttribute('data-marker');
        if (isNaN(t) || !instance) return;
        ev.preventDefault();
        // Markers are in the player's own timeline (idle compression moves them); times are not.
        var target = marker !== null ? { marker: parseInt(marker, 10) } : t;
        instance.seek(target).then(function () {
          instance.play();
        });
        if (status) status.textContent = 'Jumped to ' + btn.textContent.trim();
        el.scrollIntoView({ block: 'nearest' });
        var focusable = el.querySelector('.ap-player') || el;
        if (focusable.focus) focusable.focus();
      });
    });
  }

  /* Live view: the player's eventsource driver follows the session as it happens. */
  function live() {
    var el = document.getElementById('live-player');
    if (!el || !window.AsciinemaPlayer) return;
    var status = document.getElementById('live-status');
    var p = window.AsciinemaPlayer.create(
      { driver: 'eventsource', url: el.getAttribute('data-live') },
      el,
      { fit: 'width', autoPlay: true, terminalFontSize: 'small' },
    );
    window.breakglassPlayer = p;
    if (status) status.textContent = 'Connecting to the live session…';
    p.addEventListener('playing', function () {
      if (status) status.textContent = 'Watching live.';
    });
    p.addEventListener('ended', function () {
      if (status) status.textContent = 'The session has ended. Reload to see its recording.';
    });
  }

  /* Full-text search across recordings with progress, streamed as JSON lines. */
  function streamedSearch() {
    var form = document.querySelector('form[data-search-stream]');
    if (!form) return;
    var progress = document.getElementById('search-progress');
    var progressText = document.getElementById('search-progress-text');
    var results = document.getElementById('search-results');
    form.addEventListener('submit', function (ev) {
      var q = form.querySelector('[name="q"]').value.trim();
      if (!q) return;
      ev.preventDefault();
      var params = new URLSearchParams(new FormData(form));
      history.replaceState(null, '', '?' + params.toString());
      results.innerHTML = '';
      progress.hidden = false;
      progress.value = 0;
      progress.max = 1;
      progressText.textContent = 'Searching…';
      var button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      var matches = 0;
      fetch(form.getAttribute('data-search-stream') + '?' + params.toString(), {
        headers: { accept: 'application/x-ndjson' },
        credentials: 'same-origin',
      })
        .then(function (res) {
          if (!res.ok || !res.body) throw new Error('the search failed (HTTP ' + res.status + ')');
          var reader = res.body.getReader();
          var decoder = new TextDecoder();
          var buf = '';
          function handle(line) {
            if (!line) return;
            var msg = JSON.parse(line);
            if (msg.type === 'start') {
              progress.max = Math.max(1, msg.total);
              progressText.textContent = 'Searching ' + msg.total + ' recordings…';
            } else if (msg.type === 'progress') {
              progress.value = msg.done;
              progressText.textContent = 'Searched ' + msg.done + ' of ' + msg.total + ' recordings, ' + matches + ' matches so far…';
            } else if (msg.type === 'result') {
              matches += msg.matches.length;
              results.insertAdjacentHTML('beforeend', msg.html);
            } else if (msg.type === 'done') {
              progress.value = progress.max;
              progressText.textContent =
                'Done: ' + matches + ' match' + (matches === 1 ? '' : 'es') + ' in ' + msg.total + ' recordings' + (msg.truncated ? ' (showing the first ones).' : '.');
              if (!matches) results.innerHTML = '<p class="empty">No recording contains that text.</p>';
            } else if (msg.type === 'error') {
              progressText.textContent = msg.message;
            }
          }
          function pump() {
            return reader.read().then(function (chunk) {
              if (chunk.done) {
                handle(buf.trim());
                return;
              }
              buf += decoder.decode(chunk.value, { stream: true });
              var nl;
              while ((nl = buf.indexOf('\n')) >= 0) {
                handle(buf.slice(0, nl));
                buf = buf.slice(nl + 1);
              }
              return pump();
            });
          }
          return pump();
        })
        .catch(function (err) {
          progressText.textContent = 'Search failed: ' + err.message + '. Try again.';
        })
        .finally(function () {
          button.disabled = false;
        });
    });
    if (form.querySelector('[name="q"]').value.trim() && form.hasAttribute('data-autostart')) form.requestSubmit();
  }

  function start() {
    localTimes(document);
    countdowns();
    copyButtons();
    confirmations();
    fileInputs();
    filterLists();
    pollStatus();
    player();
    live();
    streamedSearch();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
