import type { SagaDefinition } from '../api/apiTypes';

/**
 * Where each state of the saga definition goes in the drawing, derived from the definition alone
 * (so a new step moves the drawing with it): the forward path on the top row in the definition's
 * order, with the final states reached from it; compensating and review states on the middle row;
 * the other final states (reached by unwinding) on the bottom row. Each row is centred.
 */
export type PlacedState = Readonly<{ name: string; kind: string; x: number; y: number }>;
export type Layout = Readonly<{
  width: number;
  height: number;
  nodeWidth: number;
  nodeHeight: number;
  states: PlacedState[];
}>;

const nodeWidth = 270;
const nodeHeight = 40;
const columnGap = 40;
const rowGap = 70;
const margin = 16;

export function layoutStates(definition: SagaDefinition): Layout {
  const incoming = (name: string) => definition.transitions.filter((t) => t.to === name && t.from !== name);
  const kindOf = new Map(definition.states.map((state) => [state.name, state.kind]));
  const rowOf = (state: SagaDefinition['states'][number]): number => {
    if (state.kind === 'pending') return 0;
    if (state.kind === 'compensating' || state.kind === 'review') return 1;
    const sources = incoming(state.name);
    return sources.some((t) => kindOf.get(t.from) === 'pending') ? 0 : 2;
  };
  const rows: SagaDefinition['states'][] = [[], [], []];
  for (const state of definition.states) rows[rowOf(state)]!.push(state);
  const used = rows.filter((row) => row.length > 0);
  const widest = Math.max(...used.map((row) => row.length));
  const width = margin * 2 + widest * nodeWidth + (widest - 1) * columnGap;
  const states = used.flatMap((row, rowIndex) => {
    const rowWidth = row.length * nodeWidth + (row.length - 1) * columnGap;
    const left = (width - rowWidth) / 2;
    return row.map((state, column) => ({
      name: state.name,
      kind: state.kind,
      x: left + column * (nodeWidth + columnGap),
      y: margin + rowIndex * (nodeHeight + rowGap),
    }));
  });
  const height = margin * 2 + used.length * nodeHeight + (used.length - 1) * rowGap;
  return { width, height, nodeWidth, nodeHeight, states };
}

/** The point where the line from a box's centre towards (tx, ty) leaves the box. */
export function borderPoint(box: PlacedState, layout: Layout, tx: number, ty: number): [number, number] {
  const cx = box.x + layout.nodeWidth / 2;
  const cy = box.y + layout.nodeHeight / 2;
  const dx = tx - cx;
  const dy = ty - cy;
  if (dx === 0 && dy === 0) return [cx, cy];
  const scale = Math.min(
    dx === 0 ? Infinity : layout.nodeWidth / 2 / Math.abs(dx),
    dy === 0 ? Infinity : layout.nodeHeight / 2 / Math.abs(dy),
  );
  return [cx + dx * scale, cy + dy * scale];
}
