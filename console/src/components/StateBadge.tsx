/** A saga state as a coloured label; the colour only repeats what the text says. */
export function StateBadge({ state }: { state: string }) {
  return <span class={`state state-${state.toLowerCase().replace(/_/g, '-')}`}>{state}</span>;
}
