import type { ComponentChildren } from 'preact';

/**
 * A labelled control with its own error element beside it: the control names the error through
 * aria-describedby and says it is invalid, the error is announced when it appears.
 */
export function Field({ id, label, error, hint, children }: { id: string; label: string; error: string | undefined; hint?: ComponentChildren; children: ComponentChildren }) {
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={id}>{label}</label>
      {children}
      {hint ? (
        <p id={`${id}-hint`} class="field-hint">
          {hint}
        </p>
      ) : null}
      <p id={`${id}-error`} class="field-error" aria-live="polite">
        {error ? <><span aria-hidden="true">⚠ </span>{error}</> : null}
      </p>
    </div>
  );
}

/** The aria attributes of a control inside a Field. */
export function describedBy(id: string, error: string | undefined, hint = false) {
  return { id, 'aria-invalid': error ? ('true' as const) : ('false' as const), 'aria-describedby': hint ? `${id}-hint ${id}-error` : `${id}-error` };
}
