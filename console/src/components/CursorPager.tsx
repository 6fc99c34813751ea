import { useState } from 'preact/hooks';

/**
 * Paging by the API's opaque cursors, for lists newest first: the cursor of every page seen is
 * kept, so going back needs no cursor of its own from the API.
 */
export function useCursorPages() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    /** The cursor of the page on screen (null for the first). */
    cursor: cursors.at(-1) ?? null,
    page: cursors.length,
    back: () => setCursors(cursors.slice(0, -1)),
    next: (cursor: string) => setCursors([...cursors, cursor]),
  };
}

type Props = Readonly<{
  pages: ReturnType<typeof useCursorPages>;
  /** The cursor of the page after this one, as the list's answer gives it. */
  nextCursor: string | null | undefined;
  labels: Readonly<{ back: string; next: string }>;
  showPage?: boolean;
}>;

export function CursorPager({ pages, nextCursor, labels, showPage = false }: Props) {
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={pages.page === 1} onClick={pages.back}>
        {labels.back}
      </button>
      {showPage && <span>page {pages.page}</span>}
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && pages.next(nextCursor)}>
        {labels.next}
      </button>
    </nav>
  );
}
