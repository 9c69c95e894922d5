import { type KeyboardEvent, type PointerEvent, useRef, useState } from 'react';
import { moveExample, type RegressionDraft, scatterPoints } from '../../app/probe/probe-editor';
import { useProbeLab } from '../../app/probe/probe-lab-instance';
import { modelColor } from '../charts/model-colors';
import { useTheme } from '../theme';
import { keyMove, projectionRange, symmetricRange, toData, toPixel } from './scatter-view';
import { usePredictionRows } from './use-prediction-rows';

const W = 420;
const H = 240;
const PAD = { left: 44, right: 12, top: 12, bottom: 36 };

/** The examples of a regression prompt as points; drag one (or focus it and use the arrows) to move its x. */
export function RegressionEditor({ draft }: { draft: RegressionDraft }) {
  const edit = useProbeLab((s) => s.edit);
  const svg = useRef<SVGSVGElement>(null);
  const [dragging, setDragging] = useState<number | null>(null);
  const theme = useTheme();
  const predictions = usePredictionRows().filter((r) => r.reading?.value != null);
  const points = scatterPoints(draft);
  const query = points[draft.query];
  const [x0, x1] = projectionRange(points.map((p) => p.x));
  const [y0, y1] = symmetricRange(
    [...points.map((p) => p.y), ...predictions.map((r) => r.reading?.value ?? 0)],
    1,
  );
  const sx = { d0: x0, d1: x1, p0: PAD.left, p1: W - PAD.right };
  const sy = { d0: y0, d1: y1, p0: H - PAD.bottom, p1: PAD.top };
  const move = (i: number, to: number) => edit((d) => moveExample(d as RegressionDraft, i, to));

  const dataX = (e: PointerEvent) => {
    const box = svg.current?.getBoundingClientRect();
    if (!box || box.width === 0) return null;
    return toData(sx, ((e.clientX - box.left) / box.width) * W);
  };
  const onKey = (i: number, x: number) => (e: KeyboardEvent) => {
    const to = keyMove(e.key, e.shiftKey, x);
    if (to === null) return;
    e.preventDefault();
    move(i, to);
  };
  const ticks = [x0, x0 / 2, 0, x1 / 2, x1];
  return (
    <figure className="probe-scatter">
      <svg
        ref={svg}
        viewBox={`0 0 ${W} ${H}`}
        onPointerMove={(e) => {
          if (dragging === null) return;
          const x = dataX(e);
          if (x !== null) move(dragging, x);
        }}
        onPointerUp={() => setDragging(null)}
        onPointerCancel={() => setDragging(null)}
      >
        <title>{`The prompt's examples: ${draft.axisLabel} across, y up`}</title>
        <line className="axis" x1={PAD.left} x2={W - PAD.right} y1={toPixel(sy, 0)} y2={toPixel(sy, 0)} />
        <line className="axis" x1={toPixel(sx, 0)} x2={toPixel(sx, 0)} y1={PAD.top} y2={H - PAD.bottom} />
        {ticks.map((t) => (
          <text key={`x${t}`} className="tick" x={toPixel(sx, t)} y={H - PAD.bottom + 14} textAnchor="middle">
            {Number(t.toFixed(1))}
          </text>
        ))}
        {[y0, 0, y1].map((t) => (
          <text key={`y${t}`} className="tick" x={PAD.left - 6} y={toPixel(sy, t) + 4} textAnchor="end">
            {Number(t.toFixed(1))}
          </text>
        ))}
        <text className="axis-label" x={(PAD.left + W - PAD.right) / 2} y={H - 4} textAnchor="middle">
          {draft.axisLabel}
        </text>
        <text
          className="axis-label"
          transform={`translate(11 ${(PAD.top + H - PAD.bottom) / 2}) rotate(-90)`}
          textAnchor="middle"
        >
          y, the label
        </text>
        {predictions.map((r) => (
          <line
            key={`pred${r.slot}`}
            className="prediction"
            stroke={modelColor(theme, r.arch)}
            x1={toPixel(sx, query.x) - 12}
            x2={toPixel(sx, query.x) + 12}
            y1={toPixel(sy, r.reading?.value ?? 0)}
            y2={toPixel(sy, r.reading?.value ?? 0)}
          />
        ))}
        {points.map((p) => {
          const cx = toPixel(sx, p.x);
          const cy = toPixel(sy, p.y);
          if (p.outlier) {
            return <circle key={p.index} className="point outlier" cx={cx} cy={cy} r={3} />;
          }
          const name = p.query ? 'Query point' : `Example ${p.index + 1}`;
          return (
            <circle
              key={p.index}
              className={p.query ? 'point query' : 'point'}
              cx={cx}
              cy={cy}
              r={p.query ? 8 : 5}
              tabIndex={0}
              role="slider"
              aria-label={name}
              aria-valuemin={x0}
              aria-valuemax={x1}
              aria-valuenow={Number(p.x.toFixed(3))}
              aria-valuetext={`x ${p.x.toFixed(2)}, y ${p.y.toFixed(2)}`}
              aria-orientation="horizontal"
              onKeyDown={onKey(p.index, p.x)}
              onPointerDown={(e) => {
                e.preventDefault();
                (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
                (e.currentTarget as SVGCircleElement).focus();
                setDragging(p.index);
              }}
            />
          );
        })}
      </svg>
      {predictions.length > 0 && (
        <ul className="prediction-legend">
          {predictions.map((r) => (
            <li key={`legend${r.slot}`}>
              <span className="swatch" style={{ background: modelColor(theme, r.arch) }} aria-hidden="true" />
              {r.label}: {r.reading?.prediction}
            </li>
          ))}
        </ul>
      )}
      <figcaption className="hint">
        Drag a point sideways, or focus it (Tab) and use the arrow keys (Shift: larger steps), to change its
        x; its y follows the prompt’s hidden function. The large point is the query.
        {draft.clean.includes(0) ? ' Grey points are outliers (not editable).' : ''}
      </figcaption>
    </figure>
  );
}
