// driftwarden web UI: the token panel and the action buttons. Every page reads without this script;
// it only adds approve/cancel/pause/resume, which call the JSON API with the tab's bearer token.
const TOKEN_KEY = 'driftwarden.token';
const FLASH_KEY = 'driftwarden.flash';

const storage = (() => {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the token lives only until the page changes
  }
})();
let memoryToken = null;

function getToken() {
  return storage ? storage.getItem(TOKEN_KEY) : memoryToken;
}

function setToken(value) {
  if (storage) {
    if (value) storage.setItem(TOKEN_KEY, value);
    else storage.removeItem(TOKEN_KEY);
  } else {
    memoryToken = value;
  }
  describeToken();
}

function describeToken() {
  const state = document.getElementById('token-state');
  if (state) state.textContent = getToken() ? 'A token is set for this tab.' : 'No token set.';
}

/** Errors go to the alert region, everything else to the status region; both stay in the page. */
function show(message, kind) {
  const status = document.getElementById('action-status');
  const error = document.getElementById('action-error');
  if (!status || !error) return;
  status.className = `action-status ${kind === 'error' ? '' : kind}`;
  status.textContent = kind === 'error' ? '' : message;
  error.textContent = kind === 'error' ? message : '';
}

/** The problem+json answer's title and detail, or the status text when the body is not one. */
async function problemOf(response) {
  try {
    const body = await response.json();
    return { title: body.title || response.statusText, detail: body.detail || '' };
  } catch {
    return { title: response.statusText, detail: '' };
  }
}

function askForToken() {
  const input = document.getElementById('token-input');
  if (input) input.focus();
}

/** POSTs to the API; on success reloads so the page shows the stored state, else says why. */
async function run(control, url, body, done) {
  control.disabled = true;
  control.setAttribute('aria-busy', 'true');
  show('Working…', 'info');
  const headers = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    const response = await fetch(url, { method: 'POST', headers, body, credentials: 'same-origin' });
    if (response.ok) {
      storage?.setItem(FLASH_KEY, done);
      window.location.reload();
      return;
    }
    const { title, detail } = await problemOf(response);
    if (response.status === 401) {
      show(
        `401 Unauthorized — ${detail || title} ${
          token
            ? 'The token set for this tab was refused; enter a valid admin token and try again.'
            : 'Enter an admin token in the "Admin token" field above, then try again.'
        }`,
        'error',
      );
      askForToken();
    } else if (response.status === 403) {
      show(`403 Forbidden — ${detail || title} Use a token with the "admin" scope.`, 'error');
      askForToken();
    } else {
      show(`${response.status} ${title}${detail ? ` — ${detail}` : ''}`, 'error');
    }
  } catch (error) {
    show(`The request did not reach the daemon (${error.message}). Is it still running?`, 'error');
  } finally {
    control.disabled = false;
    control.removeAttribute('aria-busy');
  }
}

function init() {
  for (const control of document.querySelectorAll('[data-js-only]')) control.hidden = false;
  const form = document.getElementById('token-form');
  if (form) {
    form.hidden = false;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const input = document.getElementById('token-input');
      const value = input.value.trim();
      input.value = '';
      setToken(value || null);
      show(value ? 'Token set for this tab.' : 'Token cleared.', 'info');
    });
    document.getElementById('token-forget')?.addEventListener('click', () => {
      setToken(null);
      show('Token forgotten.', 'info');
    });
    describeToken();
  }

  document.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('button[data-api-action]') : null;
    if (!button) return;
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    void run(button, button.dataset.apiAction, button.dataset.body, button.dataset.done ?? 'Done');
  });

  for (const actionForm of document.querySelectorAll('form[data-api-form]')) {
    actionForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const reason = new FormData(actionForm).get('reason');
      const body =
        typeof reason === 'string' && reason.trim() ? JSON.stringify({ reason: reason.trim() }) : '{}';
      const submit = actionForm.querySelector('button[type="submit"]') ?? actionForm;
      void run(submit, actionForm.dataset.apiForm, body, actionForm.dataset.done ?? 'Done');
    });
  }

  const flash = storage?.getItem(FLASH_KEY);
  if (flash) {
    storage.removeItem(FLASH_KEY);
    show(flash, 'success');
  }
}

init();
