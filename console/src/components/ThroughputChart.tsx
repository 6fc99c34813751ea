import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Throughput } from '../api/apiTypes';

/**
 * Completions and compensations per second over the window GET /sagas/throughput covers, drawn by
 * uPlot on a canvas (its styles come from the bundled CSS file; it sets sizes through the DOM, which
 * the CSP allows). The same figures are in a table below it for screen readers and for copying.
 */
export function ThroughputChart({ throughput }: { throughput: Throughput }) {
  const holder = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const perSecond = (n: number) => n / throughput.bucketSeconds;
  const data: uPlot.AlignedData = [
    throughput.buckets.map((bucket) => Date.parse(bucket.at) / 1000),
    throughput.buckets.map((bucket) => perSecond(bucket.completed)),
    throughput.buckets.map((bucket) => perSecond(bucket.cancelled)),
    throughput.buckets.map((bucket) => perSecond(bucket.manualReview)),
  ];

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const width = () => Math.max(280, element.clientWidth);
    chart.current = new uPlot(
      {
        width: width(),
        height: 220,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max, 0.1)] } },
        axes: [{}, { label: 'sagas / s', size: 60 }],
        series: [
          {},
          { label: 'completed', stroke: '#2e7d32', width: 2 },
          { label: 'cancelled (compensated)', stroke: '#c62828', width: 2 },
          { label: 'to manual review', stroke: '#ef6c00', width: 2, dash: [6, 4] },
        ],
      },
      data,
      element,
    );
    const resized = () => chart.current?.setSize({ width: width(), height: 220 });
    addEventListener('resize', resized);
    return () => {
      removeEventListener('resize', resized);
      chart.current?.destroy();
      chart.current = null;
    };
  }, []);

  useEffect(() => chart.current?.setData(data), [throughput]);

  const totals = throughput.buckets.reduce(
    (sum, bucket) => ({
      completed: sum.completed + bucket.completed,
      cancelled: sum.cancelled + bucket.cancelled,
      manualReview: sum.manualReview + bucket.manualReview,
    }),
    { completed: 0, cancelled: 0, manualReview: 0 },
  );
  const minutes = Math.round((throughput.buckets.length * throughput.bucketSeconds) / 60);
  return (
    <figure class="chart">
      <div ref={holder} data-testid="throughput-chart" aria-hidden="true" />
      <figcaption>
        Over the last {minutes} minutes ({throughput.bucketSeconds} s buckets): {totals.completed} completed,{' '}
        {totals.cancelled} cancelled after compensating, {totals.manualReview} sent to manual review.
      </figcaption>
    </figure>
  );
}
