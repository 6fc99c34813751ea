import type { SagaDefinition } from '../api/apiTypes';
import { borderPoint, layoutStates } from './stateMachineLayout';

type Props = Readonly<{
  definition: SagaDefinition;
  /** The transitions this saga took, in order (its SagaStateChanged events' from → to). */
  path: readonly { from: string; to: string }[];
  current: string;
}>;

/**
 * The saga's state machine drawn from GET /saga-definition, as SVG: every state and transition,
 * the states and transitions this saga went through highlighted, its current state outlined.
 * The picture is described in words for screen readers (the path as a sentence).
 */
export function StateMachineDiagram({ definition, path, current }: Props) {
  const layout = layoutStates(definition);
  const byName = new Map(layout.states.map((state) => [state.name, state]));
  const visited = new Set(path.flatMap((step) => [step.from, step.to]));
  visited.add(current);
  const taken = new Set(path.map((step) => `${step.from}→${step.to}`));
  // One arrow per pair of states (a pair may move on several inputs), and apart from its reverse.
  const edges = new Map<string, { from: string; to: string; on: string[] }>();
  for (const transition of definition.transitions) {
    if (transition.from === transition.to) continue;
    const key = `${transition.from}→${transition.to}`;
    const edge = edges.get(key) ?? { from: transition.from, to: transition.to, on: [] };
    edge.on.push(transition.guard ? `${transition.on} (when ${transition.guard})` : transition.on);
    edges.set(key, edge);
  }
  const description = `State machine. This saga went ${[path[0]?.from ?? null, ...path.map((step) => step.to)]
    .filter(Boolean)
    .join(' → ')}; it is now ${current}.`;

  return (
    <figure class="machine">
      <svg
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        role="img"
        aria-label={description}
        data-testid="state-machine"
      >
        <defs>
          <ArrowMarker id="arrow" headClass="arrowhead" />
          <ArrowMarker id="arrow-taken" headClass="arrowhead taken" />
        </defs>
        {[...edges.values()].map((edge) => {
          const from = byName.get(edge.from);
          const to = byName.get(edge.to);
          if (!from || !to) return null;
          const [fx, fy] = [from.x + layout.nodeWidth / 2, from.y + layout.nodeHeight / 2];
          const [tx, ty] = [to.x + layout.nodeWidth / 2, to.y + layout.nodeHeight / 2];
          // A pair with arrows both ways: each drawn 5 px to its own side.
          const both = edges.has(`${edge.to}→${edge.from}`);
          const length = Math.hypot(tx - fx, ty - fy) || 1;
          const [ox, oy] = both ? [((ty - fy) / length) * 5, (-(tx - fx) / length) * 5] : [0, 0];
          const [x1, y1] = borderPoint(from, layout, tx + ox, ty + oy);
          const [x2, y2] = borderPoint(to, layout, fx + ox, fy + oy);
          const isTaken = taken.has(`${edge.from}→${edge.to}`);
          return (
            <line
              key={`${edge.from}→${edge.to}`}
              x1={x1 + ox}
              y1={y1 + oy}
              x2={x2 + ox}
              y2={y2 + oy}
              class={isTaken ? 'edge taken' : 'edge'}
              data-edge={`${edge.from}->${edge.to}`}
              data-taken={isTaken ? 'true' : 'false'}
              marker-end={isTaken ? 'url(#arrow-taken)' : 'url(#arrow)'}
            >
              <title>{`${edge.from} → ${edge.to} on ${edge.on.join(', ')}`}</title>
            </line>
          );
        })}
        {layout.states.map((state) => {
          const classes = ['node', `node-${state.kind}`];
          if (visited.has(state.name)) classes.push('visited');
          if (state.name === current) classes.push('current');
          return (
            <g
              key={state.name}
              class={classes.join(' ')}
              data-state={state.name}
              data-visited={visited.has(state.name) ? 'true' : 'false'}
              data-current={state.name === current ? 'true' : 'false'}
            >
              <rect x={state.x} y={state.y} width={layout.nodeWidth} height={layout.nodeHeight} rx="8" />
              <text
                x={state.x + layout.nodeWidth / 2}
                y={state.y + layout.nodeHeight / 2}
                dominant-baseline="middle"
                text-anchor="middle"
              >
                {state.name}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>{description}</figcaption>
    </figure>
  );
}

/** An arrowhead for the transitions' lines (`marker-end="url(#id)"`). */
function ArrowMarker({ id, headClass }: Readonly<{ id: string; headClass: string }>) {
  return (
    <marker id={id} viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
      <path d="M 0 0 L 10 5 L 0 10 z" class={headClass} />
    </marker>
  );
}
