// Small SVG charts of our own: an area/line chart with several series and a legend for
// messages over time, and a donut for the verdict mix. No chart library, no inline scripts.

export interface Series {
  name: string;
  color: string;
  values: number[];
}

const W = 720;
const H = 220;
const PAD = { left: 44, right: 12, top: 10, bottom: 24 };

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const pow = 10 ** Math.floor(Math.log10(v));
  const n = v / pow;
  const step = n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10;
  return step * pow;
}

export function LineChart({
  series,
  labels,
  testId,
}: {
  series: Series[];
  /** One label per point (time of the bucket), a few are drawn under the axis. */
  labels: string[];
  testId?: string;
}) {
  const points = Math.max(1, ...series.map((s) => s.values.length));
  // At least 4 so that the ticks of small counts are whole messages.
  const max = niceMax(Math.max(4, ...series.flatMap((s) => s.values)));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (points <= 1 ? innerW / 2 : (i * innerW) / (points - 1));
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  const labelEvery = Math.max(1, Math.ceil(points / 6));

  return (
    <div className="chart" data-testid={testId}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" preserveAspectRatio="none">
        {ticks.map((v) => (
          <g key={v}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} className="grid" />
            <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end" className="axis">
              {Number.isInteger(v) ? v : Number(v.toFixed(2))}
            </text>
          </g>
        ))}
        {labels.map((l, i) =>
          i % labelEvery === 0 ? (
            <text key={i} x={x(i)} y={H - 6} textAnchor="middle" className="axis">
              {l}
            </text>
          ) : null,
        )}
        {series.map((s) => {
          if (s.values.length === 0) return null;
          const line = s.values
            .map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`)
            .join(' ');
          const area = `${line} L${x(s.values.length - 1).toFixed(1)},${y(0)} L${x(0).toFixed(1)},${y(0)} Z`;
          return (
            <g key={s.name}>
              <path d={area} fill={s.color} fillOpacity={0.12} />
              <path d={line} fill="none" stroke={s.color} strokeWidth={1.8} />
            </g>
          );
        })}
      </svg>
      <Legend items={series.map((s) => ({ name: s.name, color: s.color, value: sum(s.values) }))} />
    </div>
  );
}

export function Legend({ items }: { items: { name: string; color: string; value?: number }[] }) {
  return (
    <ul className="legend">
      {items.map((i) => (
        <li key={i.name}>
          <span className="swatch" style={{ background: i.color }} />
          {i.name}
          {i.value !== undefined && <span className="legend-value">{i.value.toLocaleString()}</span>}
        </li>
      ))}
    </ul>
  );
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

export function DonutChart({
  slices,
  testId,
  emptyLabel,
}: {
  slices: { name: string; color: string; value: number }[];
  testId?: string;
  emptyLabel: string;
}) {
  const total = sum(slices.map((s) => s.value));
  const r = 60;
  const c = 2 * Math.PI * r;
  let offset = 0;
  return (
    <div className="donut" data-testid={testId}>
      <svg viewBox="0 0 160 160" role="img">
        <circle cx={80} cy={80} r={r} fill="none" stroke="#e6e9ef" strokeWidth={22} />
        {total > 0 &&
          slices.map((s) => {
            const len = (s.value / total) * c;
            const el = (
              <circle
                key={s.name}
                cx={80}
                cy={80}
                r={r}
                fill="none"
                stroke={s.color}
                strokeWidth={22}
                strokeDasharray={`${len} ${c - len}`}
                strokeDashoffset={-offset}
                transform="rotate(-90 80 80)"
              />
            );
            offset += len;
            return el;
          })}
        <text x={80} y={78} textAnchor="middle" className="donut-total">
          {total.toLocaleString()}
        </text>
        <text x={80} y={96} textAnchor="middle" className="axis">
          {total === 0 ? emptyLabel : ''}
        </text>
      </svg>
      <Legend items={slices} />
    </div>
  );
}
