import { memo, useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import type { RunSummary } from '../../app/stores/runs-store';
import { modelColor } from '../charts/model-colors';
import { type Theme, useTheme } from '../theme';
import { type CompareLine, compareIclRows, compareLossRows } from './compare-rows';

const DASH_B = '7 5';

function lines(theme: Theme, list: readonly CompareLine[]) {
  return list.map((l) => (
    <Line
      key={l.column}
      dataKey={l.column}
      name={l.name}
      type="linear"
      stroke={l.arch ? modelColor(theme, l.arch) : theme.muted}
      strokeWidth={2.5}
      strokeDasharray={l.side === 'B' ? DASH_B : undefined}
      legendType="plainline"
      dot={false}
      isAnimationActive={false}
      connectNulls
    />
  ));
}

/** Grid, tooltip and legend, the same on both charts. */
function chrome(theme: Theme, tooltipLabel: (x: number) => string) {
  return [
    <CartesianGrid key="grid" stroke={theme.grid} strokeDasharray="2 4" />,
    <Tooltip
      key="tooltip"
      formatter={(v) => (typeof v === 'number' ? v.toPrecision(4) : String(v))}
      labelFormatter={(x) => tooltipLabel(Number(x))}
      contentStyle={{ background: theme.surface, borderColor: theme.grid, color: theme.text }}
    />,
    <Legend
      key="legend"
      verticalAlign="top"
      align="left"
      itemSorter={null}
      wrapperStyle={{ paddingBottom: 8 }}
      formatter={(value) => <span style={{ color: theme.text }}>{value}</span>}
    />,
  ] as const;
}

/**
 * Both runs' training losses and latest in-context curves, overlaid: one colour per architecture
 * (as everywhere on the page), run A solid and run B dashed.
 */
export const RunCompareCharts = memo(function RunCompareCharts({
  a,
  b,
  log,
}: {
  a: RunSummary;
  b: RunSummary;
  log: boolean;
}) {
  const theme = useTheme();
  const loss = useMemo(() => compareLossRows(a, b, log), [a, b, log]);
  const icl = useMemo(() => compareIclRows(a, b), [a, b]);
  const tick = { fill: theme.muted, fontSize: 12 };
  const [lossGrid, lossTip, lossLegend] = chrome(theme, (x) => `step ${Math.round(x)}`);
  const [iclGrid, iclTip, iclLegend] = chrome(theme, (x) => `${x} in-context examples`);
  return (
    <div className="chart-grid compare-charts">
      <figure className="compare-chart" aria-labelledby="compare-loss-title">
        <figcaption id="compare-loss-title">Training loss, runs A and B</figcaption>
        {loss.rows.length === 0 ? (
          <p className="empty">Neither run has stored losses yet.</p>
        ) : (
          <LineChart
            responsive
            style={{ width: '100%', height: 'var(--chart-height-small)' }}
            data={loss.rows}
            margin={{ top: 8, right: 16, bottom: 24, left: 12 }}
          >
            {lossGrid}
            <XAxis
              dataKey="step"
              type="number"
              domain={[0, 'dataMax']}
              allowDecimals={false}
              tick={tick}
              stroke={theme.muted}
              label={{ value: 'training step', position: 'bottom', offset: 4, fill: theme.text }}
            />
            <YAxis
              scale={log ? 'log' : 'linear'}
              domain={log ? ['auto', 'auto'] : [0, 'auto']}
              allowDataOverflow
              tick={tick}
              stroke={theme.muted}
              width={56}
              tickFormatter={(v: number) =>
                v >= 100 || v < 0.01 ? v.toExponential(0) : String(Number(v.toPrecision(2)))
              }
              label={{
                value: 'training loss',
                angle: -90,
                position: 'insideLeft',
                offset: 0,
                fill: theme.text,
                dy: 40,
              }}
            />
            {lines(theme, loss.lines)}
            {lossTip}
            {lossLegend}
          </LineChart>
        )}
      </figure>
      <figure className="compare-chart" aria-labelledby="compare-icl-title">
        <figcaption id="compare-icl-title">In-context error, runs A and B (latest evaluation)</figcaption>
        {!icl ? (
          <p className="empty">Neither run has been evaluated yet (models are evaluated at every pause).</p>
        ) : (
          <>
            <LineChart
              responsive
              style={{ width: '100%', height: 'var(--chart-height-small)' }}
              data={icl.rows}
              margin={{ top: 8, right: 16, bottom: 24, left: 12 }}
            >
              {iclGrid}
              <XAxis
                dataKey="examples"
                type="number"
                domain={['dataMin', 'dataMax']}
                allowDecimals={false}
                tick={tick}
                stroke={theme.muted}
                label={{
                  value: 'number of in-context examples',
                  position: 'bottom',
                  offset: 4,
                  fill: theme.text,
                }}
              />
              <YAxis
                domain={[0, 'auto']}
                tick={tick}
                stroke={theme.muted}
                tickFormatter={(v: number) => String(Number(v.toFixed(2)))}
                label={{
                  value: icl.yLabel,
                  angle: -90,
                  position: 'insideLeft',
                  offset: 0,
                  fill: theme.text,
                  dy: 60,
                }}
              />
              {icl.chance !== null && (
                <ReferenceLine
                  y={icl.chance}
                  stroke={theme.chance}
                  strokeDasharray="2 3"
                  strokeWidth={1.5}
                  ifOverflow="extendDomain"
                />
              )}
              {lines(theme, icl.lines)}
              {iclTip}
              {iclLegend}
            </LineChart>
            {!icl.comparable && (
              <p className="hint">
                The two runs are scored differently (another task or metric): read each on its own.
              </p>
            )}
          </>
        )}
      </figure>
    </div>
  );
});
