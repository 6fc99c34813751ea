import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ErrorNote } from './ErrorNote';

type Props = Readonly<{
  label: string;
  /** What the operator confirms, in a sentence. */
  question: string;
  /** Set: the action needs a note (resolve); the text box is labelled with this. */
  noteLabel?: string;
  /** Set: the action is not allowed, and this says why (a client token, say). */
  disabledReason?: string | undefined;
  /**
   * Set: the action no longer applies (the saga moved on), and this says why. The action then
   * disappears, unless it is showing a confirmation or what the API answered, which stay readable.
   */
  outdated?: string | undefined;
  run(note: string): Promise<unknown>;
  onDone?(): void;
}>;

/**
 * An operator action in two steps: the button opens a confirmation in place (with a note box when
 * the action needs one), and only the confirm button calls the API. What the API answered — done,
 * or its error (a 409 when the saga moved on meanwhile, a 403 for a client token) — is said in words.
 */
export function ConfirmedAction({ label, question, noteLabel, disabledReason, outdated, run, onDone }: Props) {
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState(false);
  const noteId = useId();
  const hintId = useId();
  const outdatedId = useId();
  // Keyboard users keep their place: focus goes into the confirmation when it opens, and back to
  // the action's button when it closes (the element that had it is gone either way).
  const form = useRef<HTMLFormElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);
  useEffect(() => {
    if (open) form.current?.querySelector<HTMLElement>('textarea, button[type="submit"]')?.focus();
    else if (wasOpen.current) opener.current?.focus();
    wasOpen.current = open;
  }, [open]);

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await run(note.trim());
      setDone(true);
      setOpen(false);
      onDone?.();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  if (outdated && !open && !error && !done) return null;
  return (
    <div class="action">
      {!open && (
        <button
          ref={opener}
          type="button"
          disabled={Boolean(disabledReason) || Boolean(outdated)}
          aria-describedby={disabledReason ? hintId : undefined}
          onClick={() => {
            setOpen(true);
            setDone(false);
            setError(undefined);
          }}
        >
          {label}
        </button>
      )}
      {disabledReason && (
        <span class="hint" id={hintId}>
          {disabledReason}
        </span>
      )}
      {open && (
        <form
          ref={form}
          class="confirm"
          onSubmit={(event) => {
            event.preventDefault();
            void confirm();
          }}
        >
          <p>{question}</p>
          {noteLabel && (
            <>
              <label for={noteId}>{noteLabel}</label>
              <textarea
                id={noteId}
                required
                rows={2}
                value={note}
                onInput={(event) => setNote((event.target as HTMLTextAreaElement).value)}
              />
            </>
          )}
          {outdated && (
            <p class="hint" id={outdatedId}>
              {outdated}
            </p>
          )}
          <div class="buttons">
            <button
              type="submit"
              class="danger"
              aria-describedby={outdated ? outdatedId : undefined}
              disabled={busy || Boolean(outdated) || (Boolean(noteLabel) && !note.trim())}
            >
              {busy ? 'Sending…' : `Confirm: ${label.toLowerCase()}`}
            </button>
            <button type="button" onClick={() => setOpen(false)} disabled={busy}>
              Keep as is
            </button>
          </div>
        </form>
      )}
      {done && (
        <p class="ok" role="status">
          {label}: accepted by the service.
        </p>
      )}
      <ErrorNote error={error} />
    </div>
  );
}
