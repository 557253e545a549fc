/**
 * The API key dialog (console contract, "API keys"): shown on the first 401, modal, focus kept
 * inside, submitted with Enter. It closes once a request with the new key is accepted.
 */
import { byTestId } from './dom';
import type { ProblemMessage } from './problem';
import { forgetKey, storedKey, storeKey } from './key-store';

export class KeyDialog {
  private readonly dialog: HTMLDialogElement;
  private readonly form = byTestId('key-form', HTMLFormElement);
  private readonly input = byTestId('key-input', HTMLInputElement);
  private readonly error = byTestId('key-error', HTMLElement);
  private readonly signOut = byTestId('sign-out', HTMLButtonElement);

  constructor(private readonly onKey: () => void) {
    const dialog = this.form.closest('dialog');
    if (dialog === null) throw new Error('console: the key form must sit in a <dialog>');
    this.dialog = dialog;
    this.form.addEventListener('submit', (event) => {
      event.preventDefault(); // form-action 'none': the form never navigates
      this.submit();
    });
    // Without a key there is nothing to show, so Escape does not dismiss the dialog.
    this.dialog.addEventListener('cancel', (event) => event.preventDefault());
    this.dialog.addEventListener('keydown', (event) => this.trapTab(event));
    this.signOut.addEventListener('click', () => {
      forgetKey();
      window.location.reload();
    });
    this.updateSignOut();
  }

  /** A 401 answered a request that carried `key`. */
  unauthorized(problem: ProblemMessage, key: string | undefined): void {
    const current = storedKey();
    // Sent before the current key was entered: that key has not been judged yet.
    if (current !== undefined && key !== current) return;
    if (key !== undefined) {
      forgetKey();
      this.error.textContent = `The API key was not accepted. ${problem.detail}`.trim();
      this.error.hidden = false;
      this.updateSignOut();
    }
    this.open();
  }

  /** A request with `key` got past authentication. */
  accepted(key: string | undefined): void {
    if (this.dialog.open && key !== undefined && key === storedKey()) this.dialog.close();
  }

  private open(): void {
    if (this.dialog.open) return;
    this.dialog.showModal();
    this.input.focus();
  }

  private submit(): void {
    const key = this.input.value.trim();
    if (key === '') return;
    storeKey(key);
    this.error.hidden = true;
    this.error.textContent = '';
    this.input.value = '';
    this.updateSignOut();
    this.onKey();
  }

  private updateSignOut(): void {
    this.signOut.hidden = storedKey() === undefined;
  }

  /** showModal makes the page inert; this also keeps Tab from leaving for the browser's chrome. */
  private trapTab(event: KeyboardEvent): void {
    if (event.key !== 'Tab') return;
    const focusable = [
      ...this.dialog.querySelectorAll<HTMLElement>('input, button, [href], [tabindex]:not([tabindex="-1"])'),
    ].filter((element) => !element.hidden && !element.hasAttribute('disabled'));
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (first === undefined || last === undefined) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }
}
