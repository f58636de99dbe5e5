// Sign-in: a token, checked with GET /v1/whoami, then kept in sessionStorage (this tab only).
import { ApiError } from '../api.js';
import { h } from '../dom.js';

export function renderSignIn(main, { onToken }) {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const msg = h('p', { class: 'notice error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form', { class: 'signin card', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to Spool'),
    h('p', { class: 'muted' }, 'Paste a token from the server’s config (or SPOOL_TOKEN). It is kept in this browser tab only and sent as a bearer header.'),
    h('label', { for: 'token' }, 'Token'),
    input,
    msg,
    button,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.hidden = true;
    button.disabled = true;
    try {
      await onToken(input.value.trim());
    } catch (err) {
      msg.hidden = false;
      msg.textContent = err instanceof ApiError && err.status === 401
        ? 'That token is not known to this server.'
        : `Could not sign in: ${err.message}`;
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  main.append(form);
  input.focus();
}
