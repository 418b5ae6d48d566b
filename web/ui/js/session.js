// @ts-check
/**
 * When facefleet is configured with an API key, the pages trade it once for a session cookie
 * (`POST /v1/session`, see docs/security.md): this module asks `GET /v1/session` whether a key is
 * needed and, if the browser has no session yet, shows a small form for the key, then reloads.
 * Without a configured key it does nothing.
 */

/** @returns {Promise<{ required: boolean, authenticated: boolean } | undefined>} */
async function sessionState() {
  try {
    const response = await fetch('/v1/session', { headers: { accept: 'application/json' } });
    return response.ok ? await response.json() : undefined;
  } catch {
    return undefined;
  }
}

function showKeyForm() {
  const dialog = document.createElement('dialog');
  dialog.className = 'key-dialog';
  dialog.setAttribute('aria-labelledby', 'key-title');
  dialog.innerHTML = `
    <form method="dialog" class="key-form">
      <h2 id="key-title">This facefleet needs its API key</h2>
      <p>Enter the key once; the browser keeps a session for 12 hours.</p>
      <label for="api-key">API key</label>
      <input id="api-key" name="key" type="password" autocomplete="current-password" required minlength="8">
      <p class="alert" role="alert" hidden></p>
      <button type="submit">Unlock</button>
    </form>`;
  document.body.append(dialog);
  const form = /** @type {HTMLFormElement} */ (dialog.querySelector('form'));
  const input = /** @type {HTMLInputElement} */ (dialog.querySelector('input'));
  const alert = /** @type {HTMLElement} */ (dialog.querySelector('.alert'));
  dialog.addEventListener('cancel', (event) => event.preventDefault());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    alert.hidden = true;
    const response = await fetch('/v1/session', { method: 'POST', headers: { 'x-api-key': input.value } }).catch(() => undefined);
    if (response?.ok) {
      window.location.reload();
      return;
    }
    let message = 'The server could not be reached.';
    if (response) {
      message = 'The API key is not valid.';
      try {
        const body = await response.json();
        if (typeof body?.error?.message === 'string') message = body.error.message;
      } catch {
        // keep the words above
      }
    }
    alert.textContent = message;
    alert.hidden = false;
    input.select();
  });
  dialog.showModal();
  input.focus();
}

const state = await sessionState();
if (state?.required && !state.authenticated) showKeyForm();

export {};
